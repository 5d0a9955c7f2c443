"""Walk the ridge of the LTM trigger: scale mp1_max_activation up and trigger_gain down together.

The LTM trigger is ``trigger_gain * MP1 activity * KC flux rise`` and the flux rise grows with
``metabolism.mp1_max_activation``, so the product of the two, not each alone, sets how much LTM a
protocol forms, while the spaced / massed flux ratio grows with ``mp1_max_activation`` alone. The
script evaluates the joint calibration's objective (``data/fits/calibration.yaml``: 8 flies, the
graded readout) at the default parameters with ``mp1_max_activation * a`` and
``trigger_gain / a``, and with ``mp1_max_activation`` doubled alone, and prints for each the log
likelihood, the flux ratio, the survival ratio and the 24 h PI after 5 spaced cycles.

Run it from the repository root (about 4 min on 2 cores, all vectors in one batch)::

    python docs/examples/trigger_ridge.py
    python docs/examples/trigger_ridge.py --factors 1 2 3
"""

import argparse

import numpy as np

from mbsim.fit import load_problem
from mbsim.parameters import Parameters

FIT = "data/fits/calibration.yaml"
MP1, GAIN = "metabolism.mp1_max_activation", "memory.trigger_gain"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--factors", type=float, nargs="+", default=[1.0, 1.5, 2.0, 2.5, 3.0])
    args = parser.parse_args()
    problem = load_problem(FIT)
    names, defaults = problem.space.names, Parameters.default()
    base = np.array([defaults[name] for name in names])
    vectors = {}
    for a in args.factors:
        theta = base.copy()
        theta[names.index(MP1)] *= a
        theta[names.index(GAIN)] /= a
        vectors[f"{MP1} x{a:g}, {GAIN} /{a:g}"] = theta
    alone = base.copy()
    alone[names.index(MP1)] *= 2.0
    vectors[f"{MP1} x2 alone"] = alone
    evaluations = problem.evaluate_batch([problem.space.to_x(t) for t in vectors.values()])
    obs = problem.observations
    kinds = np.array(obs.kind)
    spaced_5x = [i for i, (p, t) in enumerate(zip(obs.protocol, obs.time))
                 if p == "aversive_spaced_5x" and t == 86400.0][0]
    flux, survival = np.flatnonzero(kinds == "flux_ratio")[0], np.flatnonzero(kinds == "survival_ratio")[0]
    print("vector | log likelihood | flux ratio | survival ratio | 5x spaced 24 h")
    for label, e in zip(vectors, evaluations):
        print(f"{label} | {np.sum(e.log_likelihood):.1f} | {e.predictions[flux]:.3f} | "
              f"{e.predictions[survival]:.3f} | {e.predictions[spaced_5x]:.3f}")


if __name__ == "__main__":
    main()
