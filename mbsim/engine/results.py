"""Assemble the flies' outcomes into one xarray DataTree (layout: docs/output-format.md)."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..network.readout import tube_pis
from ..result_versions import gather_compartments
from .fly import TEST_PHASES
from .memory import EFFICACY_QUANTILES, PHASES
from .slow import GLOBALS

ENERGY_CAUSES = ("spikes", "synapses", "plasticity_labile", "plasticity_ARM", "plasticity_LTM",
                 "basal")


def _attrs(units: str, long_name: str) -> dict:
    return {"units": units, "long_name": long_name}


def retention_dataset(outcomes, tests, rng: np.random.Generator, tubes: int, tube_size: int,
                      tube_rng: np.random.Generator, tube_variability: float = 0.0):
    """PI per test and phase from each fly's choice, plus the per-fly choices, and the PIs of
    ``tubes`` lab-like tubes of ``tube_size`` flies drawn from the cohort (``tube_rng``; tubes
    differ by ``tube_variability``, see :func:`~mbsim.network.readout.tube_pis`).

    ``tests`` are the schedule's :class:`~mbsim.protocol.schedule.Test`: the dimension is their
    retention time (seconds after the end of the phase they follow, as labs report it), labelled
    by coordinates with the test's window label, absolute time, sides and phase.
    """
    test_times = [test.time for test in tests]
    p_avoid = np.stack([o.p_avoid for o in outcomes])          # (fly, test, phase)
    choices = np.where(rng.random(p_avoid.shape) < p_avoid, 1, -1).astype(np.int8)
    n = p_avoid.shape[0]
    pi = choices.mean(axis=0)
    sem = choices.std(axis=0, ddof=1) / np.sqrt(n) if n > 1 else np.full(pi.shape, np.nan)
    side = {0: [test.sides[0].name for test in tests],
            1: [test.sides[1].name if test.sides[1] is not None else "air" for test in tests]}
    coords = {"retention_time": ("retention_time", np.array([t.retention_time for t in tests], float),
                                 _attrs("s", "retention time: test time after the end of the phase "
                                             "it follows (of training, in schema version 1)")),
              "test_label": ("retention_time", [test.label for test in tests],
                             _attrs("1", "the test's window label")),
              "test_time": ("retention_time", np.asarray(test_times, float),
                            _attrs("s", "test time after the start of the protocol")),
              "side_a": ("retention_time", side[0], _attrs("1", "odor of the side whose "
                                                                "avoidance the PI counts (CS+)")),
              "side_b": ("retention_time", side[1], _attrs("1", "odor of the other side, or air")),
              "after_phase": ("retention_time", [test.after for test in tests],
                              _attrs("1", "the phase the retention time is measured from")),
              "phase": ("phase", list(TEST_PHASES))}
    retention = xr.Dataset(
        {"pi": (("retention_time", "phase"), pi, _attrs("1", "performance index (+ = avoidance of side_a, the CS+)")),
         "pi_sem": (("retention_time", "phase"), sem, _attrs("1", "standard error of the PI")),
         "pi_expected": (("retention_time", "phase"), (2 * p_avoid - 1).mean(axis=0),
                         _attrs("1", "mean over flies of 2 P(avoid CS+) - 1")),
         "n": ("retention_time", np.full(len(test_times), n, dtype=np.int64),
               _attrs("1", "virtual flies tested"))}, coords=coords)
    tube = tube_pis(p_avoid, tubes, tube_size, tube_rng, tube_variability)
    tube_sem = tube.std(axis=0, ddof=1) / np.sqrt(tubes) if tubes > 1 else np.full(pi.shape, np.nan)
    retention["tube_pi"] = (("tube", "retention_time", "phase"), tube,
                            _attrs("1", f"PI of a lab-like tube of {tube_size} flies, each a draw "
                                        "of one simulated fly choosing once, the tube's log-odds "
                                        f"scaled by exp({tube_variability:g} z)"))
    retention["tube_pi_mean"] = (("retention_time", "phase"), tube.mean(axis=0),
                                 _attrs("1", "mean PI over the lab-like tubes"))
    retention["tube_pi_sem"] = (("retention_time", "phase"), tube_sem,
                                _attrs("1", "standard error of the PI over the lab-like tubes "
                                            "(sd / sqrt(tubes), ddof 1)"))
    retention = retention.assign_coords(tube=("tube", np.arange(tubes)))
    retention.attrs["tube_size"] = int(tube_size)
    retention.attrs["tube_variability"] = float(tube_variability)
    fly_coords = {**coords, "fly": ("fly", np.arange(n))}
    per_fly = xr.Dataset(
        {"choice": (("fly", "retention_time", "phase"), choices,
                    _attrs("1", "+1 avoided CS+, -1 approached CS+")),
         "p_avoid": (("fly", "retention_time", "phase"), p_avoid,
                     _attrs("1", "probability of avoiding CS+"))}, coords=fly_coords)
    return retention, per_fly


def weights_dataset(outcomes, compartments) -> xr.Dataset:
    """Effective (bounded) KC->MBON efficacy of the CS+ KCs' synapses per compartment and phase:
    its mean change and its quantiles over those synapses, each averaged over flies."""
    times = outcomes[0].sample_times
    mean = np.mean([o.weights for o in outcomes], axis=0)
    quantiles = np.mean([o.weight_quantiles for o in outcomes], axis=0)
    return xr.Dataset(
        {"efficacy_change": (("time", "compartment", "phase"), mean - 1.0,
                             _attrs("1", "mean change of the CS+ KCs' effective synaptic efficacy "
                                         "(efficacy bounded in [efficacy_min, efficacy_max]; 0 = naive)")),
         "efficacy_quantile": (("time", "compartment", "phase", "quantile"), quantiles,
                               _attrs("1", "quantile over the CS+ KCs' synapses of their effective "
                                           "efficacy (1 = naive), mean over flies"))},
        coords={"time": ("time", times, _attrs("s", "time after the start of training")),
                "compartment": ("compartment", list(compartments)),
                "phase": ("phase", list(TEST_PHASES)),
                "quantile": ("quantile", list(EFFICACY_QUANTILES),
                             _attrs("1", "probability level of the quantile"))})


def spiking_dataset(outcomes) -> xr.Dataset:
    """Mean rate per cell type per window of the first fly (all flies see the same windows)."""
    windows = outcomes[0].windows
    types = sorted({t for w in windows for t in w.rates})
    labels = [w.label for w in windows]
    rates = np.array([[np.mean([o.windows[i].rates.get(t, 0.0) for o in outcomes])
                       for t in types] for i in range(len(windows))]).reshape(len(windows), len(types))
    data = xr.Dataset(
        {"rate": (("window", "cell_type"), rates, _attrs("Hz", "mean firing rate per neuron")),
         "kc_fraction_active": ("window", [np.mean([o.windows[i].kc_fraction_active for o in outcomes])
                                           for i in range(len(windows))],
                                _attrs("1", "fraction of KCs that spiked during the odor")),
         "window_start": ("window", [w.start for w in windows], _attrs("s", "window start")),
         "window_duration": ("window", [w.duration for w in windows], _attrs("s", "window length"))},
        coords={"window": ("window", labels), "cell_type": ("cell_type", types)})
    return data


def neuron_dataset(structure) -> xr.Dataset:
    """The network's neurons, one row per neuron: what ``kc_index``, ``neuron`` and cell types in
    the other groups refer to, with the connectome's own id (neuPrint bodyId, FlyWire root_id)."""
    tables = [(cls, table) for cls, table in structure.groups.items()]
    column = {name: np.concatenate([table[name].astype(str).to_numpy() for _, table in tables])
              for name in ("cell_type", "subtype", "compartments", "side")}
    return xr.Dataset(
        {"cell_class": ("neuron", np.concatenate([[cls] * len(table) for cls, table in tables]),
                        _attrs("1", "cell class (PN, KC, APL, MBON, DAN)")),
         "class_index": ("neuron", np.concatenate([np.arange(len(t)) for _, t in tables]).astype(
             np.int32), _attrs("1", "index within the cell class (kc_index for KCs)")),
         "connectome_id": ("neuron", np.concatenate([t["id"].to_numpy(np.int64) for _, t in tables]),
                           _attrs("1", "the connectome's neuron id (neuPrint bodyId, FlyWire "
                                       "root_id; -1 for a unit the data set lacks)")),
         "cell_type": ("neuron", column["cell_type"], _attrs("1", "the data set's cell type")),
         "subtype": ("neuron", column["subtype"], _attrs("1", "KC subtype or DAN family")),
         "compartments": ("neuron", column["compartments"],
                          _attrs("1", "MB compartments innervated, joined by ';'")),
         "side": ("neuron", column["side"], _attrs("1", "hemisphere: R, L or empty"))},
        coords={"neuron": ("neuron", np.arange(sum(len(t) for _, t in tables), dtype=np.int32),
                           _attrs("1", "neuron index of this result"))})


def spikes_dataset(outcomes, structure) -> xr.Dataset:
    """The kept spike trains of every fly, one row per spike: neuron (row of /neurons), fly,
    window (index of /spiking's window) and time [s from the start of training]."""
    offsets = dict(zip(structure.groups, np.cumsum([0] + [len(t) for t in structure.groups.values()])))
    labels = [w.label for w in outcomes[0].windows]
    columns = {"neuron": [], "fly": [], "window": [], "spike_time": []}
    for fly, outcome in enumerate(outcomes):
        for label, start, trains in outcome.spikes:
            for cls, (indices, times) in trains.items():
                columns["neuron"].append((offsets[cls] + np.asarray(indices)).astype(np.int32))
                columns["fly"].append(np.full(len(indices), fly, np.int32))
                columns["window"].append(np.full(len(indices), labels.index(label), np.int32))
                columns["spike_time"].append(start + np.asarray(times, float))
    data = {name: np.concatenate(parts) if parts else np.empty(0, np.float64 if name ==
                                                                "spike_time" else np.int32)
            for name, parts in columns.items()}
    return xr.Dataset(
        {"neuron": ("spike", data["neuron"], _attrs("1", "row of /neurons")),
         "fly": ("spike", data["fly"], _attrs("1", "fly of the cohort")),
         "window": ("spike", data["window"], _attrs("1", "index of /spiking window")),
         "spike_time": ("spike", data["spike_time"], _attrs("s", "spike time after the start "
                                                                 "of training"))})


def raster_dataset(outcome) -> xr.Dataset | None:
    if outcome.raster is None:
        return None
    indices, times = outcome.raster
    return xr.Dataset({"kc_index": ("spike", np.asarray(indices, np.int32), _attrs("1", "KC index")),
                       "spike_time": ("spike", np.asarray(times, float), _attrs("s", "spike time"))},
                      attrs={"window": outcome.windows[0].label})


def metabolism_dataset(outcomes, names, units, metabolism=None) -> xr.Dataset:
    """Slow-layer state per fly over time, plus derived fluxes (KC pyruvate flux, LTM trigger);
    per-compartment quantities have a ``compartment`` dimension."""
    times = outcomes[0].sample_times
    samples = np.stack([o.samples for o in outcomes])          # (fly, time, state)
    long_names = dict(zip(metabolism.names, metabolism.long_names)) if metabolism is not None else {}
    data = {}
    for i, name in enumerate(names):
        data[name] = (("fly", "time"), samples[:, :, i],
                      _attrs(units[i], long_names.get(name, name.replace("_", " "))))
    data["ltm_program"] = (("fly", "time"), np.stack([o.ltm_program for o in outcomes]),
                           _attrs("1", "activity P of the LTM consolidation program as it runs: "
                                       "hill(consolidation_signal), 0 while protein synthesis is "
                                       "blocked or the genotype lacks LTM"))
    if metabolism is not None:
        head = len(GLOBALS)
        flux = np.stack([metabolism.pyruvate_flux(fly[:, head:].T) for fly in samples])
        for c, compartment in enumerate(metabolism.compartments):
            data[f"mito_flux_{compartment}"] = (("fly", "time"), flux[:, c, :], _attrs(
                "mol/s", f"mitochondrial pyruvate (PDH) flux in KCs, compartment {compartment}"))
        data["ltm_trigger"] = (("fly", "time"),
                               np.stack([metabolism.ltm_trigger(fly[:, head:].T) for fly in samples]),
                               _attrs("1", "relative rise of KC pyruvate flux over the fed baseline"))
    flat = xr.Dataset(data, coords={"time": ("time", times, _attrs("s", "time after the start of training")),
                                    "fly": ("fly", np.arange(len(outcomes)))})
    return gather_compartments(flat, metabolism.compartments) if metabolism is not None else flat


def energy_dataset(outcomes, compartments, alpha: float) -> xr.Dataset:
    phases = list(PHASES)
    m = {name: np.mean([getattr(o.plasticity, name) for o in outcomes], axis=0)
         for name in ("m0", "m1", "malpha")}
    data = {"M0": (("phase", "compartment"), m["m0"], _attrs("1", "number of plastic updates")),
            "M1": (("phase", "compartment"), m["m1"], _attrs("1", "sum of |dw|")),
            "M_alpha": (("phase", "compartment"), m["malpha"], {**_attrs("1", "sum of |dw|^alpha"),
                                                                 "alpha": alpha})}
    ledgers = [o.metabolism_ledger for o in outcomes if o.metabolism_ledger is not None]
    if ledgers:
        causes = list(ledgers[0]["causes"])
        atp = np.mean([ledger["atp"][[causes.index(c) for c in ENERGY_CAUSES]]
                       for ledger in ledgers], axis=0)
        data["atp"] = (("cause", "compartment"), atp, _attrs("mol", "ATP consumed over the run"))
    return xr.Dataset(data, coords={"phase": ("phase", phases),
                                    "compartment": ("compartment", list(compartments)),
                                    "cause": ("cause", list(ENERGY_CAUSES))})


def survival_dataset(outcomes, starve_from: float, horizon: float) -> xr.Dataset:
    """Kaplan-Meier survival of the cohort, times counted from the start of starvation."""
    from ..metabolism.survival import kaplan_meier, median_interval, median_survival, survival_band
    censored = np.array([o.censored for o in outcomes])
    since = np.array([o.death_time for o in outcomes]) - starve_from
    observed = np.where(censored, horizon, since)
    times, fraction = kaplan_meier(observed, censored)
    lower, upper = survival_band(observed, censored)
    median_lower, median_upper = median_interval(observed, censored)
    return xr.Dataset(
        {"survival_fraction": ("time", fraction, _attrs("1", "Kaplan-Meier survival")),
         "survival_lower": ("time", lower, _attrs("1", "lower end of the pointwise 95% band "
                                                       "(exponential Greenwood)")),
         "survival_upper": ("time", upper, _attrs("1", "upper end of the pointwise 95% band "
                                                       "(exponential Greenwood)")),
         "death_time": ("fly", np.where(censored, np.nan, since),
                        _attrs("s", "time of death after the start of starvation")),
         "censored": ("fly", censored, _attrs("1", "alive at the horizon"))},
        coords={"time": ("time", times, _attrs("s", "time after the start of starvation")),
                "fly": ("fly", np.arange(len(outcomes)))},
        attrs={"median_survival_s": median_survival(times, fraction),
               "median_survival_ci95_s": [median_lower, median_upper],
               "starve_from_s": starve_from, "horizon_s": horizon,
               "deaths": int((~censored).sum())})


def slow_names(metabolism) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Names and units of the slow-layer state recorded under /metabolism."""
    names = ("mp1_activity", "consolidation_signal") + GLOBALS[2:]
    units = ("1",) * len(GLOBALS)
    if metabolism is not None:
        names += tuple(metabolism.names)
        units += tuple(metabolism.units)
    return names, units
