"""Figures of an energy sweep: energy vs plastic fraction, optimal energy vs size, savings vs size."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ._common import pyplot, save_figure

STRATEGY_STYLE = {"all": ("black", "all plastic"), "random_mask": ("tab:blue", "random fixed mask"),
                  "top_k": ("tab:red", "largest updates (network)"),
                  "top_k_per_mbon": ("tab:green", "largest updates (per MBON)"),
                  "caching": ("tab:purple", "synaptic caching")}
MEASURES = ((0.0, "M0 (number of updates)"), (1.0, "M1 (sum |dw|)"))


def _mean_energy(runs: xr.Dataset, strategy: str, n_kc: int, alpha: float):
    """(parameters, mean total energy, all seeds reached) of one strategy and size."""
    pick = (runs["strategy"] == strategy) & (runs["n_kc"] == n_kc)
    part = runs.isel(run=np.flatnonzero(pick.values))
    if part.sizes["run"] == 0:
        return np.array([]), np.array([]), np.array([], dtype=bool)
    energy = part["energy"].sel(phase="total", alpha=alpha).values
    params = part["parameter"].values
    keys = np.unique(params)
    means = np.array([energy[params == p].mean() for p in keys])
    reached = np.array([part["reached"].values[params == p].min() > 0 for p in keys])
    return keys, means, reached


def energy_vs_fraction(tree: xr.DataTree, n_kc: int | None = None):
    """Figure 3 analogue: total energy to criterion vs plastic fraction P, per strategy (M0, M1).
    Open markers: some seed did not reach the criterion. Caching is drawn at P = 1."""
    plt = pyplot()
    runs = tree["runs"].to_dataset()
    n_kc = n_kc or int(np.max(runs["n_kc"].values))
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    for ax, (alpha, label) in zip(axes, MEASURES):
        _, base, _ = _mean_energy(runs, "all", n_kc, alpha)
        for strategy in ("random_mask", "top_k", "top_k_per_mbon"):
            p, e, ok = _mean_energy(runs, strategy, n_kc, alpha)
            if len(p) == 0:
                continue
            p, e, ok = np.append(p, 1.0), np.append(e, base), np.append(ok, True)
            color, name = STRATEGY_STYLE[strategy]
            ax.plot(p, e, "-", color=color, label=name)
            ax.plot(p[ok], e[ok], "o", color=color)
            ax.plot(p[~ok], e[~ok], "o", mfc="white", color=color)
        t, e, ok = _mean_energy(runs, "caching", n_kc, alpha)
        if len(t) and ok.any():
            ax.plot([1.0], [e[ok].min()], "*", ms=12, color=STRATEGY_STYLE["caching"][0],
                    label="caching (best threshold)")
        ax.axhline(base[0] if len(base) else np.nan, color="black", lw=0.8, ls=":", label="all plastic")
        ax.set(xscale="log", yscale="log", xlabel="plastic fraction P", ylabel=f"{label} to criterion",
               title=f"{n_kc} KCs")
    axes[0].legend(fontsize=8)
    return figure


def optimal_vs_size(tree: xr.DataTree):
    """Figure 5 analogue: optimal (minimum over P or threshold) energy vs number of KCs."""
    return _per_size(tree, "energy", "optimal {}", with_all=True)


def savings_vs_size(tree: xr.DataTree):
    """Figure 6 analogue: savings ratio (all-plastic energy / best energy) vs number of KCs."""
    return _per_size(tree, "savings", "savings in {}", with_all=False)


def _per_size(tree: xr.DataTree, variable: str, ylabel: str, with_all: bool):
    """One panel per energy measure: ``variable`` of /optimal per strategy against KC number."""
    plt = pyplot()
    best = tree["optimal"].to_dataset()
    figure, axes = plt.subplots(1, 2, figsize=(10, 4), layout="constrained")
    for ax, (alpha, label) in zip(axes, MEASURES):
        for strategy in best["strategy"].values:
            if strategy == "all" and not with_all:
                continue
            color, name = STRATEGY_STYLE.get(str(strategy), ("gray", str(strategy)))
            ax.plot(best["n_kc"].values, best[variable].sel(strategy=strategy, alpha=alpha).values,
                    "o-", color=color, label=name)
        if not with_all:
            ax.axhline(1.0, color="black", lw=0.8, ls=":")
        ax.set(xscale="log", yscale="log", xlabel="number of KCs", ylabel=ylabel.format(label))
    axes[0].legend(fontsize=8)
    return figure


def write_figures(tree: xr.DataTree, stem: str | Path) -> list[Path]:
    """The three figures as ``<stem>_vs_fraction.png``, ``_optimal.png``, ``_savings.png``."""
    stem = str(stem)
    return [save_figure(energy_vs_fraction(tree), f"{stem}_vs_fraction.png"),
            save_figure(optimal_vs_size(tree), f"{stem}_optimal.png"),
            save_figure(savings_vs_size(tree), f"{stem}_savings.png")]
