"""Spiking throughput per fly at hemibrain scale: mbsim's windows against a plain Brian2 model.

Run from the project root:  .venv/bin/python benchmarks/bench_throughput.py [--repeats 3]

Measured in one run, so the ratios hold on a loaded machine: the plain Brian2 model of
``plain_brian2.py`` (one network, and 8 replicated in one project), mbsim's 165 s training window,
and a 5 s test read through its naive reference and four memory phases, once as five windows
(one call each) and once as five readout columns of one call. Needs the shared data folder.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mbsim.connectome import load_neuprint
from mbsim.engine.windows import TEST_DURATION, TEST_PULSES
from mbsim.network import MushroomBodyNetwork, OdorPulse, ShockPulse, Window
from mbsim.paths import shared_data_dir
from plain_brian2 import build_and_run

OCT, MCH = "3-octanol", "4-methylcyclohexanol"
TRAINING = Window(165.0, odors=(OdorPulse(OCT, 0.0, 60.0), OdorPulse(MCH, 105.0, 165.0)),
                  shocks=tuple(ShockPulse(5.0 * k, 1.5, 60.0) for k in range(12)), seed=1)
TEST = Window(TEST_DURATION, odors=(OdorPulse(OCT, *TEST_PULSES[0]),
                                    OdorPulse(MCH, *TEST_PULSES[1])), seed=2)


def best_of(repeats: int, function) -> float:
    times = []
    for k in range(repeats):
        started = time.perf_counter()
        function(k)
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    connectome = load_neuprint(shared_data_dir() / "connectome" / "hemibrain_v1.2.1_mb")
    rows = []
    for copies in (1, 8):
        plain = build_and_run(connectome, copies=copies)
        rows.append((f"plain Brian2 LIF, {copies} network(s) in one project, dt 0.1 ms",
                     f"{plain['pairs'] * copies}", plain["compile_s"], 10.0 * copies,
                     plain["run_s"], plain["x_real_time_per_fly"]))
    network = MushroomBodyNetwork(connectome)
    started = time.perf_counter()
    network.compile()
    compiled = time.perf_counter() - started
    synapses = len(network.structure.pn_kc.pre) + len(network.structure.kc_mbon.pre)
    seconds = best_of(args.repeats, lambda k: network.simulate(TRAINING.with_seed(10 + k)))
    rows.append(("mbsim 165 s training window, dt 0.2 ms", str(synapses), compiled, 165.0,
                 seconds, 165.0 / seconds))
    rng = np.random.default_rng(0)
    shape = (network.n_kc, len(network.compartments))
    readouts = [None] + [rng.uniform(0.3, 1.0, shape) for _ in range(4)]
    alone = best_of(args.repeats, lambda k: [network.simulate(TEST.with_seed(20 + k), e)
                                             for e in readouts])
    together = best_of(args.repeats,
                       lambda k: network.simulate_columns(TEST.with_seed(30 + k), readouts))
    rows.append(("mbsim test, naive + 4 phases as 5 windows", str(synapses), 0.0, 25.0, alone,
                 25.0 / alone))
    rows.append(("mbsim test, naive + 4 phases as 5 readout columns of one call", str(synapses),
                 0.0, 25.0, together, 25.0 / together))
    print("| model | synapses (pairs) | compile [s] | simulated fly-seconds | wall [s] | "
          "x real time per fly |")
    print("|---|---|---|---|---|---|")
    for name, pairs, compile_s, simulated, wall, speed in rows:
        print(f"| {name} | {pairs} | {compile_s:.1f} | {simulated:.0f} | {wall:.2f} | "
              f"{speed:.1f} |")


if __name__ == "__main__":
    main()
