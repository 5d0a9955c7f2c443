"""Wall time of one protocol run (one fly), cold (fresh compile cache) and warm (cached).

Usage: python benchmarks/bench_engine.py [PROTOCOL] [--cohort N]

Runs ``mbsim run`` in a subprocess twice: first with an empty cache folder (so the network is
compiled), then again with that folder (compiled code reused). Prints the wall time of each and
the split the result file records (compile or load, spiking windows, slow layer).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import h5py


def run_once(protocol: str, cohort: int, cache: str, output: Path) -> tuple[float, dict]:
    env = {"MBSIM_CACHE": cache, "PATH": "/usr/bin:/bin"}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "mbsim", "-q", "run", protocol, "--cohort", str(cohort),
                    "-o", str(output)], check=True, env=env)
    wall = time.perf_counter() - started
    with h5py.File(output, "r") as f:
        timing = json.loads(f.attrs["timing"])
    return wall, timing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("protocol", nargs="?", default="aversive_spaced_10x")
    parser.add_argument("--cohort", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as out:
        for label in ("cold (compiles)", "warm (cached)"):
            wall, timing = run_once(args.protocol, args.cohort, cache, Path(out) / "r.h5")
            split = ", ".join(f"{k} {v:.1f} s" for k, v in timing.items())
            print(f"{args.protocol}, {args.cohort} fly, {label}: {wall:.1f} s wall ({split})")


if __name__ == "__main__":
    main()
