"""``mbsim fit FIT.yaml -o fit.h5``: fit parameters to lab data (point estimate, optional posterior)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .workers import add_worker_options, check_jobs

EXAMPLES = """examples:
  mbsim fit data/fits/retention_memory.yaml -o fit.h5
  mbsim fit data/fits/metabolic_survival.yaml -o fit.h5 --posterior --jobs 2
  mbsim fit FIT.yaml -o fit.h5 --resume            # continue a killed fit
  mbsim fit FIT.yaml -o fit.h5 --scheduler tcp://host:8786
  mbsim plot fit.h5
"""


def register(subparsers) -> None:
    parser = subparsers.add_parser("fit", help="fit model parameters to lab data",
                                   epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("fit_file", help="fit file (YAML; see docs/fitting.md)")
    parser.add_argument("-o", "--output", help="fit result (.h5); default: <fit name>.h5")
    parser.add_argument("--posterior", action="store_true", help="also sample the posterior (emcee)")
    parser.add_argument("--resume", action="store_true",
                        help="continue from the checkpoint of an earlier run with the same -o")
    add_worker_options(parser)
    parser.set_defaults(handler=fit_command)


def fit_command(args) -> int:
    from ..fit import load_problem, run_fit, save_fit
    from ..fit.runner import check_resume
    from ..io import check_destination
    check_jobs(args)
    problem = load_problem(args.fit_file)
    output = Path(args.output or f"{problem.spec.file.name}.h5")
    check_destination(output)
    check_resume(output, args.resume)
    problem.forward  # build the network and check protocols against it before any evaluation
    tree = run_fit(problem, output, posterior=args.posterior, resume=args.resume, jobs=args.jobs,
                   scheduler=args.scheduler, command="mbsim " + " ".join(sys.argv[1:]))
    save_fit(tree, output)
    if not args.quiet:
        print(summary(tree))
    print(f"wrote {output}")
    return 0


def summary(tree) -> str:
    """The estimates table."""
    est = tree["estimates"].to_dataset()
    lines = [f"{'parameter':44s} {'estimate':>12s} {'sd':>10s} {'start':>12s}  unit"]
    for i, name in enumerate(est["parameter"].values):
        lines.append(f"{name:44s} {float(est['estimate'][i]):12.4g} {float(est['sd'][i]):10.3g} "
                     f"{float(est['start'][i]):12.4g}  {est['unit'].values[i]}")
    lines.append(f"log posterior {est.attrs['log_posterior']:.3f} "
                 f"(start {est.attrs['log_posterior_start']:.3f}); "
                 f"{tree.attrs['evaluations']} evaluations in {tree.attrs['elapsed_s']:.1f} s")
    if "sample_stats" in tree.children and "ess_bulk" in tree["sample_stats"]:
        stats = tree["sample_stats"].to_dataset()
        lines.append(f"posterior: {stats.attrs['walkers']} chains x {stats.sizes['draw']} draws; "
                     f"max R-hat {stats.attrs['max_rhat']:.3f}, "
                     f"min bulk ESS {float(stats['ess_bulk'].min()):.0f} (ArviZ)")
    return "\n".join(lines)
