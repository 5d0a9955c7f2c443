"""The slow layer of a cohort (memory coefficients, consolidation, metabolism) without spiking:
flies as columns with common steps against independent columns, optionally against another source
tree of mbsim as the baseline.

Usage: python benchmarks/bench_slow_layer.py [PROTOCOL] [--flies 1 8 32] [--repeats 3]
                                             [--baseline SOURCE_TREE]

Each configuration walks PROTOCOL (default ``aversive_spaced_10x``) for k flies with the tests'
analytic stand-in network (tests/analytic_network.py: windows in microseconds), so the time is the
slow layer's; best of ``--repeats``, each in a fresh subprocess. A baseline tree is run with the
same interpreter through PYTHONPATH (it knows common steps only).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

TREE = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1] + "/tests")
from analytic_network import AnalyticNetwork
from mbsim.engine.fly import Fly
from mbsim.engine.run import sample_times
from mbsim.engine.memory import load_memory_params
from mbsim.engine.slow import SlowLayer
from mbsim.metabolism import Metabolism
from mbsim.protocol import load_protocol
memory = load_memory_params()
schedule = load_protocol(sys.argv[2]).schedule()
flies, independent = int(sys.argv[3]), sys.argv[4] == "1"
options = {"independent": True} if independent else {}
slow = SlowLayer(memory, Metabolism(), columns=flies, **options)
started = time.perf_counter()
Fly(AnalyticNetwork(), schedule, memory, slow, list(range(flies))).run(sample_times(schedule, 200))
print(json.dumps(time.perf_counter() - started))
"""


def run_once(tree: Path, protocol: str, flies: int, independent: bool) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree), protocol, str(flies),
                          "1" if independent else "0"], env=env, cwd=tree, check=True,
                         capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("protocol", nargs="?", default="aversive_spaced_10x")
    parser.add_argument("--flies", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline", type=Path)
    args = parser.parse_args()
    configurations = [(TREE, "this tree, common steps", False),
                      (TREE, "this tree, independent columns", True)]
    if args.baseline is not None:
        configurations.insert(0, (args.baseline.resolve(), f"baseline {args.baseline}", False))
    print(f"{args.protocol}, analytic network, best of {args.repeats}:")
    print("| slow layer | flies | wall [s] | per fly [s] |")
    print("|---|---|---|---|")
    for flies in args.flies:
        for tree, label, independent in configurations:
            best = min(run_once(tree, args.protocol, flies, independent)
                       for _ in range(args.repeats))
            print(f"| {label} | {flies} | {best:.2f} | {best / flies:.3f} |", flush=True)


if __name__ == "__main__":
    main()
