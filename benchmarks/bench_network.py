"""Speed of the spiking network: compile time, cache reuse and simulated seconds per wall second.

Run from the project root:  .venv/bin/python benchmarks/bench_network.py [--cold]
``--cold`` compiles into a fresh temporary cache (otherwise the user cache is used, so a second run
measures reuse). The hemibrain network needs the shared data folder (paths.shared_data_dir()).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from mbsim.connectome import load_default, load_neuprint
from mbsim.network import MushroomBodyNetwork, OdorPulse, ShockPulse, Window
from mbsim.paths import shared_data_dir

TRAINING = Window(60.0, odors=(OdorPulse("3-octanol", 0.0, 60.0),),
                  shocks=tuple(ShockPulse(1.0 + 5.0 * k, 1.5, 90.0) for k in range(12)), seed=1)
TEST = Window(4.0, odors=(OdorPulse("3-octanol", 0.5, 1.5),
                          OdorPulse("4-methylcyclohexanol", 2.5, 3.5)), seed=2)
REUSE = """
import time; t = time.perf_counter()
from mbsim.connectome import {loader}
from mbsim.network import MushroomBodyNetwork
net = MushroomBodyNetwork({call}); net.compile()
print(time.perf_counter() - t)
"""


def connectomes():
    folder = shared_data_dir() / "connectome" / "hemibrain_v1.2.1_mb"
    yield "default", load_default(), ("load_default", "load_default()")
    yield "hemibrain v1.2.1", load_neuprint(folder), ("load_neuprint", f"load_neuprint('{folder}')")


def speed(net, window, repeats: int) -> float:
    """Simulated seconds per wall-clock second (best of ``repeats``)."""
    best = np.inf
    for k in range(repeats):
        start = time.perf_counter()
        net.simulate(window.with_seed(window.seed + k))
        best = min(best, time.perf_counter() - start)
    return window.duration / best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold", action="store_true", help="compile into a fresh cache")
    args = parser.parse_args()
    if args.cold:
        os.environ["MBSIM_CACHE"] = tempfile.mkdtemp(prefix="mbsim-bench-")
    print("| network | neurons | KC->MBON pairs | compile [s] | reuse in new process [s] | "
          "60 s training [x real time] | 4 s test [x real time] |")
    print("|---|---|---|---|---|---|---|")
    for name, connectome, (loader, call) in connectomes():
        net = MushroomBodyNetwork(connectome)
        start = time.perf_counter()
        net.compile()
        compile_time = time.perf_counter() - start
        reuse = subprocess.run([sys.executable, "-c", REUSE.format(loader=loader, call=call)],
                               capture_output=True, text=True, check=True, env=os.environ)
        n_neurons = len(connectome.neurons)
        print(f"| {name} | {n_neurons} | {len(net.structure.kc_mbon.pre)} | {compile_time:.1f} | "
              f"{float(reuse.stdout.split()[-1]):.1f} | {speed(net, TRAINING, 2):.1f} | "
              f"{speed(net, TEST, 5):.1f} |", flush=True)


if __name__ == "__main__":
    main()
