"""Figure of a fit result: data against predictions (before and after the fit) and the posterior."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ._common import SECONDS_PER_HOUR, pyplot


def fit_figure(tree: xr.DataTree):
    """One panel per data set (data with SEM, prediction at the start and at the estimate), then one
    panel per parameter (posterior histogram, or estimate +- 1.96 sd when no posterior was sampled)."""
    plt = pyplot()
    predictions = tree["predictions"].to_dataset()
    estimates = tree["estimates"].to_dataset()
    datasets = list(dict.fromkeys(predictions["dataset"].values.tolist()))
    names = estimates["parameter"].values.tolist()
    columns = max(len(datasets), min(len(names), 4))
    rows = 1 + int(np.ceil(len(names) / columns))
    figure, axes = plt.subplots(rows, columns, figsize=(4.2 * columns, 3.4 * rows),
                                layout="constrained", squeeze=False)
    for ax, label in zip(axes[0], datasets):
        plot_dataset(predictions.where(predictions["dataset"] == label, drop=True), label, ax)
    for ax in axes[0][len(datasets):]:
        ax.set_visible(False)
    flat = axes[1:].ravel()
    posterior = tree["posterior"].to_dataset() if "posterior" in tree.children else None
    for ax, index in zip(flat, range(len(names))):
        plot_parameter(estimates.isel(parameter=index), posterior, ax)
    for ax in flat[len(names):]:
        ax.set_visible(False)
    figure.suptitle(f"{tree.attrs.get('title', 'fit')}: log posterior "
                    f"{estimates.attrs['log_posterior_start']:.1f} -> {estimates.attrs['log_posterior']:.1f}")
    return figure


def plot_dataset(rows: xr.Dataset, label: str, ax) -> None:
    """Measured values (error bars) and predictions per protocol, against time."""
    kind = str(rows["kind"].values[0])
    hours = rows["time"].values / SECONDS_PER_HOUR
    for i, protocol in enumerate(dict.fromkeys(rows["protocol"].values.tolist())):
        pick = rows["protocol"].values == protocol
        color = f"C{i}"
        order = np.argsort(hours[pick])
        x = hours[pick][order]
        sem = rows["sem"].values[pick][order]
        ax.errorbar(x, rows["observed"].values[pick][order],
                    yerr=None if np.all(np.isnan(sem)) else sem, fmt="o", color=color,
                    label=f"{protocol} data")
        ax.plot(x, rows["predicted_start"].values[pick][order], ":x", color=color, markersize=5,
                label="before fit")                      # markers: a single row is visible too
        ax.plot(x, rows["predicted"].values[pick][order], "-s", color=color, markersize=4,
                fillstyle="none", label="fit")
    ax.set_xscale("symlog", linthresh=1.0)
    ax.set_xlabel("time after training [h]" if not kind.startswith("survival")
                  else "time after starvation onset [h]")
    ax.set_ylabel({"retention": "performance index", "flux_ratio": "pyruvate-flux ratio"}.get(
        kind, "surviving fraction"))
    ax.set_title(label, fontsize=9)
    handles, labels = ax.get_legend_handles_labels()
    unique = dict(zip(labels, handles))
    ax.legend(unique.values(), unique.keys(), fontsize=6)


def plot_parameter(row: xr.Dataset, posterior: xr.Dataset | None, ax) -> None:
    name = str(row["parameter"].values)
    estimate, sd = float(row["estimate"]), float(row["sd"])
    if posterior is not None and name in posterior:
        ax.hist(posterior[name].values.ravel(), bins=30, color="0.6")
    elif np.isfinite(sd):
        ax.axvspan(estimate - 1.96 * sd, estimate + 1.96 * sd, color="0.85", label="±1.96 sd")
    ax.axvline(estimate, color="black", label="estimate")
    ax.axvline(float(row["start"]), color="tab:red", linestyle=":", label="start")
    ax.set_xlabel(f"{name} [{row['unit'].values}]", fontsize=8)
    ax.set_yticks([])
    ax.legend(fontsize=6)
