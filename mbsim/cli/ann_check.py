"""``mbsim ann-check``: the plasticity strategies on a plain artificial network (digits), with the
hardware cost of every rule's update step; writes an HDF5 result."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import InputError

EXAMPLES = """examples:
  mbsim ann-check data/experiments/ann_small.yaml -o ann.h5
  mbsim ann-check ann_full -o ann_full.h5
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser("ann-check", help="restricted and cached plasticity in a plain "
                                   "artificial network on handwritten digits, with hardware cost",
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", help="ANN-check file, or the name of one in data/experiments")
    parser.add_argument("-o", "--output", help="result file (.h5); default: <experiment name>.h5")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (Dask LocalCluster)")
    parser.add_argument("--scheduler", help="address of a Dask scheduler")
    parser.set_defaults(handler=ann_check_command)


def ann_check_command(args) -> int:
    from ..efficiency.ann_check import run_ann_check
    from ..efficiency.ann_experiment import load_ann_experiment
    from ..io import check_destination, save
    if args.jobs < 1:
        raise InputError(found=f"--jobs {args.jobs}", expected="a positive integer")
    experiment = load_ann_experiment(args.experiment)
    output = Path(args.output or f"{experiment.name}.h5")
    check_destination(output)
    tree = run_ann_check(experiment, jobs=args.jobs, scheduler=args.scheduler, progress=not args.quiet,
                         command="mbsim " + " ".join(sys.argv[1:]))
    save(tree, output)
    print(summary_table(tree))
    print(f"wrote {output}")
    return 0


def summary_table(tree) -> str:
    """Per strategy and hidden size: optimal M0 and M1 with their savings, and the counter source."""
    best = tree["optimal"].to_dataset()
    lines = [f"{'strategy':<16}{'hidden':>7}{'M0 best':>12}{'P/theta':>9}{'saves':>8}"
             f"{'M1 best':>11}{'P/theta':>9}{'saves':>8}"]
    for strategy in best["strategy"].values:
        for size in best["n_hidden"].values:
            cells = []
            for alpha in (0.0, 1.0):
                point = best.sel(strategy=strategy, n_hidden=size, alpha=alpha)
                cells.append(f"{float(point['energy']):>12.4g}{float(point['best_parameter']):>9.3g}"
                             f"{float(point['savings']):>8.3g}")
            lines.append(f"{strategy:<16}{int(size):>7}" + "".join(cells).replace("   nan", "     -"))
    if "hardware" in tree.children:
        hardware = tree["hardware"].attrs
        lines.append(f"hardware: {hardware['counter_source']}")
        lines.append("rank correlation with joules per task learned (update step): "
                     f"M0 {hardware['spearman_M0_joules_update']:.2f}, "
                     f"M1 {hardware['spearman_M1_joules_update']:.2f}")
    return "\n".join(lines)
