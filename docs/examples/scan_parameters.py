"""Scan one memory and one network parameter and plot how retention changes.

The script changes parameters in memory only (``Model.updated``; no parameter file is written and
no result is saved), runs the short ``aversive_1x`` protocol (one aversive training, tests at
3 min, 1 h, 3 h, 24 h and 4 d) for each value and plots the expected performance index (the noise-free
mean over the cohort's flies) against the value:

* ``memory.tau_labile``, the decay time of labile memory: a longer one keeps the PI high for
  longer, most visibly at 1-3 h;
* ``network.choice_temperature``, the T-maze readout: the MBON rate difference that multiplies
  the odds of a choice by e; a higher temperature means noisier choices and lower PIs at every
  retention time.

Neither parameter is compiled into the Brian2 network, so the scan never recompiles it.

Run it from the repository root::

    python docs/examples/scan_parameters.py                  # 5 values each, cohort 4 (~8 min, 2 cores)
    python docs/examples/scan_parameters.py --small          # 2 values each, cohort 1 (~50 s)
    python docs/examples/scan_parameters.py --output scan.png

It prints one line per (parameter, value, retention time) and saves the figure
(default ``docs/figures/scan_parameters.png``).
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

import mbsim  # noqa: E402

PROTOCOL = "aversive_1x"
#: Scanned parameter -> (unit, lowest, highest value); values are spaced logarithmically.
SCANS = {"memory.tau_labile": ("h", 0.25, 4.0),
         "network.choice_temperature": ("Hz", 0.3, 2.0)}
SI_PER_UNIT = {"h": 3600.0, "Hz": 1.0}


def scan(model, name, values, unit, cohort):
    """Expected PI (retention times x values) of the protocol with ``name`` set to each value."""
    columns = []
    for value in values:
        changed = model.updated({name: f"{value:g} {unit}"})        # a new model, in memory
        result = mbsim.Simulation(changed, PROTOCOL).run(cohort=cohort)
        pi = result.tree["retention"]["pi_expected"].sel(phase="total")
        columns.append(pi.values)
    return pi["retention_time"].values, np.column_stack(columns)


def label(seconds):
    """3 min, 1 h, 24 h, ..."""
    return f"{seconds / 60:g} min" if seconds < 3600 else f"{seconds / 3600:g} h"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cohort", type=int, default=4, help="flies per run (default 4)")
    parser.add_argument("--values", type=int, default=5, help="points per parameter (default 5)")
    parser.add_argument("--output", default="docs/figures/scan_parameters.png",
                        help="where to save the figure")
    parser.add_argument("--small", action="store_true",
                        help="quick run: cohort 1, 2 values per parameter")
    args = parser.parse_args(argv)
    if args.small:
        args.cohort, args.values = 1, 2

    model = mbsim.Model()        # default connectome, synthetic odors, shipped parameters
    fig, axes = plt.subplots(1, len(SCANS), figsize=(5 * len(SCANS) + 1.5, 4), sharey=True)
    print(f"{'parameter':<28} {'value':>8} {'unit':<4} {'retention_h':>11} {'pi_expected':>11}")
    for ax, (name, (unit, low, high)) in zip(axes, SCANS.items()):
        values = np.geomspace(low, high, args.values)
        times, pi = scan(model, name, values, unit, args.cohort)
        for t, row in zip(times, pi):
            ax.plot(values, row, "o-", label=label(t))
            for value, p in zip(values, row):
                print(f"{name:<28} {value:>8.3g} {unit:<4} {t / 3600:>11.3g} {p:>+11.3f}")
        default = model.parameters[name] / SI_PER_UNIT[unit]
        ax.axvline(default, color="grey", ls="--", lw=1, label="shipped value")
        ax.set(xscale="log", xlabel=f"{name} [{unit}]", title=name.split(".")[1])
        ax.set_xticks(values, [f"{v:.2g}" for v in values])
        ax.minorticks_off()
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("expected PI (total)")
    fig.legend(*axes[0].get_legend_handles_labels(), title="retention", loc="center right")
    fig.suptitle(f"{PROTOCOL}: retention against parameter value (cohort {args.cohort})")
    fig.tight_layout(rect=(0, 0, 0.86, 1))
    fig.savefig(args.output, dpi=120)
    print(f"saved {args.output}")


if __name__ == "__main__":
    main()
