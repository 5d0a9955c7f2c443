"""Wall time and peak memory of a cohort's run, for several cohort sizes, optionally against
another source tree of mbsim as the baseline.

Usage: python benchmarks/bench_cohort.py [PROTOCOL] [--cohorts 8 64] [--jobs J] [--repeats R]
                                         [--batch-size B] [--baseline SOURCE_TREE]

Each configuration runs ``mbsim run`` in a fresh subprocess (compiled networks cached: run once
beforehand to compile), in turn, ``--repeats`` times; prints the median wall time, the peak
resident memory of the whole process tree (sampled every 0.1 s: the run, its Dask workers and the
compiled network's processes) and the split that the result file records (spiking windows, slow
layer; summed over flies). A baseline tree (e.g. a checkout of an older commit) is run with the
same interpreter through PYTHONPATH.
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
import psutil

TREE = Path(__file__).resolve().parents[1]


def tree_rss(process: psutil.Process) -> int:
    """Resident bytes of a process and all its descendants."""
    total = 0
    for member in [process, *process.children(recursive=True)]:
        try:
            total += member.memory_info().rss
        except psutil.Error:
            pass
    return total


def run_once(tree: Path, protocol: str, cohort: int, jobs: int, batch: int | None,
             output: Path) -> tuple[float, int, dict]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [sys.executable, "-m", "mbsim", "-q", "run", protocol, "--cohort", str(cohort),
               "--jobs", str(jobs), "-o", str(output)]
    if batch is not None:
        command += ["--batch-size", str(batch)]
    started = time.perf_counter()
    child = subprocess.Popen(command, env=env, cwd=tree, stdout=subprocess.DEVNULL)
    process, peak = psutil.Process(child.pid), 0
    while child.poll() is None:
        peak = max(peak, tree_rss(process))
        time.sleep(0.1)
    wall = time.perf_counter() - started
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed with exit code {child.returncode}")
    with h5py.File(output, "r") as f:
        return wall, peak, json.loads(f.attrs["timing"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("protocol", nargs="?", default="aversive_spaced_10x")
    parser.add_argument("--cohorts", type=int, nargs="+", default=[8])
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--batch-size", type=int, help="flies per batch (default: mbsim's)")
    parser.add_argument("--baseline", type=Path, help="source tree of the mbsim to compare with")
    args = parser.parse_args()
    trees = [("this tree", TREE)]
    if args.baseline is not None:
        trees.insert(0, (f"baseline {args.baseline}", args.baseline.resolve()))
    print(f"{args.protocol}, --jobs {args.jobs}, {args.repeats} repeat(s):")
    print("| mbsim | flies | wall [s] | peak memory [GiB] | spiking windows [s] | slow layer [s] |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as out:
        for cohort in args.cohorts:
            for label, tree in trees:
                runs = [run_once(tree, args.protocol, cohort, args.jobs, args.batch_size,
                                 Path(out) / "r.h5") for _ in range(args.repeats)]
                wall = statistics.median(run[0] for run in runs)
                peak = max(run[1] for run in runs) / 2**30
                timing = runs[-1][2]
                print(f"| {label} | {cohort} | {wall:.1f} | {peak:.2f} | "
                      f"{timing['spiking_windows_s']:.1f} | {timing['slow_layer_s']:.2f} |",
                      flush=True)


if __name__ == "__main__":
    main()
