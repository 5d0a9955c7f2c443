"""Cost of a meta-learning search: building the problem (spiking windows) and evaluating one rule.

Usage: python benchmarks/bench_meta_learning.py [EXPERIMENT] [--repeats 3]

For EXPERIMENT (default ``meta_full``, a file of data/meta_learning), times ``build_problem`` once
(the network compiled or loaded from the cache, every task seed's windows simulated) and
``evaluate_rule`` for the fly's rule, the unmodified rule and a top-k rule (best of ``--repeats``),
and prints the expected search time on the experiment's population x generations.
"""

from __future__ import annotations

import argparse
import time

from mbsim.efficiency.meta_experiment import load_meta_experiment
from mbsim.efficiency.meta_learning import RuleJob, build_problem, evaluate_rule
from mbsim.efficiency.rules import load_rule, unmodified_rule


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiment", nargs="?", default="meta_full")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    experiment, _ = load_meta_experiment(args.experiment)
    started = time.perf_counter()
    problem = build_problem(experiment)
    print(f"build_problem: {time.perf_counter() - started:.1f} s")
    rules = {"fly_default": load_rule(), "unmodified": unmodified_rule(),
             "top_k P=0.01": load_rule().updated({"restriction": "top_k", "plastic_fraction": 0.01})}
    per_rule = []
    for name, rule in rules.items():
        best = min(_timed(problem, rule) for _ in range(args.repeats))
        per_rule.append(best)
        print(f"evaluate_rule {name:<14} {best:.2f} s")
    settings = experiment.optimizer
    total = settings.population * settings.generations * sum(per_rule) / len(per_rule)
    print(f"{settings.population} x {settings.generations} rules: ~{total / 60:.1f} min of "
          "evaluations on one worker")


def _timed(problem, rule) -> float:
    started = time.perf_counter()
    evaluate_rule(RuleJob(problem, rule))
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
