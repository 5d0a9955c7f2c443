"""``mbsim ann-check``: the plasticity strategies on a plain artificial network (digits), with the
hardware cost of every rule's update step; writes an HDF5 result."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .energy_sweep import summary_table as optimal_table
from .workers import add_worker_options, check_jobs

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
    add_worker_options(parser)
    parser.set_defaults(handler=ann_check_command)


def ann_check_command(args) -> int:
    from ..efficiency.ann_check import run_ann_check
    from ..efficiency.ann_experiment import load_ann_experiment
    from ..io import check_destination, save
    check_jobs(args)
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
    lines = optimal_table(tree, size="n_hidden", label="hidden").splitlines()
    if "hardware" in tree.children:
        hardware = tree["hardware"].attrs
        lines.append(f"hardware: {hardware['counter_source']}")
        lines.append("rank correlation with joules per task learned (update step): "
                     f"M0 {hardware['spearman_M0_joules_update']:.2f}, "
                     f"M1 {hardware['spearman_M1_joules_update']:.2f}")
    return "\n".join(lines)
