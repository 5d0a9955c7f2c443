"""Figures of an energy sweep: energy vs plastic fraction, optimal energy vs size, savings vs size, each
with the spread over the sweep's seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ._common import axes_or_new, new_figure, plain_log_ticks, save_figure, styled

STRATEGY_STYLE = {"all": ("black", "all plastic"), "random_mask": ("tab:blue", "random fixed mask"),
                  "top_k": ("tab:red", "largest updates (network)"),
                  "top_k_per_mbon": ("tab:green", "largest updates (per MBON)"),
                  "caching": ("tab:purple", "synaptic caching")}
#: Energy measures drawn: alpha -> name (M_alpha = sum |dw|^alpha, a dimensionless count or sum).
MEASURES = {0.0: "M0 (number of updates)", 1.0: "M1 (sum of |dw|)"}


def _runs(tree: xr.DataTree, strategy: str, n_kc: int) -> xr.Dataset:
    runs = tree["runs"].to_dataset()
    pick = (runs["strategy"] == strategy) & (runs["n_kc"] == n_kc)
    return runs.isel(run=np.flatnonzero(pick.values))


def per_parameter(tree: xr.DataTree, strategy: str, n_kc: int, alpha: float):
    """Per parameter (P or threshold) of one strategy and size: (parameters, mean total energy, sd over
    seeds, every seed reached the criterion, seeds)."""
    part = _runs(tree, strategy, n_kc)
    if part.sizes["run"] == 0:
        empty = np.array([])
        return empty, empty, empty, empty.astype(bool), 0
    energy = part["energy"].sel(phase="total", alpha=alpha).values
    params = part["parameter"].values
    keys = np.unique(params)
    groups = [energy[params == p] for p in keys]
    means = np.array([g.mean() for g in groups])
    spread = np.array([g.std(ddof=1) if g.size > 1 else np.nan for g in groups])
    reached = np.array([part["reached"].values[params == p].min() > 0 for p in keys])
    return keys, means, spread, reached, int(np.unique(part["seed"].values).size)


def per_seed_at_optimum(tree: xr.DataTree, strategy: str, n_kc: int, alpha: float) -> dict[int, float]:
    """Each seed's total energy at the strategy's optimal parameter (from /optimal), {seed: energy}."""
    best = tree["optimal"].to_dataset()["best_parameter"].sel(strategy=strategy, n_kc=n_kc, alpha=alpha)
    part = _runs(tree, strategy, n_kc)
    if not np.isfinite(float(best)) or part.sizes["run"] == 0:
        return {}
    at = np.flatnonzero(np.isclose(part["parameter"].values, float(best)))
    energy = part["energy"].sel(phase="total", alpha=alpha).values
    return {int(part["seed"].values[i]): float(energy[i]) for i in at}


def _seeds_note(tree: xr.DataTree) -> str:
    seeds = np.unique(tree["runs"].to_dataset()["seed"].values).size
    return f"seed means, error bars: sd over {seeds} seeds" if seeds > 1 else "one seed (no spread)"


@styled
def plot_energy_vs_fraction(tree: xr.DataTree, ax=None, alpha: float = 1.0, n_kc: int | None = None):
    """Total energy to criterion vs plastic fraction P per restricted strategy (mean ± sd over seeds;
    open markers: some seed did not reach the criterion), the all-plastic level dotted, the best
    caching threshold as a star at P = 1."""
    ax = axes_or_new(ax)
    runs = tree["runs"].to_dataset()
    n_kc = n_kc or int(np.max(runs["n_kc"].values))
    _, base, base_sd, _, _ = per_parameter(tree, "all", n_kc, alpha)
    for strategy in ("random_mask", "top_k", "top_k_per_mbon"):
        p, e, sd, ok, _ = per_parameter(tree, strategy, n_kc, alpha)
        if len(p) == 0:
            continue
        p, e, sd, ok = np.append(p, 1.0), np.append(e, base), np.append(sd, base_sd), np.append(ok, True)
        color, name = STRATEGY_STYLE[strategy]
        ax.errorbar(p, e, yerr=sd, fmt="-", color=color, capsize=2, label=name)
        ax.plot(p[ok], e[ok], "o", color=color)
        ax.plot(p[~ok], e[~ok], "o", mfc="white", color=color)
    t, e, sd, ok, _ = per_parameter(tree, "caching", n_kc, alpha)
    if len(t) and ok.any():
        best = np.flatnonzero(ok)[np.argmin(e[ok])]
        ax.errorbar([1.0], [e[best]], yerr=[sd[best]], fmt="*", ms=12, color=STRATEGY_STYLE["caching"][0],
                    label=f"caching (best threshold {t[best]:g})")
    if len(base):
        ax.axhline(base[0], color="black", lw=0.8, ls=":", label="all plastic")
    ax.plot([], [], "o", mfc="white", color="0.3", label="a seed missed the criterion")
    ax.set(xscale="log", yscale="log", xlabel="plastic fraction P",
           ylabel=f"{MEASURES.get(alpha, f'M_alpha, alpha = {alpha:g}')} to criterion")
    plain_log_ticks(ax.xaxis)
    ax.set_title(f"Energy to criterion vs plastic fraction, {n_kc} KCs")
    ax.legend(title=_seeds_note(tree), fontsize=7, title_fontsize=7)
    return ax


def _per_size(tree: xr.DataTree, ax, alpha: float, savings: bool):
    """Optimal energy (or savings) per strategy against KC number, error bars: sd over seeds at the
    optimum (of the per-seed ratio for savings). Strategies that never reached the criterion are named
    in a note instead of an empty legend entry."""
    best = tree["optimal"].to_dataset()
    sizes = best["n_kc"].values
    missing = []
    for strategy in best["strategy"].values:
        strategy = str(strategy)
        if savings and strategy == "all":
            continue
        color, name = STRATEGY_STYLE.get(strategy, ("gray", strategy))
        values = best["savings" if savings else "energy"].sel(strategy=strategy, alpha=alpha).values
        if not np.isfinite(values).any():
            missing.append(name)
            continue
        spread = []
        for n_kc in sizes:
            own = per_seed_at_optimum(tree, strategy, int(n_kc), alpha)
            if savings:
                base = per_seed_at_optimum(tree, "all", int(n_kc), alpha)
                own = {seed: base[seed] / value for seed, value in own.items() if seed in base and value > 0}
            spread.append(np.std(list(own.values()), ddof=1) if len(own) > 1 else np.nan)
        ax.errorbar(sizes, values, yerr=spread, fmt="o-", color=color, capsize=2, label=name)
    if savings:
        ax.axhline(1.0, color="black", lw=0.8, ls=":", label="no savings")
    if missing:
        ax.text(0.02, 0.02, "criterion never reached: " + ", ".join(missing), transform=ax.transAxes,
                fontsize=7, color="0.4")
    measure = MEASURES.get(alpha, f"M_alpha, alpha = {alpha:g}")
    ax.set(xscale="log", yscale="log", xlabel="number of KCs",
           ylabel=f"savings in {measure} (all plastic / best)" if savings else f"optimal {measure}")
    plain_log_ticks(ax.xaxis)
    plain_log_ticks(ax.yaxis, label_minor=True)
    what = "Savings of each strategy" if savings else "Lowest energy to criterion"
    ax.set_title(f"{what} vs network size")
    ax.legend(title=_seeds_note(tree), title_fontsize=7)
    return ax


@styled
def plot_optimal_energy(tree: xr.DataTree, ax=None, alpha: float = 1.0):
    """Optimal (lowest over P or threshold) mean energy to criterion per strategy vs number of KCs."""
    return _per_size(tree, axes_or_new(ax), alpha, savings=False)


@styled
def plot_savings(tree: xr.DataTree, ax=None, alpha: float = 1.0):
    """Savings ratio (all-plastic energy / best energy) per strategy vs number of KCs."""
    return _per_size(tree, axes_or_new(ax), alpha, savings=True)


def _two_measures(plot, tree: xr.DataTree):
    """One panel per energy measure (M0, M1), sharing the legend of the first."""
    figure, axes = new_figure(1, 2, figsize=(12, 4.6))
    for ax, alpha in zip(axes, MEASURES):
        plot(tree, ax, alpha=alpha)
    axes[1].get_legend().remove()
    figure.suptitle(str(tree.attrs.get("title", "energy sweep")), fontsize=10)
    return figure


@styled
def energy_vs_fraction(tree: xr.DataTree):
    """Figure 3 analogue: energy to criterion vs plastic fraction P, for M0 and M1."""
    return _two_measures(plot_energy_vs_fraction, tree)


@styled
def optimal_vs_size(tree: xr.DataTree):
    """Figure 5 analogue: optimal energy vs number of KCs, for M0 and M1."""
    return _two_measures(plot_optimal_energy, tree)


@styled
def savings_vs_size(tree: xr.DataTree):
    """Figure 6 analogue: savings ratio vs number of KCs, for M0 and M1."""
    return _two_measures(plot_savings, tree)


#: Figure kinds of ``mbsim plot --kind`` for energy-sweep results.
SWEEP_KINDS = {"fraction": energy_vs_fraction, "optimal": optimal_vs_size, "savings": savings_vs_size}


def write_figures(tree: xr.DataTree, stem: str | Path) -> list[Path]:
    """The three figures as ``<stem>_vs_fraction.png``, ``_optimal.png``, ``_savings.png``."""
    stem = str(stem)
    return [save_figure(energy_vs_fraction(tree), f"{stem}_vs_fraction.png"),
            save_figure(optimal_vs_size(tree), f"{stem}_optimal.png"),
            save_figure(savings_vs_size(tree), f"{stem}_savings.png")]
