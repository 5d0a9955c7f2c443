"""``mbsim energy-sweep``: run an energy-efficiency experiment, write its HDF5 result and figures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .workers import add_worker_options, check_jobs

EXAMPLES = """examples:
  mbsim energy-sweep data/experiments/energy_small.yaml -o sweep.h5
  mbsim energy-sweep energy_full --jobs 2 -o full.h5 --figures docs/figures/energy
  mbsim energy-sweep energy_full --scheduler tcp://10.0.0.5:8786 -o full.h5
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser("energy-sweep", help="energy of restricted/cached plasticity "
                                   "on an odor-valence task, over plastic fraction and KC count",
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", help="experiment file, or the name of one in data/experiments")
    parser.add_argument("-o", "--output", help="result file (.h5); default: <experiment name>.h5")
    parser.add_argument("--figures", help="path stem of the three PNG figures "
                        "(default: the output path without .h5)")
    parser.add_argument("--no-figures", action="store_true", help="write only the HDF5 result")
    add_worker_options(parser)
    parser.set_defaults(handler=energy_sweep_command)


def energy_sweep_command(args) -> int:
    from ..efficiency import load_experiment, run_sweep
    from ..io import check_destination, save
    check_jobs(args)
    experiment = load_experiment(args.experiment)
    output = Path(args.output or f"{experiment.name}.h5")
    check_destination(output)
    tree = run_sweep(experiment, jobs=args.jobs, scheduler=args.scheduler, progress=not args.quiet,
                     command="mbsim " + " ".join(sys.argv[1:]))
    save(tree, output)
    print(summary_table(tree))
    print(f"wrote {output}")
    if not args.no_figures:
        from ..plot.efficiency import write_figures
        stem = args.figures or str(output.with_suffix(""))
        for path in write_figures(tree, stem):
            print(f"wrote {path}")
    return 0


def summary_table(tree, size: str = "n_kc", label: str = "KCs") -> str:
    """Optimal M0 and M1 per strategy and network size (coordinate ``size`` of /optimal), with the
    savings ratio."""
    best = tree["optimal"].to_dataset()
    lines = [f"{'strategy':<16}{label:>7}{'M0 best':>12}{'P/theta':>9}{'saves':>8}"
             f"{'M1 best':>11}{'P/theta':>9}{'saves':>8}"]
    for strategy in best["strategy"].values:
        for n in best[size].values:
            cells = []
            for alpha in (0.0, 1.0):
                point = best.sel({"strategy": strategy, size: n, "alpha": alpha})
                cells.append(f"{float(point['energy']):>12.4g}{float(point['best_parameter']):>9.3g}"
                             f"{float(point['savings']):>8.3g}")
            lines.append(f"{strategy:<16}{int(n):>7}" + "".join(cells).replace("   nan", "     -"))
    return "\n".join(lines)
