"""The table of docs/validation.md: every public data point beside the default model.

For each row of a fit's data (by default the joint calibration's): the lab value +- SEM, the
default model's expected PI from the engine (``--cohort`` flies, as ``mbsim run``: the spiking
network read through the default graded readout), the 95%
band of the fit's posterior predictive (readout emulator), and the PI +- SEM of lab-like tubes (8
tubes of 100 flies, the lab's n). Survival ratios and flux ratios come from the engine's runs too
(median survival times; mean PDH flux of the MP1-target compartments at the row's time).
Then the resistance of memory to each intervention: the PI change it causes, mean +- SEM over the
flies (the same flies, paired: a protocol's seed gives the same flies whatever the intervention).

    .venv/bin/python docs/lab_comparison.py calibration.h5 --cohort 8 --jobs 2 > table.md
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from mbsim import Model, Simulation
from mbsim.fit import load_fit


def posterior_band(fit, observation: int) -> tuple[float, float]:
    draws = fit["posterior_predictive"].to_dataset()["observed"].sel(observation=observation)
    return tuple(float(q) for q in np.percentile(draws.values.ravel(), [2.5, 97.5]))


def mp1_flux(tree, targets, after_training: float) -> float:
    """Mean over flies of the KC pyruvate (PDH) flux averaged over MP1's target compartments."""
    flux = tree["metabolism"].to_dataset()["mito_flux"].sel(compartment=list(targets))
    at = tree["retention"].attrs["training_end_s"] + after_training
    return float(flux.mean(("fly", "compartment")).sel(time=at, method="nearest"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fit", help="fit result with a posterior (mbsim fit ... --posterior)")
    parser.add_argument("--cohort", type=int, default=8)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    fit = load_fit(args.fit)
    rows = fit["predictions"].to_dataset()
    model, runs = Model(), {}

    def run(name):
        if name not in runs:
            started = time.perf_counter()
            runs[name] = Simulation(model, name).run(cohort=args.cohort, jobs=args.jobs).tree
            print(f"<!-- {name}: {time.perf_counter() - started:.0f} s -->")
        return runs[name]

    print("| data | protocol | time | lab +- SEM | model (engine) | posterior 95% | "
          "lab-like tubes +- SEM |")
    print("|---|---|---|---|---|---|---|")
    for i in range(rows.sizes["observation"]):
        kind, protocol = str(rows["kind"].values[i]), str(rows["protocol"].values[i])
        seconds, observed, sem = (float(rows[k].values[i]) for k in ("time", "observed", "sem"))
        low, high = posterior_band(fit, int(rows["observation"].values[i]))
        tubes = ""
        if kind == "retention":
            retention = run(protocol)["retention"].to_dataset().sel(phase="total").sel(
                retention_time=seconds)       # a KeyError if the protocol has no such test
            model_value = float(retention["pi_expected"])
            tubes = f"{float(retention['tube_pi_mean']):+.2f} +- {float(retention['tube_pi_sem']):.2f}"
        elif kind == "survival_ratio":
            condition, reference = protocol.split(" / ")
            model_value = (run(condition)["survival"].attrs["median_survival_s"]
                           / run(reference)["survival"].attrs["median_survival_s"])
        else:
            condition, reference = protocol.split(" / ")
            targets = model.parameters["metabolism.mp1_target_compartments"]
            model_value = (mp1_flux(run(condition), targets, seconds)
                           / mp1_flux(run(reference), targets, seconds))
        when = "" if np.isnan(seconds) else _time(seconds)
        print(f"| {rows['dataset'].values[i]} | {protocol} | {when} | {observed:+.2f} +- {sem:.2f} | "
              f"{model_value:+.2f} | [{low:+.2f}, {high:+.2f}] | {tubes} |")
    resistance_table(run)


#: (intervention protocol, its control, test time [s]) of the resistance table.
RESISTANCE = (("aversive_massed_10x_cycloheximide", "aversive_massed_10x", 86400.0),
              ("aversive_massed_10x_cold_shock", "aversive_massed_10x", 86400.0),
              ("aversive_spaced_10x_cycloheximide", "aversive_spaced_10x", 86400.0),
              ("aversive_1x_cold_shock", "aversive_1x", 10800.0))


def fly_pis(tree, seconds: float) -> np.ndarray:
    """Each fly's expected PI (total memory) at one test."""
    p_avoid = tree["choices"].to_dataset()["p_avoid"].sel(phase="total", retention_time=seconds)
    return 2 * p_avoid.values - 1


def resistance_table(run) -> None:
    """The PI change of each intervention against its control, paired over the flies."""
    print("\n| intervention | control | time | PI change +- SEM (flies) | relative to control |")
    print("|---|---|---|---|---|")
    for treated, control, seconds in RESISTANCE:
        change = fly_pis(run(treated), seconds) - fly_pis(run(control), seconds)
        sem = change.std(ddof=1) / np.sqrt(len(change))
        base = fly_pis(run(control), seconds).mean()
        print(f"| {treated} | {control} | {_time(seconds)} | {change.mean():+.2g} +- {sem:.2g} | "
              f"{100 * change.mean() / base:+.2g}% |")


def _time(seconds: float) -> str:
    for unit, size in (("d", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


if __name__ == "__main__":
    main()
