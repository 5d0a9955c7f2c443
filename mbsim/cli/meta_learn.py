"""``mbsim meta-learn``: search the plasticity-rule family for rules that perform, save energy and
resist energy scarcity; write the Pareto front as HDF5 and its figures."""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from ..errors import InputError
from .workers import add_worker_options, check_jobs

EXAMPLES = """examples:
  mbsim meta-learn meta_small -o meta.h5
  mbsim meta-learn meta_full --jobs 2 -o meta_full.h5 --figures docs/figures/meta_full
  mbsim meta-learn meta_full -o meta_full.h5 --resume     # continue an interrupted search
  mbsim meta-learn meta_full --scheduler tcp://10.0.0.5:8786 -o meta_full.h5
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser("meta-learn", help="meta-learn energy-efficient, resilient "
                                   "plasticity rules (Pareto front of performance, energy, "
                                   "resilience)", epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("experiment", help="meta-learning file, or the name of one in "
                        "data/meta_learning (docs/meta-learning.md)")
    parser.add_argument("-o", "--output", help="result file (.h5); default: <experiment name>.h5")
    parser.add_argument("--figures", help="path stem of the two PNG figures (default: the output "
                        "path without .h5)")
    parser.add_argument("--no-figures", action="store_true", help="write only the HDF5 result")
    parser.add_argument("--resume", action="store_true", help="continue from the checkpoint of an "
                        "earlier run with the same -o (<output>.checkpoint)")
    add_worker_options(parser)
    parser.set_defaults(handler=meta_learn_command)


def meta_learn_command(args) -> int:
    from ..efficiency.meta_experiment import load_meta_experiment
    from ..efficiency.meta_learning import run_meta_learning
    from ..io import check_destination, save
    check_jobs(args)
    experiment, searched = load_meta_experiment(args.experiment)
    output = Path(args.output or f"{experiment.name}.h5")
    check_destination(output)
    checkpoint = output.with_name(output.name + ".checkpoint")
    if args.resume and not checkpoint.is_dir():
        raise InputError(found=f"--resume without a checkpoint at {checkpoint}",
                         expected="the checkpoint of an earlier run with the same -o",
                         field="--resume")
    tree = run_meta_learning(experiment, searched, jobs=args.jobs, scheduler=args.scheduler,
                             checkpoint=checkpoint, resume=args.resume, progress=not args.quiet,
                             command="mbsim " + " ".join(sys.argv[1:]))
    save(tree, output)
    shutil.rmtree(checkpoint, ignore_errors=True)
    print(summary_table(tree))
    print(f"wrote {output}")
    if not args.no_figures:
        from ..plot.meta_learning import write_figures
        for path in write_figures(tree, args.figures or str(output.with_suffix(""))):
            print(f"wrote {path}")
    return 0


def summary_table(tree) -> str:
    """The Pareto-front rules and the references: objectives and the main rule parameters."""
    trials, refs = tree["trials"].to_dataset(), tree["references"].to_dataset()
    front = trials.isel(trial=[i for i, f in enumerate(trials["on_front"].values) if f])
    lines = [f"{'rule':<14}{'perform':>8}{'energy':>11}{'resil':>7}{'restrict':>16}{'rate':>7}"
             f"{'cache h':>8}{'thresh':>8}{'LTM gate':>9}{'margin':>7}"]

    def row(name, point):
        return (f"{name:<14}{float(point['performance']):>8.3f}{float(point['energy']):>11.3g}"
                f"{float(point['resilience']):>7.2f}{str(point['restriction'].values):>16}"
                f"{float(point['learning_rate']):>7.2f}{float(point['cache_decay_time']) / 3600:>8.2f}"
                f"{float(point['consolidation_threshold']):>8.3f}"
                f"{float(point['ltm_energy_threshold']):>9.2f}{float(point['error_margin']):>7.2f}")
    order = front["performance"].values.argsort()[::-1]
    lines += [row(f"trial {int(front['trial'].values[i])}", front.isel(trial=i)) for i in order]
    lines += [row(str(rule), refs.sel(rule=rule)) for rule in refs["rule"].values]
    return "\n".join(lines)
