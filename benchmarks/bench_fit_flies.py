"""A fit's cohort of virtual flies: all flies of a protocol walked as one batch (fly-major columns,
what ``mbsim fit`` does) against the flies walked one after the other (the alternative: one
:class:`~mbsim.fit.columns.ColumnFly` per fly), in the same run, on one process.

    .venv/bin/python benchmarks/bench_fit_flies.py [FIT] [--flies 8] [--vectors 4] [--repeats 2]

FIT defaults to data/fits/calibration.yaml (spiking network, readout emulator); the first pass
simulates and calibrates every window and is not timed. Both ways must give the same PIs (to the
solver tolerance their shared steps allow): the largest difference is printed.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("fit", nargs="?", default=str(ROOT / "data/fits/calibration.yaml"))
    parser.add_argument("--flies", type=int, default=8)
    parser.add_argument("--vectors", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    from mbsim.engine.fly import TEST_PHASES
    from mbsim.fit.columns import column_changes
    from mbsim.fit.problem import FitProblem
    from mbsim.fit.spec import parse_fit_text
    path = Path(args.fit)
    problem = FitProblem(parse_fit_text(path.read_text(), str(path)))
    space, rng = problem.space, np.random.default_rng(0)
    x0 = space.to_x(space.start)
    width = np.array(space.x_bounds()) @ np.array([-1.0, 1.0])
    thetas = [space.from_x(x0 + 0.02 * width * rng.standard_normal(len(x0)))
              for _ in range(args.vectors)]
    changes = [space.changes(t) for t in thetas]
    model = problem.forward
    model.flies = args.flies
    names = [n for n, needs in model.needs.items() if needs.retention_times]
    k, total = len(changes), TEST_PHASES.index("total")
    varied = column_changes(changes)["network"]
    network = model.network_params.updated(varied, columns=True) if varied else None

    def together():
        memory, metabolism = model._column_parameters(changes * args.flies)
        out = []
        for name in names:
            fly = model.fly(name, range(args.flies), memory, metabolism, network, k * args.flies)
            p = fly.walk(np.empty(0), with_tests=True).p_avoid[:, total]
            out.append((2 * p - 1).reshape(-1, args.flies, k).mean(axis=1))
        return out

    def one_by_one():
        memory, metabolism = model._column_parameters(changes)
        out = []
        for name in names:
            pis = [2 * model.fly(name, [f], memory, metabolism, network, k).walk(
                np.empty(0), with_tests=True).p_avoid[:, total] - 1 for f in range(args.flies)]
            out.append(np.mean(pis, axis=0))
        return out

    started = time.perf_counter()
    reference = together()                                    # simulates every window once
    print(f"{path.name}: {len(names)} protocols, {args.flies} flies, {k} vectors; windows "
          f"simulated and calibrated in {time.perf_counter() - started:.1f} s")
    timings = {"together (fly-major batch)": together, "one fly after another": one_by_one}
    seconds = {label: [] for label in timings}
    for _ in range(args.repeats):
        for label, walk in timings.items():
            started = time.perf_counter()
            pis = walk()
            seconds[label].append(time.perf_counter() - started)
            difference = max(float(np.max(np.abs(a - b))) for a, b in zip(pis, reference))
            print(f"  {label}: {seconds[label][-1]:.1f} s (largest PI difference from the "
                  f"batch {difference:.1e})")
    best = {label: min(s) for label, s in seconds.items()}
    print(f"best of {args.repeats}: " + ", ".join(f"{label} {s:.1f} s" for label, s in best.items())
          + f"; speed-up {best['one fly after another'] / best['together (fly-major batch)']:.1f}x")


if __name__ == "__main__":
    main()
