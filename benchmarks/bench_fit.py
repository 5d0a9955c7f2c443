"""Evaluations per second of the benchmark fit (data/fits/metabolic_survival.yaml): five metabolic
parameters, the shared retention curves and the survival medians.

    .venv/bin/python benchmarks/bench_fit.py [--stand-in] [--evaluations 6] [--jobs 2]

``--stand-in`` runs on the analytic test network (same slow layer, no spiking); otherwise the spiking
network with the readout emulator (the first evaluation simulates and calibrates the windows).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def task(item):
    from mbsim.fit.estimate import evaluate_task
    return evaluate_task(item).log_posterior


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--stand-in", action="store_true")
    parser.add_argument("--evaluations", type=int, default=6)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "tests"))
    from mbsim.fit import load_fit_file
    from mbsim.fit.executor import Executor
    path = ROOT / "data/fits/metabolic_survival.yaml"
    text = path.read_text()
    if args.stand_in:
        text = text.replace("network: default", 'network: "analytic_network:AnalyticNetwork"')
    spec = load_fit_file(path)
    rng = np.random.default_rng(0)
    from mbsim.fit.problem import problem_for
    problem = problem_for(text, str(path))
    x0 = problem.space.to_x(problem.space.start)
    bounds = np.array(problem.space.x_bounds())
    points = [x0 + 0.02 * (bounds[:, 1] - bounds[:, 0]) * rng.standard_normal(len(x0))
              for _ in range(args.evaluations)]
    started = time.perf_counter()
    problem.evaluate(x0)
    warm = time.perf_counter() - started
    env = {"PYTHONPATH": str(ROOT / "tests")}
    with Executor(args.jobs, env=env) as executor:
        executor.map(task, [(text, str(path), x0)] * max(args.jobs, 1))  # warm every worker
        started = time.perf_counter()
        values = executor.map(task, [(text, str(path), x) for x in points])
        elapsed = time.perf_counter() - started
    print(f"{spec.file.name}: first evaluation {warm:.2f} s; {len(points)} evaluations in "
          f"{elapsed:.2f} s = {len(points) / elapsed:.3f} evaluations/s on {args.jobs} worker(s); "
          f"log posteriors {np.round(values, 1).tolist()}")


if __name__ == "__main__":
    main()
