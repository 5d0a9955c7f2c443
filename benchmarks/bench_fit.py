"""Evaluations per second of a fit, measured the way ``mbsim fit`` evaluates: batches of parameter
vectors through :class:`~mbsim.fit.estimate.BatchEvaluator`, split over Dask workers.

    .venv/bin/python benchmarks/bench_fit.py [FIT] [--stand-in] [--batch 64] [--batches 3]
                                             [--jobs 2] [--spread local|global] [--batch-size N]

FIT defaults to data/fits/metabolic_spaced.yaml (five metabolic parameters, one retention curve
and one survival curve). ``--stand-in`` runs on the analytic test network (same slow layer and
engine, no spiking); otherwise the spiking network with the readout emulator (a warm-up batch
simulates and calibrates the windows on every worker first). ``--spread local`` scatters points
by 2% of each coordinate range around the start (a sampler's or polish's batches); ``global``
draws them uniformly within the bounds (a global search's generations).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("fit", nargs="?", default=str(ROOT / "data/fits/metabolic_spaced.yaml"))
    parser.add_argument("--stand-in", action="store_true")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--batches", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--spread", choices=("local", "global"), default="local")
    parser.add_argument("--batch-size", type=int, help="vectors per task (default: the fit file's)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    os.environ.setdefault("MBSIM_STAND_INS", "analytic=analytic_network:AnalyticNetwork")
    from mbsim.fit.checkpoint import Checkpoint
    from mbsim.fit.estimate import BatchEvaluator, evaluate_batch_task
    from mbsim.parallel import Executor
    from mbsim.fit.problem import FitProblem
    from mbsim.fit.spec import parse_fit_text
    path = Path(args.fit)
    text = path.read_text()
    if args.stand_in:
        text = text.replace("network: default", 'network: "stand-in:analytic"')
    problem = FitProblem(parse_fit_text(text, str(path)))
    if args.batch_size:
        problem.settings = problem.settings.model_copy(update={"batch_size": args.batch_size})
    space, rng = problem.space, np.random.default_rng(0)
    x0 = space.to_x(space.start)
    bounds = np.array(space.x_bounds())

    def batch(size):
        if args.spread == "global":
            return list(rng.uniform(bounds[:, 0], bounds[:, 1], (size, len(x0))))
        return [np.clip(x0 + 0.02 * (bounds[:, 1] - bounds[:, 0]) * rng.standard_normal(len(x0)),
                        bounds[:, 0], bounds[:, 1]) for _ in range(size)]
    with Executor(args.jobs, env={"PYTHONPATH": str(ROOT / "tests")}) as executor:
        evaluator = BatchEvaluator(problem, executor, Checkpoint(None))
        started = time.perf_counter()
        executor.everywhere(evaluate_batch_task, (text, str(path), batch(2)))  # warm workers
        warm = time.perf_counter() - started
        started = time.perf_counter()
        values = np.concatenate([evaluator.values(batch(args.batch))
                                 for _ in range(args.batches)])
        elapsed = time.perf_counter() - started
    count = args.batch * args.batches
    print(f"{path.name}{' (stand-in)' if args.stand_in else ''}: warm-up {warm:.1f} s; "
          f"{count} evaluations ({args.batches} batches of {args.batch}, {args.spread}) in "
          f"{elapsed:.2f} s = {count / elapsed:.1f} evaluations/s on {args.jobs} worker(s); "
          f"{np.isfinite(values).mean():.0%} finite, log posterior median "
          f"{np.median(values[np.isfinite(values)]):.1f}")


if __name__ == "__main__":
    main()
