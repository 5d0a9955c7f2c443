"""A run result as an NWB file (Neurodata Without Borders, written with pynwb; layout in
docs/output-format.md).

Units are the recorded neurons of each recorded fly, with their spike times, the windows in which
they were observed and the connectome's id, type, class and compartments; each spiking window is
an epoch, its odors, shocks, sugar and manipulations are stimulus intervals; retention and the
metabolism's time courses are processing modules. Times are seconds from the start of training.
pynwb is optional: ``pip install -e '.[nwb]'``.
"""

from __future__ import annotations

import json
import uuid
import warnings
from datetime import datetime
from fnmatch import fnmatchcase
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np

from .errors import InputError, MbsimError

if TYPE_CHECKING:
    import xarray as xr

#: Age of the virtual flies (ISO 8601 duration from eclosion): adults 2-5 days old, as in the
#: T-maze studies the memory parameters come from (Tully & Quinn 1985; assumption: the model
#: itself has no age).
DEFAULT_AGE = "P2D/P5D"
#: What the user runs when pynwb is missing.
INSTALL_HINT = "pip install -e '.[nwb]' (in the mbsim folder) or pip install pynwb"
#: Columns of the units table taken from /neurons, with their descriptions.
NEURON_COLUMNS = {
    "cell_class": "cell class (PN, KC, MBON, DAN)",
    "class_index": "index within the cell class, as in the result (kc_index for KCs)",
    "cell_type": "the connectome's cell type",
    "subtype": "KC subtype or DAN family",
    "compartments": "mushroom body compartments innervated, joined by ';'",
    "side": "hemisphere: R, L or empty",
    "connectome_id": "the connectome's neuron id (neuPrint bodyId, FlyWire root_id)",
}


def _pynwb():
    try:
        import pynwb
    except ImportError:
        raise MbsimError(f"NWB export needs pynwb, which is not installed: {INSTALL_HINT}") from None
    return pynwb


def kept_spikes(tree: xr.DataTree) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The spikes a result keeps: ``recorded`` ({fly: {cell class: window indices}}) and, per
    spike, neuron (row of /neurons), fly, window and time [s from the start of training].
    /spikes first, then the /spiking/raster segment if /spikes does not hold it."""
    neurons, spiking = tree["neurons"].to_dataset(), tree["spiking"].to_dataset()
    labels = [str(label) for label in spiking["window"].values]
    recorded: dict = {}
    parts = []
    if "spikes" in tree.children:
        record = json.loads(tree.attrs["settings"])["record"]
        windows = [i for i, label in enumerate(labels)
                   if any(fnmatchcase(label, pattern) for pattern in record["windows"])]
        for fly in record["flies"]:
            if fly < int(tree.attrs["cohort"]):
                recorded[fly] = {cls: list(windows) for cls in record["classes"]}
        spikes = tree["spikes"].to_dataset()
        parts.append([spikes[name].values for name in ("neuron", "fly", "window", "spike_time")])
    if "raster" in tree["spiking"].children:
        raster = tree["spiking/raster"].to_dataset()
        window = labels.index(str(raster.attrs["window"]))
        if window not in recorded.get(0, {}).get("KC", []):
            recorded.setdefault(0, {}).setdefault("KC", []).append(window)
            kc_rows = np.flatnonzero(neurons["cell_class"].values == "KC")
            count = raster.sizes["spike"]
            parts.append([kc_rows[raster["kc_index"].values], np.zeros(count, np.int32),
                          np.full(count, window, np.int32),
                          spiking["window_start"].values[window] + raster["spike_time"].values])
    if not parts:
        return recorded, *[np.empty(0, np.int64)] * 3, np.empty(0)
    return recorded, *[np.concatenate(column) for column in zip(*parts)]


def to_nwb(tree: xr.DataTree, age: str = DEFAULT_AGE):
    """The result as a :class:`pynwb.NWBFile` in memory (see the module docstring); ``age``: the
    flies' age as an ISO 8601 duration (or range) from eclosion."""
    pynwb = _pynwb()
    from pynwb.file import Subject

    missing = [g for g in ("neurons", "spiking", "retention") if g not in tree.children]
    if missing:
        raise InputError(found=f"a result without the group(s) {', '.join('/' + g for g in missing)}"
                         " (written by an older mbsim, or edited)",
                         expected="a result of `mbsim run` with /neurons, /spiking and /retention",
                         example="mbsim rerun OLD.h5 -o NEW.h5")
    attrs = tree.attrs
    started = datetime.fromisoformat(attrs["start_time"])
    key = f"{attrs['protocol_sha256']}:{attrs['seed']}:{attrs['start_time']}"
    nwbfile = pynwb.NWBFile(
        session_description=attrs.get("title", f"mbsim run of {attrs['protocol_name']}"),
        identifier=str(uuid.uuid5(uuid.NAMESPACE_URL, "mbsim:" + key)),
        session_start_time=started, file_create_date=datetime.fromisoformat(attrs["end_time"]),
        experiment_description=(
            f"Simulated protocol {attrs['protocol_name']!r} on the connectome "
            f"{attrs['connectome_name']} ({attrs['connectome_source']}, checksum "
            f"{attrs['connectome_checksum']}); times are seconds from the start of training."),
        session_id=f"seed {attrs['seed']}", source_script=attrs.get("created_by", ""),
        source_script_file_name="mbsim", keywords=["Drosophila", "mushroom body", "connectome",
                                                    "simulation", "memory"],
        notes=f"written by mbsim {attrs.get('mbsim_version', '')} (git {attrs.get('git_commit', '')})")
    nwbfile.subject = Subject(
        subject_id=f"cohort of {attrs['cohort']}", species="Drosophila melanogaster", sex="U", age=age,
        description=f"{attrs['cohort']} virtual flies (units carry the fly's cohort index)")
    _add_windows(nwbfile, tree)
    _add_units(nwbfile, tree)
    _add_retention(nwbfile, tree["retention"].to_dataset())
    if "metabolism" in tree.children:
        _add_metabolism(nwbfile, pynwb, tree["metabolism"].to_dataset())
    return nwbfile


def export_nwb(result, path, age: str = DEFAULT_AGE) -> Path:
    """Write a result (a file or a loaded DataTree) to ``path`` as NWB, atomically."""
    import xarray as xr

    from .io import check_destination, load, write_atomically
    pynwb = _pynwb()
    tree = result if isinstance(result, xr.DataTree) else load(result)
    destination = check_destination(path)
    nwbfile = to_nwb(tree, age)

    def write(temporary):
        with warnings.catch_warnings():   # the hidden temporary file ends in .tmp, not .nwb
            warnings.filterwarnings("ignore", message=".*does not end in '.nwb'")
            with pynwb.NWBHDF5IO(str(temporary), "w") as io:
                io.write(nwbfile)
    return write_atomically(destination, write)


def _add_windows(nwbfile, tree) -> None:
    """Each spiking window as an epoch; its stimuli as rows of interval tables."""
    from pynwb.epoch import TimeIntervals

    from .engine.windows import test_window, trial_window
    from .protocol import parse_protocol_text
    attrs, spiking = tree.attrs, tree["spiking"].to_dataset()
    schedule = parse_protocol_text(attrs["protocol_text"], attrs.get("protocol_file") or
                                   "the result's protocol").schedule()
    windows = {window.label: window for window in
               [trial_window(t, schedule.interventions, False, 0) for t in schedule.trials]
               + [test_window(test, schedule.interventions, False, 0) for test in schedule.tests]}
    tables = {
        "odor_presentations": ("odor pulses", {"odor": "odor name", "concentration":
                                               "dilution factor (1 = as tabulated)"}),
        "shocks": ("electric shock pulses", {"voltage": "pulse voltage [V]"}),
        "sugar": ("sugar presentations", {"concentration": "sucrose concentration [mol/l]"}),
        "manipulations": ("thermogenetic activation or block of neuron types",
                          {"mode": "activate or block", "targets": "cell types, comma-separated"}),
    }
    rows = {name: [] for name in tables}
    nwbfile.add_epoch_column("label", "the window's label in the result (/spiking window)")
    for label, start, duration in zip(spiking["window"].values, spiking["window_start"].values,
                                      spiking["window_duration"].values):
        label, start = str(label), float(start)
        kind = "training" if label.startswith("training") else "test"
        nwbfile.add_epoch(start_time=start, stop_time=start + float(duration), tags=[kind],
                          label=label)
        window = windows[label]
        rows["odor_presentations"] += [(start + p.start, start + p.stop, label,
                                        {"odor": p.odor, "concentration": p.concentration})
                                       for p in window.odors]
        rows["shocks"] += [(start + s.start, start + s.start + s.duration, label,
                            {"voltage": s.voltage}) for s in window.shocks]
        rows["sugar"] += [(start + s.start, start + s.stop, label,
                           {"concentration": s.concentration}) for s in window.sugar]
        rows["manipulations"] += [(start + m.start, start + m.stop, label,
                                   {"mode": m.mode, "targets": ",".join(m.targets)})
                                  for m in window.manipulations]
    for name, (description, columns) in tables.items():
        if not rows[name]:
            continue
        table = TimeIntervals(name=name, description=f"{description} in the spiking windows")
        table.add_column("window", "label of the window (epoch) the stimulus belongs to")
        for column, text in columns.items():
            table.add_column(column, text)
        for begin, end, label, values in rows[name]:
            table.add_interval(start_time=begin, stop_time=end, window=label, **values)
        nwbfile.add_time_intervals(table)


def _add_units(nwbfile, tree) -> None:
    """One unit per recorded neuron of each recorded fly, observed in its recorded windows; the
    columns are built whole (ragged spike times and observation intervals with their indices)."""
    from hdmf.common import VectorData, VectorIndex
    from pynwb.misc import Units

    recorded, neuron, fly, window, times = kept_spikes(tree)
    if not recorded:
        return
    neurons, spiking = tree["neurons"].to_dataset(), tree["spiking"].to_dataset()
    starts, durations = spiking["window_start"].values, spiking["window_duration"].values
    key = fly.astype(np.int64) * (1 << 32) + neuron     # spikes sorted by fly, neuron, time
    order = np.lexsort((times, key))
    key, window, times = key[order], window[order], times[order]
    unit_rows, unit_flies, spike_parts, interval_parts, interval_counts = [], [], [], [], []
    for fly_index, by_class in sorted(recorded.items()):
        for cls, windows in by_class.items():
            intervals = np.array([[starts[w], starts[w] + durations[w]] for w in sorted(windows)])
            rows = np.flatnonzero(neurons["cell_class"].values == cls)
            first = np.searchsorted(key, fly_index * (1 << 32) + rows, "left")
            last = np.searchsorted(key, fly_index * (1 << 32) + rows, "right")
            for lo, hi in zip(first, last):
                spike_parts.append(times[lo:hi][np.isin(window[lo:hi], windows)])
                interval_parts.append(intervals)
            unit_rows.append(rows)
            unit_flies.append(np.full(len(rows), fly_index, np.int32))
            interval_counts += [len(intervals)] * len(rows)
    rows = np.concatenate(unit_rows)
    spike_times = VectorData(name="spike_times", data=np.concatenate(spike_parts),
                             description="spike times [s] from the start of training")
    obs = VectorData(name="obs_intervals", data=np.concatenate(interval_parts),
                     description="the recorded windows [s]: spikes were kept only inside them")
    columns = [spike_times, VectorIndex(name="spike_times_index", target=spike_times,
                                        data=np.cumsum([len(p) for p in spike_parts])),
               obs, VectorIndex(name="obs_intervals_index", target=obs,
                                data=np.cumsum(interval_counts)),
               VectorData(name="fly", data=np.concatenate(unit_flies),
                          description="the virtual fly's index in the cohort"),
               VectorData(name="neuron", data=rows.astype(np.int32),
                          description="row of the result's /neurons table")]
    columns += [VectorData(name=name, data=neurons[name].values[rows].tolist()
                           if neurons[name].dtype.kind in "USO" else neurons[name].values[rows],
                           description=description)
                for name, description in NEURON_COLUMNS.items()]
    time_step = json.loads(tree.attrs["parameters"])["network"]["time_step"]
    nwbfile.units = Units(name="units", id=np.arange(len(rows)), columns=columns,
                          resolution=float(time_step),
                          description="simulated neurons of the recorded flies and classes")


def _add_retention(nwbfile, retention: xr.Dataset) -> None:
    from hdmf.common import DynamicTable
    module = nwbfile.create_processing_module(
        "behavior", "T-maze retention of the cohort: performance index per retention time and "
                    "memory phase (total, labile, ARM, LTM)")
    table = DynamicTable(name="retention",
                         description="PI = fraction avoiding CS+ minus fraction approaching it")
    columns = {"retention_time": "test time after the end of training [s]",
               "phase": "memory phase read at the test",
               "pi": "performance index of the sampled choices [1]",
               "pi_sem": "standard error of the PI [1]",
               "pi_expected": "mean over flies of 2 P(avoid CS+) - 1 [1]",
               "n": "virtual flies tested"}
    for name, text in columns.items():
        table.add_column(name, text)
    for time in retention["retention_time"].values:
        for phase in retention["phase"].values:
            point = retention.sel(retention_time=time, phase=phase)
            table.add_row(retention_time=float(time), phase=str(phase), pi=float(point["pi"]),
                          pi_sem=float(point["pi_sem"]), pi_expected=float(point["pi_expected"]),
                          n=int(point["n"]))
    module.add(table)


def _add_metabolism(nwbfile, pynwb, metabolism: xr.Dataset) -> None:
    """Each time course as a TimeSeries (time first; the other dimensions, e.g. fly, after)."""
    module = nwbfile.create_processing_module(
        "metabolism", "slow-layer time courses per virtual fly (metabolism, MP1, consolidation)")
    timestamps = None
    for name, variable in metabolism.data_vars.items():
        if "time" not in variable.dims:
            continue
        ordered = variable.transpose("time", ...)
        rest = ", ".join(ordered.dims[1:])
        series = pynwb.TimeSeries(
            name=str(name), data=ordered.values, unit=str(variable.attrs.get("units", "1")),
            timestamps=timestamps if timestamps is not None else metabolism["time"].values,
            description=f"{variable.attrs.get('long_name', name)}; dimensions (time, {rest})")
        timestamps = timestamps if timestamps is not None else series
        module.add(series)
