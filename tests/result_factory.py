"""Synthetic run results that follow the result layout exactly (every group), for tests of io and plots.

``make_result()`` returns a small but realistic ``xarray.DataTree``; ``make_result(size="large")``
a result of about 100 MB of metabolism time courses, for tests that need a slow write;
``make_result(version=1)`` one in the layout of version 1 (one /metabolism variable per compartment,
``kc_pyruvate_a'1``), as older mbsim wrote them.
"""

from __future__ import annotations

import json

import numpy as np
import xarray as xr

from mbsim.result_versions import gather_compartments

COMPARTMENTS = ("g1", "g2", "g3", "g4", "g5", "b'1", "b'2", "a'1", "a'2", "a'3",
                "a1", "a2", "a3", "b1", "b2")
RETENTION_PHASES = ("total", "labile", "ARM", "LTM")
MEMORY_PHASES = ("labile", "ARM", "LTM")
CAUSES = ("spikes", "synapses", "plasticity_labile", "plasticity_ARM", "plasticity_LTM", "basal")
CELL_TYPES = ("KC", "MBON", "DAN", "APL")
WINDOWS = ("training trial 1", "training trial 2", "test 2 min", "test 3 h", "test 24 h")
RETENTION_TIMES_S = (120.0, 600.0, 3600.0, 3 * 3600.0, 24 * 3600.0, 4 * 86400.0)

PROTOCOL_TEXT = """\
name: spaced training, 5 cycles
# 5 cycles of paired CS+/shock with 15 min rest; tested from 2 min to 4 d.
training:
  cycles: 5
  rest: "15 min"
  odor_duration: "60 s"
  shocks: {count: 12, voltage: "90 V", interval: "5 s"}
test: ["2 min", "10 min", "1 h", "3 h", "24 h", "4 d"]
starvation: {from: "24 h"}
""" * 20  # long on purpose: provenance strings must survive the round trip


def _attrs(units: str, long_name: str, **extra) -> dict:
    return {"units": units, "long_name": long_name, **extra}


def _root_attrs(seed: int, n_kc: int, version: int) -> dict:
    parameters = {"network": {"kc_tau_m": "10 ms", "kc_v_rest": "-60 mV", "n_kc": n_kc,
                              "note": "quote ' and \" and unicode \u03b1\u2032 survive"},
                  "memory": {"labile_tau": "1 h", "arm_tau": "1 d", "ltm_tau": "30 d"},
                  "metabolism": {"atp_per_spike": "2.4e-13 mol", "glycogen_0": "40 ug"}}
    return {
        "format": f"mbsim-result/{version}",
        "mbsim_version": "0.1.0", "git_commit": "ff9247e0123456789abcdef0123456789abcdef0",
        "created_by": "mbsim run protocols/spaced_5x.yaml -o result.h5",
        "protocol_name": "spaced training, 5 cycles", "protocol_file": "protocols/spaced_5x.yaml",
        "protocol_text": PROTOCOL_TEXT, "protocol_sha256": "9f" * 32,
        "parameters": json.dumps(parameters),
        "connectome_name": "hemibrain", "connectome_source": "hemibrain v1.2.1 (Scheffer et al. 2020)",
        "connectome_checksum": "sha256:" + "ab" * 32, "n_kc": n_kc, "seed": seed, "cohort": 0,
        "start_time": "2025-01-01T10:00:00Z", "end_time": "2025-01-01T10:42:17Z",
        "platform": "Linux-6.1-x86_64", "python_version": "3.11.9", "brian2_version": "2.9.0",
        "numpy_version": "2.3.5", "title": "Spaced training, 5 cycles (synthetic test result)",
    }


def _retention(rng, n_flies: int) -> tuple[xr.Dataset, xr.Dataset]:
    t = np.array(RETENTION_TIMES_S)
    decay = {"labile": np.exp(-t / 3600.0), "ARM": 0.35 * np.exp(-t / 86400.0),
             "LTM": 0.3 * np.exp(-t / (30 * 86400.0))}
    expected = np.stack([decay["labile"] * 0.5, decay["labile"] * 0.5, decay["ARM"], decay["LTM"]], axis=1)
    expected[:, 0] = np.clip(expected[:, 1] + expected[:, 2] + expected[:, 3], -1, 1)
    p_avoid = np.clip((1 + expected)[None] / 2 + rng.normal(0, 0.08, (n_flies, *expected.shape)), 0, 1)
    choice = np.where(rng.random(p_avoid.shape) < p_avoid, 1, -1).astype(np.int8)
    pi = choice.mean(axis=0)
    sem = choice.std(axis=0, ddof=1) / np.sqrt(n_flies)
    coords = {"retention_time": ("retention_time", t, _attrs("s", "time since start of training")),
              "phase": ("phase", list(RETENTION_PHASES), _attrs("1", "memory phase"))}
    dims = ("retention_time", "phase")
    retention = xr.Dataset({
        "pi": (dims, pi, _attrs("1", "performance index (+ = avoidance of CS+), sampled choices")),
        "pi_sem": (dims, sem, _attrs("1", "standard error of the performance index")),
        "pi_expected": (dims, (2 * p_avoid - 1).mean(axis=0), _attrs("1", "expected performance index")),
        "n": (("retention_time",), np.full(t.size, n_flies, dtype=np.int64), _attrs("1", "number of virtual flies")),
    }, coords=coords)
    fly = ("fly", np.arange(n_flies), _attrs("1", "virtual fly index"))
    choices = xr.Dataset({
        "choice": (("fly", *dims), choice, _attrs("1", "T-maze choice: +1 avoided CS+, -1 approached CS+")),
        "p_avoid": (("fly", *dims), p_avoid, _attrs("1", "probability of avoiding CS+")),
    }, coords={"fly": fly, **coords})
    return retention, choices


def _weights(rng) -> xr.Dataset:
    time = np.linspace(0, 4 * 86400.0, 97)
    taus = np.array([3600.0, 86400.0, 30 * 86400.0])
    amplitude = -rng.uniform(0.05, 0.6, (len(COMPARTMENTS), 1)) * np.array([1.0, 0.5, 0.3])
    change = amplitude[None] * np.exp(-time[:, None, None] / taus[None, None])
    change[time < 1800] *= time[time < 1800, None, None] / 1800
    return xr.Dataset(
        {"efficacy_change": (("time", "compartment", "phase"), change,
                             _attrs("1", "change of KC>MBON efficacy of CS+ KCs (1 = naive)"))},
        coords={"time": ("time", time, _attrs("s", "time since start of training")),
                "compartment": ("compartment", list(COMPARTMENTS), _attrs("1", "MB compartment")),
                "phase": ("phase", list(MEMORY_PHASES), _attrs("1", "memory phase"))})


def _spiking(rng, n_kc: int) -> xr.DataTree:
    rates = rng.uniform(0.5, 30, (len(WINDOWS), len(CELL_TYPES)))
    starts = np.array([0.0, 960.0, 2160.0, 12600.0, 86400.0])
    spiking = xr.Dataset({
        "rate": (("window", "cell_type"), rates, _attrs("Hz", "mean firing rate")),
        "kc_fraction_active": (("window",), rng.uniform(0.03, 0.1, len(WINDOWS)),
                               _attrs("1", "fraction of KCs that spiked during the odor")),
        "window_start": (("window",), starts, _attrs("s", "window start")),
        "window_duration": (("window",), np.full(len(WINDOWS), 60.0), _attrs("s", "window duration")),
    }, coords={"window": ("window", list(WINDOWS), _attrs("1", "simulated spiking window")),
               "cell_type": ("cell_type", list(CELL_TYPES), _attrs("1", "cell type"))})
    active = rng.choice(n_kc, size=max(1, n_kc // 20), replace=False)
    kc_index = rng.choice(active, size=4000).astype(np.int32)
    spike_time = np.sort(rng.uniform(2160.0, 2220.0, kc_index.size))
    raster = xr.Dataset({"kc_index": (("spike",), kc_index, _attrs("1", "KC index")),
                         "spike_time": (("spike",), spike_time, _attrs("s", "spike time"))},
                        attrs={"window": "test 2 min"})
    return xr.DataTree(spiking, children={"raster": xr.DataTree(raster)})


def _metabolism(rng, n_flies: int, n_times: int) -> xr.Dataset:
    time = np.linspace(0, 4 * 86400.0, n_times)
    fly_scale = rng.uniform(0.8, 1.2, (n_flies, 1))
    noise = lambda: rng.normal(0, 0.01, (n_flies, n_times))  # noqa: E731
    days = time[None] / 86400.0
    data = {
        "glycogen": (np.clip(40e-9 * fly_scale * (1 - days / 3), 0, None) * (1 + noise()), "kg", "glycogen store"),
        "lipid": (60e-9 * fly_scale * np.exp(-days / 5) * (1 + noise()), "kg", "lipid store"),
        "trehalose": (20e-3 * fly_scale * np.exp(-days / 2) * (1 + noise()), "M", "hemolymph trehalose"),
        "glia_lactate": (2e-3 * (1 + noise()), "M", "glial lactate"),
        "mp1_activity": (np.exp(-((time[None] - 3600) / 7200) ** 2) * fly_scale, "1", "MP1 DAN oscillation activity"),
        "consolidation": (1 - np.exp(-time[None] / 36000) * np.ones((n_flies, 1)), "1", "consolidation state"),
    }
    training = np.exp(-time[None] / 3600.0)
    for index, name in enumerate(COMPARTMENTS):
        weight = 1 + index / len(COMPARTMENTS)
        data[f"kc_pyruvate_{name}"] = (1e-4 * weight * (1 + training) * (1 + noise()), "M", f"KC pyruvate in {name}")
        data[f"mito_flux_{name}"] = (1e-15 * weight * (1 + 2 * training) * (1 + noise()), "mol s-1",
                                     f"mitochondrial ATP production in {name}")
    return xr.Dataset({key: (("fly", "time"), value, _attrs(units, long_name))
                       for key, (value, units, long_name) in data.items()},
                      coords={"fly": ("fly", np.arange(n_flies), _attrs("1", "virtual fly index")),
                              "time": ("time", time, _attrs("s", "time since start of training"))})


def _energy(rng) -> xr.Dataset:
    scale = np.array([3.0, 5.0, 0.6, 0.4, 1.5, 20.0])[:, None]
    atp = scale * rng.uniform(0.5, 1.5, (len(CAUSES), len(COMPARTMENTS))) * 1e-12
    m0 = rng.uniform(0, 1, (len(MEMORY_PHASES), len(COMPARTMENTS)))
    m1 = m0 * rng.uniform(0.5, 1.0, m0.shape)
    dims = ("phase", "compartment")
    return xr.Dataset({
        "atp": (("cause", "compartment"), atp, _attrs("mol", "cumulative ATP consumed (mean over flies)")),
        "M0": (dims, m0, _attrs("1", "memory strength M0")),
        "M1": (dims, m1, _attrs("1", "memory strength M1")),
        "M_alpha": (dims, m0 ** 0.5 * m1 ** 0.5, _attrs("1", "memory strength M_alpha", alpha=0.5)),
    }, coords={"cause": ("cause", list(CAUSES), _attrs("1", "cause of ATP use")),
               "compartment": ("compartment", list(COMPARTMENTS), _attrs("1", "MB compartment")),
               "phase": ("phase", list(MEMORY_PHASES), _attrs("1", "memory phase"))})


def _survival(rng, n_flies: int, median_s: float) -> xr.Dataset:
    """As the engine writes it: times after the start of starvation, Kaplan-Meier from lifelines."""
    from mbsim.metabolism.survival import kaplan_meier, median_interval, median_survival, survival_band
    starve_from, horizon = 86400.0, 6 * 86400.0
    since = rng.weibull(3.0, n_flies) * median_s / np.log(2) ** (1 / 3)
    censored = since > horizon
    observed = np.minimum(since, horizon)
    time, fraction = kaplan_meier(observed, censored)
    lower, upper = survival_band(observed, censored)
    return xr.Dataset({
        "survival_fraction": (("time",), fraction, _attrs("1", "Kaplan-Meier survival")),
        "survival_lower": (("time",), lower, _attrs("1", "lower end of the pointwise 95% band")),
        "survival_upper": (("time",), upper, _attrs("1", "upper end of the pointwise 95% band")),
        "death_time": (("fly",), np.where(censored, np.nan, since),
                       _attrs("s", "time of death after the start of starvation")),
        "censored": (("fly",), censored, _attrs("1", "alive at the horizon")),
    }, coords={"time": ("time", time, _attrs("s", "time after the start of starvation")),
               "fly": ("fly", np.arange(n_flies), _attrs("1", "virtual fly index"))},
        attrs={"median_survival_s": median_survival(time, fraction),
               "median_survival_ci95_s": list(median_interval(observed, censored)),
               "starve_from_s": starve_from, "horizon_s": horizon, "deaths": int((~censored).sum())})


def _neurons(n_kc: int) -> xr.Dataset:
    """A neuron table: 24 PNs, the KCs of the raster, one APL, 2 MBONs and 2 DANs."""
    classes = ["PN"] * 24 + ["KC"] * n_kc + ["APL", "MBON", "MBON", "DAN", "DAN"]
    types = ([f"PN{i % 8}" for i in range(24)] + ["KCg-m"] * n_kc
             + ["APL", "MBON01", "MBON11", "PAM01_a", "PPL101"])
    compartments = [""] * (25 + n_kc) + ["b'2;g5", "g1;pedc", "g5", "g1;pedc"]
    index = np.concatenate([np.arange(24), np.arange(n_kc), [0, 0, 1, 0, 1]]).astype(np.int32)
    dims = ("neuron",)
    return xr.Dataset({
        "cell_class": (dims, classes, _attrs("1", "cell class")),
        "class_index": (dims, index, _attrs("1", "index within the cell class")),
        "connectome_id": (dims, 10_000 + np.arange(len(classes), dtype=np.int64),
                          _attrs("1", "the connectome's neuron id")),
        "cell_type": (dims, types, _attrs("1", "cell type")),
        "subtype": (dims, [""] * (len(classes) - 2) + ["PAM", "PPL1"], _attrs("1", "subtype")),
        "compartments": (dims, compartments, _attrs("1", "compartments")),
        "side": (dims, ["R"] * len(classes), _attrs("1", "hemisphere"))},
        coords={"neuron": (dims, np.arange(len(classes), dtype=np.int32), _attrs("1", "neuron"))})


def make_result(*, seed: int = 0, size: str = "small", omit: tuple[str, ...] = (),
                median_survival_s: float = 2.5 * 86400.0, version: int = 2) -> xr.DataTree:
    """A synthetic result with every group of the layout; ``omit`` names groups to leave out
    (top-level names such as "survival", or "spiking/raster")."""
    sizes = {"small": (24, 200, 400), "large": (200, 4000, 400)}
    n_flies, n_times, n_kc = sizes[size]
    rng = np.random.default_rng(seed)
    retention, choices = _retention(rng, n_flies)
    metabolism = _metabolism(rng, n_flies, n_times)
    if version >= 2:
        metabolism = gather_compartments(metabolism, COMPARTMENTS)
    groups = {"retention": xr.DataTree(retention), "choices": xr.DataTree(choices),
              "weights": xr.DataTree(_weights(rng)), "spiking": _spiking(rng, n_kc),
              "metabolism": xr.DataTree(metabolism),
              "energy": xr.DataTree(_energy(rng)),
              "survival": xr.DataTree(_survival(rng, n_flies, median_survival_s)),
              "neurons": xr.DataTree(_neurons(n_kc))}
    children = {name: node for name, node in groups.items() if name not in omit}
    if "spiking/raster" in omit and "spiking" in children:
        children["spiking"] = xr.DataTree(children["spiking"].to_dataset())
    return xr.DataTree(xr.Dataset(attrs=_root_attrs(seed, n_kc, version)), children=children)


def make_fit(*, seed: int = 0, posterior: bool = True) -> xr.DataTree:
    """A synthetic fit result in the layout `mbsim fit` writes: two retention protocols, two time
    constants (s) and a fraction, with or without a sampled posterior."""
    rng = np.random.default_rng(seed)
    names = ["memory.tau_labile", "memory.tau_arm", "memory.arm_fraction"]
    units, estimate = ["s", "s", "1"], np.array([2.0 * 3600, 1.5 * 86400, 0.3])
    times = np.array([180.0, 3600, 3 * 3600, 86400, 4 * 86400] * 2)
    protocols = ["aversive_1x"] * 5 + ["aversive_massed_10x"] * 5
    predicted = np.exp(-times / 20000.0) * 0.8 + 0.1
    observed = predicted + rng.normal(0, 0.04, times.size)
    estimates = xr.Dataset(
        {"estimate": ("parameter", estimate), "sd": ("parameter", estimate * 0.1),
         "lower_95": ("parameter", estimate * 0.8), "upper_95": ("parameter", estimate * 1.2),
         "start": ("parameter", estimate * 0.7), "unit": ("parameter", units),
         "log_scale": ("parameter", [True, True, False])},
        coords={"parameter": names}, attrs={"log_posterior_start": -40.0, "log_posterior": -8.5})
    predictions = xr.Dataset(
        {"observed": ("observation", observed), "sem": ("observation", np.full(times.size, 0.05)),
         "n": ("observation", np.full(times.size, 8)), "predicted": ("observation", predicted),
         "predicted_start": ("observation", predicted * 0.8),
         "dataset": ("observation", ["Tully et al. 1994"] * times.size),
         "kind": ("observation", ["retention"] * times.size), "protocol": ("observation", protocols),
         "time": ("observation", times, _attrs("s", "time after training"))},
        coords={"observation": np.arange(times.size)})
    groups = {"estimates": xr.DataTree(estimates), "predictions": xr.DataTree(predictions)}
    if posterior:
        chains, draws = 4, 25
        coords = {"chain": np.arange(chains), "draw": np.arange(draws)}
        groups["posterior"] = xr.DataTree(xr.Dataset(
            {name: (("chain", "draw"), value * np.exp(rng.normal(0, 0.1, (chains, draws))))
             for name, value in zip(names, estimate)}, coords=coords))
        groups["posterior_predictive"] = xr.DataTree(xr.Dataset(
            {"observed": (("chain", "draw", "observation"),
                          predicted + rng.normal(0, 0.05, (chains, draws, times.size)))},
            coords={**coords, "observation": np.arange(times.size)}))
    attrs = {"format": "mbsim-fit/1", "title": "mbsim fit of retention.yaml", "mbsim_version": "0.1.0",
             "git_commit": "ff9247e0123456789abcdef0123456789abcdef0"}
    return xr.DataTree(xr.Dataset(attrs=attrs), children=groups)


def make_sweep(*, seed: int = 0, seeds: int = 3) -> xr.DataTree:
    """A synthetic energy sweep (runs, optimal) over two sizes and ``seeds`` seeds, computed with
    the sweep's own :func:`mbsim.efficiency.sweep.optimal`."""
    from mbsim.efficiency.sweep import optimal
    rng = np.random.default_rng(seed)
    alphas = np.array([0.0, 0.5, 1.0])
    rows = [(strategy, parameter, n_kc, s)
            for n_kc in (500, 2000) for s in range(seeds)
            for strategy, parameter in [("all", 1.0)] + [(k, p) for k in ("random_mask", "top_k")
                                                            for p in (0.3, 0.1, 0.03)] + [("caching", 0.02)]]
    energy = np.array([[[(1e4 if a == 0 else 100.0) * (p if k != "caching" else 0.2) ** (0.5 if k == "top_k" else 1.0)
                         * (n / 500) ** 0.3 * rng.uniform(0.9, 1.1) for a in alphas]] * 4
                       for k, p, n, _ in rows])
    reached = np.array([0 if k == "random_mask" and p < 0.1 else 1 for k, p, _, _ in rows], np.int8)
    runs = xr.Dataset(
        {"trials": ("run", rng.integers(20, 200, len(rows))), "reached": ("run", reached),
         "accuracy": ("run", rng.uniform(0.9, 1.0, len(rows))),
         "energy": (("run", "phase", "alpha"), energy, _attrs("1", "M_alpha to criterion"))},
        coords={"strategy": ("run", [r[0] for r in rows]), "parameter": ("run", [r[1] for r in rows]),
                "n_kc": ("run", [r[2] for r in rows]), "seed": ("run", [r[3] for r in rows]),
                "phase": ("phase", ["total", "transient", "persistent", "maintenance"]),
                "alpha": ("alpha", alphas)})
    attrs = {"format": "mbsim-energy-sweep/1", "title": "mbsim energy sweep energy_test",
             "mbsim_version": "0.1.0", "experiment_file": "/home/someone/energy_test.yaml"}
    return xr.DataTree.from_dict({"/": xr.Dataset(attrs=attrs), "runs": runs, "optimal": optimal(runs)})
