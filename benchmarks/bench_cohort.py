"""Wall time of a cohort's run: flies one column each (k = 1) against the whole cohort as columns of
one slow layer (k = cohort), optionally against another source tree of mbsim as the baseline.

Usage: python benchmarks/bench_cohort.py [PROTOCOL] [--cohort N] [--jobs J] [--repeats R]
                                         [--baseline SOURCE_TREE]

Each configuration runs ``mbsim run`` in a fresh subprocess (compiled networks cached: run once
beforehand to compile), in turn, ``--repeats`` times; prints the median wall time and the split
that the result file records (spiking windows, slow layer), summed over flies. A baseline tree
(e.g. a checkout of an older commit) is run with the same interpreter through PYTHONPATH.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py

TREE = Path(__file__).resolve().parents[1]


def run_once(tree: Path, protocol: str, cohort: int, jobs: int, batch: int | None,
             output: Path) -> tuple[float, dict]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "mbsim", "-q", "run", protocol, "--cohort", str(cohort),
               "--jobs", str(jobs), "-o", str(output)]
    if batch is not None:
        command += ["--batch-size", str(batch)]
    started = time.perf_counter()
    subprocess.run(command, check=True, env=env, cwd=tree, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    with h5py.File(output, "r") as f:
        return wall, json.loads(f.attrs["timing"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("protocol", nargs="?", default="aversive_spaced_10x")
    parser.add_argument("--cohort", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--baseline", type=Path, help="source tree of the mbsim to compare with")
    args = parser.parse_args()
    configurations = [("k = 1 (one column per fly)", TREE, 1),
                      (f"k = {args.cohort} (the cohort as columns)", TREE, args.cohort)]
    if args.baseline is not None:
        configurations.insert(0, (f"baseline {args.baseline}", args.baseline.resolve(), None))
    walls = {label: [] for label, _, _ in configurations}
    splits = {}
    with tempfile.TemporaryDirectory() as out:
        for _ in range(args.repeats):
            for label, tree, batch in configurations:
                wall, timing = run_once(tree, args.protocol, args.cohort, args.jobs, batch,
                                        Path(out) / "r.h5")
                walls[label].append(wall)
                splits[label] = timing
    print(f"{args.protocol}, cohort {args.cohort}, --jobs {args.jobs}, {args.repeats} repeat(s):")
    for label, _, _ in configurations:
        timing = splits[label]
        print(f"  {label}: {statistics.median(walls[label]):.1f} s wall (runs: "
              + ", ".join(f"{w:.1f}" for w in walls[label])
              + f"); spiking windows {timing['spiking_windows_s']:.1f} s, slow layer "
              f"{timing['slow_layer_s']:.2f} s")


if __name__ == "__main__":
    main()
