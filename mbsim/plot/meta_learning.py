"""Figures of a meta-learning result: the Pareto front (performance, energy, resilience) and the
learned rules beside the fly's."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import xarray as xr

from ._common import new_figure, save_figure, styled

#: Rule parameters compared in the rule figure: name -> (label, scale to display, display unit).
RULE_PARAMETERS = {"learning_rate": ("learning rate", 1.0, ""),
                   "plastic_fraction": ("plastic fraction P", 1.0, ""),
                   "cache_decay_time": ("cache decay time", 1 / 3600.0, "h"),
                   "consolidation_threshold": ("consolidation threshold", 1.0, ""),
                   "ltm_energy_threshold": ("LTM energy threshold", 1.0, ""),
                   "error_margin": ("error margin", 1.0, "")}
REFERENCE_STYLE = {"fly_default": ("tab:red", "*", "fly's rule"),
                   "unmodified": ("black", "X", "unmodified (all, no cache)")}


def _energy_label(tree: xr.DataTree) -> str:
    measure = tree.attrs.get("energy_measure", "atp")
    return {"atp": "ATP spent per task [mol]", "m0": "M0 (updates)", "m1": "M1 (sum |dw|)"}[measure]


@styled
def pareto_front(tree: xr.DataTree):
    """Performance against energy of every rule tried, coloured by resilience; the front joined,
    the fly's and the unmodified rule marked."""
    trials, refs = tree["trials"].to_dataset(), tree["references"].to_dataset()
    figure, axes = new_figure(1, 2, figsize=(11, 4.4))
    front = trials["on_front"].values.astype(bool)
    energy = trials["energy"].values
    floor = max(np.nanmin(energy[energy > 0]) if np.any(energy > 0) else 1e-30, 1e-30)
    for ax, y, label in ((axes[0], "performance", "performance (plentiful regime)"),
                         (axes[1], "resilience", "resilience (scarce / plentiful)")):
        points = ax.scatter(np.maximum(energy, floor), trials[y].values,
                            c=trials["resilience" if y == "performance" else "performance"].values,
                            s=np.where(front, 36, 14), edgecolors=np.where(front, "k", "none"),
                            cmap="viridis", zorder=2)
        for rule in refs["rule"].values:
            color, marker, name = REFERENCE_STYLE.get(str(rule), ("gray", "o", str(rule)))
            point = refs.sel(rule=rule)
            ax.scatter(max(float(point["energy"]), floor), float(point[y]), color=color,
                       marker=marker, s=120, label=name, zorder=3)
        ax.set_xscale("log")
        ax.set_xlabel(_energy_label(tree))
        ax.set_ylabel(label)
        figure.colorbar(points, ax=ax, label="resilience" if y == "performance" else "performance")
    axes[0].legend(loc="lower right")
    axes[0].set_title("rules tried (outlined: Pareto front)")
    figure.suptitle(str(tree.attrs.get("title", "meta-learning")), fontsize=10)
    return figure


@styled
def rule_comparison(tree: xr.DataTree):
    """Each rule parameter of the Pareto-front rules beside the fly's and the unmodified rule."""
    trials, refs = tree["trials"].to_dataset(), tree["references"].to_dataset()
    front = trials.isel(trial=np.flatnonzero(trials["on_front"].values))
    figure, axes = new_figure(2, 3, figsize=(11, 6))
    for ax, (name, (label, scale, unit)) in zip(axes.ravel(), RULE_PARAMETERS.items()):
        values = front[name].values * scale
        ax.scatter(values, front["performance"].values, c=front["resilience"].values,
                   cmap="viridis", s=22, label="Pareto front")
        for rule in refs["rule"].values:
            color, marker, legend = REFERENCE_STYLE.get(str(rule), ("gray", "o", str(rule)))
            point = refs.sel(rule=rule)
            ax.scatter(float(point[name]) * scale, float(point["performance"]), color=color,
                       marker=marker, s=110, label=legend)
        ax.set_xlabel(label + (f" [{unit}]" if unit else ""))
        ax.set_ylabel("performance")
    restrictions = ", ".join(f"{r}: {int((front['restriction'].values == r).sum())}"
                             for r in np.unique(front["restriction"].values))
    axes.ravel()[0].legend(loc="best")
    figure.suptitle(f"learned rules (Pareto front, colour: resilience) against the fly's; "
                    f"restrictions on the front: {restrictions}", fontsize=9)
    return figure


#: Figure kinds of ``mbsim plot --kind`` for meta-learning results.
META_KINDS = {"front": pareto_front, "rules": rule_comparison}


def write_figures(tree: xr.DataTree, stem: str | Path) -> list[Path]:
    """``<stem>_front.png`` and ``<stem>_rules.png``."""
    return [save_figure(pareto_front(tree), f"{stem}_front.png"),
            save_figure(rule_comparison(tree), f"{stem}_rules.png")]
