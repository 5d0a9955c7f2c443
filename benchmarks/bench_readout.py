"""The graded test readout (``Model(readout="graded")``, the default) against the spiking readout (the
alternative, and the readout before), in the same run: massed training alone and under
cycloheximide and a cold shock, as ``mbsim run`` runs them one after the other in one process.

    .venv/bin/python benchmarks/bench_readout.py [--cohort 2] [--jobs 1]

Prints the wall time of each protocol for each readout (the compiled network is loaded before the
clock starts) and the per-fly change of P(avoid CS+) at 24 h that each intervention causes.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

PROTOCOLS = ("aversive_massed_10x", "aversive_massed_10x_cycloheximide",
             "aversive_massed_10x_cold_shock")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cohort", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=1)
    args = parser.parse_args()
    import mbsim
    print("| readout | " + " | ".join(PROTOCOLS) + " | total [s] | "
          "cycloheximide change per fly | cold-shock change per fly |")
    print("|---" * (len(PROTOCOLS) + 4) + "|")
    for readout in ("spiking", "graded"):
        model = mbsim.Model(readout=readout)
        model.network.network.compile()
        seconds, at_24h = [], []
        for name in PROTOCOLS:
            started = time.perf_counter()
            result = mbsim.Simulation(model, name).run(cohort=args.cohort, seed=1, jobs=args.jobs)
            seconds.append(time.perf_counter() - started)
            at_24h.append(result.tree["choices"]["p_avoid"].sel(retention_time=86400.0)
                          .values[:, 0])
        changes = [np.array2string(p - at_24h[0], precision=10) for p in at_24h[1:]]
        print(f"| {readout} | " + " | ".join(f"{s:.1f}" for s in seconds)
              + f" | {sum(seconds):.1f} | " + " | ".join(changes) + " |")


if __name__ == "__main__":
    main()
