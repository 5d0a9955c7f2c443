"""Compile the Brian2 network once per structure and parameter set, then run it chunk by chunk.

The network is generated with Brian2's ``cpp_standalone`` device for a fixed chunk duration and
compiled into ``paths.cache_dir()/network/<key>``, where the key hashes the structure, the parameters
and this package's model code. A ``manifest.json`` records which command-line names set the inputs and
state (Brian2's ``run_args`` mechanism) and which result files hold the outputs, so any later process
runs the binary directly, without Brian2's device and without recompiling.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import SimulationError
from ..paths import cache_dir
from . import equations
from .parameters import NetworkParameters
from .structure import NetworkStructure

#: Distinct manipulation sets (combinations of manipulations) one window may use; set 0 is "none".
MANIPULATION_SETS = 8
#: Readout columns: copies of the MBONs (and their KC->MBON synapses), each with its own efficacy,
#: that read one window's KC activity in one call (a test's naive reference and its four memory
#: phases). PNs, KCs and the APL are upstream of the plastic synapses (nothing feeds back onto
#: them), so the copies share them; so do the DANs unless the recurrent pathways are on (then
#: MBONs drive DANs and each column has its own DAN copies, wired to its MBONs only). Each copy
#: draws the noise of the neuron it copies, so column c equals a window simulated alone with that
#: efficacy.
READOUT_COLUMNS = 5
#: State variables carried from one chunk to the next.
STATE = {"kc": ("v", "I_pn", "I_adaptation"), "apl": ("activity",), "mbon": ("v", "I_kc"),
         "dan": ("v",)}
#: The same with the recurrent pathways on.
RECURRENT_STATE = STATE | {"mbon": ("v", "I_kc", "I_recurrent"), "dan": ("v", "I_recurrent")}
GROUP_OF = {"PN": "pn", "KC": "kc", "APL": "apl", "MBON": "mbon", "DAN": "dan"}
#: Name of a chunk's temporary folder, followed by the pid of the process that made it.
CHUNK_PREFIX = "mbsim-chunk-"
INPUT_TABLES = ("pn_rate", "us_drive", "activation_gate", "release_gate")
CODE_FILES = ("equations.py", "compiled.py")

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CompiledNetwork:
    """A compiled standalone project and its manifest; :meth:`run_chunk` runs one chunk."""

    directory: Path
    manifest: dict

    @property
    def bins(self) -> int:
        return self.manifest["bins"]

    @property
    def columns(self) -> int:
        return self.manifest["columns"]

    @property
    def dan_columns(self) -> int:
        """DAN copies: one per readout column with the recurrent pathways on, else 1 (shared)."""
        return self.manifest["dan_columns"]

    @property
    def state(self) -> dict[str, list[str]]:
        """State variables per group, carried from one chunk to the next."""
        return self.manifest["state"]

    def run_chunk(self, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Run the binary once with the given input tables/state and return every recorded output."""
        settable = self.manifest["settable"]
        with tempfile.TemporaryDirectory(prefix=f"{CHUNK_PREFIX}{os.getpid()}-") as tmp:
            args = []
            for name, value in inputs.items():
                spec = settable[name]
                array = np.ascontiguousarray(value, dtype=spec["dtype"])
                if list(array.shape) != spec["shape"]:
                    raise SimulationError(f"input '{name}' has shape {array.shape}, "
                                          f"the compiled network expects {tuple(spec['shape'])}")
                path = os.path.join(tmp, name.replace(".", "_") + ".dat")
                array.tofile(path)
                args.append(f"{spec['arg']}={path}")
            results = os.path.join(tmp, "results", "")
            os.makedirs(results)
            try:
                done = subprocess.run([str(self.directory / "main"), "--results_dir", results,
                                       *args], cwd=self.directory, capture_output=True, text=True)
            except OSError as error:
                raise SimulationError(f"compiled network in {self.directory} cannot start "
                                      f"({error}); delete the folder (`mbsim cache clear`) to "
                                      "rebuild it") from None
            if done.returncode != 0 or "Error" in done.stderr:
                said = done.stderr.strip() or done.stdout.strip()
                raise SimulationError(f"compiled network in {self.directory} failed with exit "
                                      f"code {done.returncode}" + (f": {said}" if said else "")
                                      + "; `mbsim cache clear` removes compiled networks")
            return {name: np.fromfile(os.path.join(results, spec["file"]), dtype=spec["dtype"])
                    for name, spec in self.manifest["outputs"].items()}


def code_version() -> str:
    """Hash of the model code, so editing equations invalidates compiled networks."""
    from importlib.metadata import version
    h = hashlib.sha256(version("brian2").encode())
    for name in CODE_FILES:
        h.update((Path(__file__).parent / name).read_bytes())
    return h.hexdigest()[:12]


def cache_entry(structure: NetworkStructure, params: NetworkParameters,
                pn_spikes: bool = False) -> Path:
    """Where the compiled network of this structure and parameter set lives in the cache
    (``pn_spikes``: the variant that also monitors PN spikes)."""
    structure_key = structure.digest(recurrent=params.recurrent > 0)
    key = f"{structure_key}-{params.digest(kinds=('compiled',))}-{code_version()}"
    return cache_dir() / "network" / (f"{key}-pn" if pn_spikes else key)


def is_cached(structure: NetworkStructure, params: NetworkParameters,
              pn_spikes: bool = False) -> bool:
    """True when the cache holds an intact compiled network for this structure and parameter set."""
    return verified_manifest(cache_entry(structure, params, pn_spikes))[0] is not None


def compiled_network(structure: NetworkStructure, params: NetworkParameters,
                     pn_spikes: bool = False) -> CompiledNetwork:
    """The compiled network for this structure and parameter set, built if not yet in the cache
    and rebuilt (once, with a warning) if the cached one is damaged. KC, MBON and DAN spikes are
    always monitored; PN spikes (the largest share of a window's spikes, ~10% of its run time)
    only in the ``pn_spikes`` variant, compiled when PN trains are first asked for."""
    directory = cache_entry(structure, params, pn_spikes)
    root, key = directory.parent, directory.name
    root.mkdir(parents=True, exist_ok=True)
    reclaim_chunk_folders()
    with _locked(root / f"{key}.lock"):
        manifest, damage = verified_manifest(directory)
        if manifest is not None:
            logger.info("compiled network found in the cache: %s", directory)
        else:
            logger.info("compiling the network into %s", directory)
            if directory.exists():
                logger.warning("the compiled network in %s is damaged (%s); rebuilding it",
                               directory, damage)
            staging = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=root))
            try:
                manifest = _build(structure, params, staging, pn_spikes)
                manifest["checksums"] = _checksums(staging)
                (staging / "manifest.json").write_text(json.dumps(manifest, indent=1))
                if directory.exists():
                    shutil.rmtree(directory)
                staging.rename(directory)
            finally:
                shutil.rmtree(staging, ignore_errors=True)
    return CompiledNetwork(directory, manifest)


def verified_manifest(directory: Path) -> tuple[dict | None, str]:
    """The manifest of a cache entry whose files match the checksums it records (written last,
    after the build), else None and what is wrong."""
    try:
        manifest = json.loads((directory / "manifest.json").read_text())
        recorded = manifest["checksums"]
    except FileNotFoundError:
        return None, "no manifest"
    except (OSError, ValueError, KeyError, TypeError) as error:
        return None, f"unreadable manifest: {error}"
    found = _checksums(directory, recorded)
    changed = sorted(name for name, digest in recorded.items() if found.get(name) != digest)
    if changed:
        return None, f"{len(changed)} file(s) differ from the manifest, e.g. {changed[0]}"
    return manifest, ""


def _checksums(directory: Path, names=None) -> dict[str, str | None]:
    """SHA-256 of the files the binary needs when it runs: itself and its initial arrays."""
    if names is None:
        names = ["main"] + sorted(str(path.relative_to(directory))
                                  for path in (directory / "static_arrays").glob("*"))
    digests = {}
    for name in names:
        try:
            digests[name] = hashlib.sha256((directory / name).read_bytes()).hexdigest()
        except OSError:
            digests[name] = None
    return digests


@dataclass(frozen=True)
class CacheEntry:
    """One compiled network in the cache folder: its folder, size in bytes, and what is wrong
    with it ("" when intact)."""

    directory: Path
    size: int
    damage: str


def cache_entries() -> list[CacheEntry]:
    """The compiled networks in the cache folder (half-built staging folders included)."""
    root = cache_dir() / "network"
    found = []
    for directory in sorted(p for p in root.glob("*") if p.is_dir()) if root.is_dir() else ():
        size = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file())
        found.append(CacheEntry(directory, size, verified_manifest(directory)[1]))
    return found


def clear_cache() -> int:
    """Remove every compiled network (each under its lock); returns the bytes freed."""
    freed = 0
    for entry in cache_entries():
        with _locked(entry.directory.parent / f"{entry.directory.name}.lock"):
            shutil.rmtree(entry.directory, ignore_errors=True)
        (entry.directory.parent / f"{entry.directory.name}.lock").unlink(missing_ok=True)
        freed += entry.size
    return freed


def reclaim_chunk_folders() -> None:
    """Remove chunk folders that processes killed before they could clean up left behind."""
    for folder in Path(tempfile.gettempdir()).glob(f"{CHUNK_PREFIX}*"):
        pid = folder.name[len(CHUNK_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and not _alive(int(pid)):
            shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextlib.contextmanager
def _locked(path: Path):
    """An exclusive lock on ``path``, so concurrent processes compile a network only once."""
    with open(path, "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _namespace(params: NetworkParameters) -> dict:
    """The compiled parameters as Brian2 quantities, named as in the parameter file, and the noise."""
    import brian2 as b2
    units = {"time": b2.second, "rate": b2.Hz, "voltage": b2.volt, "current": b2.amp,
             "conductance": b2.siemens, "capacitance": b2.farad, "dimensionless": 1}
    ns = {d.name: params[d.name] * units[d.dimension] for d in params.declarations
          if d.kind == "compiled"}
    return ns | equations.noise_functions() | {"apl_inhibition": equations.apl_inhibition()}


def _build(structure: NetworkStructure, params: NetworkParameters, directory: Path,
           pn_spikes: bool = False) -> dict:
    """Generate and compile the standalone project in ``directory``; return its manifest."""
    import brian2 as b2

    b2.set_device("cpp_standalone", directory=str(directory), build_on_run=False)
    b2.device.reinit()
    b2.device.activate(directory=str(directory), build_on_run=False)
    previous_flags = b2.prefs.codegen.cpp.extra_compile_args_gcc
    previous_headers = b2.prefs.codegen.cpp.headers
    b2.prefs.codegen.cpp.extra_compile_args_gcc = ["-w", "-O3", "-ffast-math", "-march=native"]
    if sys.platform.startswith("linux"):    # the binary dies with the process that started it
        b2.prefs.codegen.cpp.headers = [*previous_headers, "<sys/prctl.h>"]
        b2.device.insert_code("before_start", "prctl(PR_SET_PDEATHSIG, SIGKILL);")
    b2.defaultclock.dt = params.time_step * b2.second
    bins = int(round(params.chunk_duration / params.input_resolution))
    res = params.input_resolution * b2.second
    n = {c: structure.size(c) for c in GROUP_OF}
    columns = READOUT_COLUMNS
    recurrent = params.recurrent > 0
    dan_columns = columns if recurrent else 1
    state = RECURRENT_STATE if recurrent else STATE
    tables = {
        "pn_rate": b2.TimedArray(np.zeros((bins, n["PN"])) * b2.Hz, dt=res, name="pn_rate"),
        "us_drive": b2.TimedArray(np.zeros((bins, 2)), dt=res, name="us_drive"),
        "activation_gate": b2.TimedArray(np.zeros((bins, MANIPULATION_SETS)), dt=res,
                                         name="activation_gate"),
        "release_gate": b2.TimedArray(np.ones((bins, MANIPULATION_SETS)), dt=res,
                                      name="release_gate"),
        "window_seed": b2.TimedArray([0.0], dt=params.chunk_duration * b2.second,
                                     name="window_seed"),
        "step_offset": b2.TimedArray([0.0], dt=params.chunk_duration * b2.second,
                                     name="step_offset"),
    }
    ns = _namespace(params) | tables
    groups = {
        "pn": b2.NeuronGroup(n["PN"], equations.PN_EQUATIONS, threshold=equations.PN_THRESHOLD,
                             reset=equations.PN_RESET, namespace=ns, name="pn"),
        "kc": b2.NeuronGroup(n["KC"], equations.KC_EQUATIONS, threshold="v > kc_threshold",
                             reset="v = kc_reset\nI_adaptation += kc_adaptation_increment", method="euler", namespace=ns, name="kc"),
        "apl": b2.NeuronGroup(n["APL"], equations.APL_EQUATIONS, method="euler", namespace=ns,
                              name="apl"),
        "mbon": b2.NeuronGroup(n["MBON"] * columns, equations.RECURRENT_MBON_EQUATIONS if recurrent
                               else equations.MBON_EQUATIONS, threshold="v > mbon_threshold",
                               reset="v = mbon_reset", method="euler",
                               namespace=ns, name="mbon"),
        "dan": b2.NeuronGroup(n["DAN"] * dan_columns, equations.RECURRENT_DAN_EQUATIONS if recurrent
                              else equations.DAN_EQUATIONS, threshold="v > dan_threshold",
                              reset="v = dan_reset", method="euler",
                              namespace=ns, name="dan"),
    }
    kc, apl, mbon, dan = groups["kc"], groups["apl"], groups["mbon"], groups["dan"]
    kc.v, mbon.v, dan.v = ns["kc_rest"], ns["mbon_rest"], ns["dan_rest"]
    mbon.noise_index = np.tile(np.arange(n["MBON"]), columns)
    kc.apl_weight = params.apl_kc_current * structure.apl_inputs(params.apl_kc_mirroring) * b2.amp
    families = structure.groups["DAN"]["subtype"].to_numpy()
    valence = structure.groups["DAN"]["valence"].to_numpy()
    punishing = valence == "punishment"
    dan.shock_gain = np.tile(np.where(punishing, np.where(families == "PAM",
                                                          params.pam_shock_fraction, 1.0), 0.0),
                             dan_columns)
    dan.sugar_gain = np.tile(np.where(valence == "reward", 1.0, 0.0), dan_columns)
    if recurrent:
        dan.noise_index = np.tile(np.arange(n["DAN"]), dan_columns)

    pn_kc = b2.Synapses(groups["pn"], kc, "weight : amp (constant)", on_pre=equations.PN_KC_ON_PRE,
                        namespace=ns, name="pn_kc")
    pn_kc.connect(i=structure.pn_kc.pre, j=structure.pn_kc.post)
    pn_kc.weight = params.pn_kc_current * structure.input_weights(
        structure.pn_kc, n["KC"], params.pn_kc_compensation) * b2.amp
    senders = np.flatnonzero(structure.kc_apl > 0)
    kc_apl = b2.Synapses(kc, apl, "weight : 1 (constant)", on_pre=equations.KC_APL_ON_PRE,
                         namespace=ns, name="kc_apl")
    kc_apl.connect(i=senders, j=np.zeros(len(senders), dtype=int))
    kc_apl.weight = params.kc_apl_increment * structure.kc_apl[senders]
    syn = structure.kc_mbon
    kc_mbon = b2.Synapses(kc, mbon, equations.KC_MBON_MODEL, on_pre=equations.KC_MBON_ON_PRE,
                          namespace=ns, name="kc_mbon")
    offsets = n["MBON"] * np.arange(columns)[:, None]
    kc_mbon.connect(i=np.tile(syn.pre, columns), j=(syn.post[None, :] + offsets).ravel())
    kc_mbon.weight = np.tile(params.kc_mbon_current * structure.input_weights(
        syn, n["MBON"], params.kc_mbon_compensation), columns) * b2.amp
    kc_mbon.efficacy = 1.0
    every_bin, every_noise = res, params.noise_interval * b2.second
    updates = [groups["pn"].run_regularly(equations.PN_UPDATE, dt=every_bin),
               kc.run_regularly(equations.KC_UPDATE, dt=every_bin),
               apl.run_regularly(equations.RELEASE_UPDATE, dt=every_bin),
               mbon.run_regularly(equations.MBON_UPDATE, dt=every_bin),
               dan.run_regularly(equations.DAN_UPDATE, dt=every_bin),
               mbon.run_regularly(equations.noise_update("mbon", equations.STREAM_MBON,
                                                          index="noise_index"), dt=every_noise),
               dan.run_regularly(equations.noise_update(
                   "dan", equations.STREAM_DAN, index="noise_index" if recurrent else "i"),
                   dt=every_noise)]
    recurrent_synapses = _recurrent_synapses(structure, params, groups, columns, ns) if recurrent else []
    monitors = {name: b2.SpikeMonitor(groups[name], variables=[], name=f"{name}_spikes")
                for name in (("pn",) if pn_spikes else ()) + ("kc", "mbon", "dan")}
    net = b2.Network(*groups.values(), *updates, pn_kc, kc_apl, kc_mbon, *recurrent_synapses,
                     *monitors.values())
    net.run(params.chunk_duration * b2.second, namespace=ns)
    b2.device.build(directory=str(directory), compile=True, run=False, with_output=False)
    manifest = _manifest(b2.device, groups, tables, kc_mbon, columns * len(syn.pre), monitors,
                         bins, state)
    manifest |= {"columns": columns, "n_mbon": n["MBON"], "dan_columns": dan_columns,
                 "state": {group: list(names) for group, names in state.items()}}
    b2.device.reinit()
    b2.set_device("runtime")
    b2.prefs.codegen.cpp.extra_compile_args_gcc = previous_flags
    b2.prefs.codegen.cpp.headers = previous_headers
    return manifest


def _recurrent_synapses(structure: NetworkStructure, params: NetworkParameters, groups: dict,
                        columns: int, ns: dict) -> list:
    """The signed MBON->DAN, MBON->MBON and DAN->MBON synapses of every readout column, each
    column's neurons wired among themselves: ``recurrent * current * signed count``."""
    import brian2 as b2
    currents = {("MBON", "DAN"): params.mbon_dan_current,
                ("MBON", "MBON"): params.mbon_mbon_current,
                ("DAN", "MBON"): params.dan_mbon_current}
    column = np.arange(columns)[:, None]
    made = []
    for (pre, post), synapses in structure.recurrent.items():
        if len(synapses.pre) == 0:
            continue
        source, target = GROUP_OF[pre], GROUP_OF[post]
        connection = b2.Synapses(groups[source], groups[target], "weight : amp (constant)",
                                 on_pre=equations.RECURRENT_ON_PRE, namespace=ns,
                                 name=f"{source}_{target}")
        connection.connect(i=(synapses.pre[None, :] + structure.size(pre) * column).ravel(),
                           j=(synapses.post[None, :] + structure.size(post) * column).ravel())
        connection.weight = np.tile(params.recurrent * currents[pre, post] * synapses.count,
                                    columns) * b2.amp
        made.append(connection)
    return made


def _manifest(device, groups, tables, kc_mbon, n_kc_mbon: int, monitors, bins: int,
              state: dict) -> dict:
    """Command-line names of settable arrays and file names of outputs, with dtypes and shapes."""
    def spec(var, arg=None, shape=None):
        return {"arg": arg, "file": device.get_array_filename(var), "dtype": np.dtype(var.dtype).str,
                "shape": list(shape) if shape is not None else [int(var.size)]}

    settable, outputs = {}, {}
    for name, table in tables.items():
        settable[name] = {"arg": f"{table.name}.values", "dtype": np.dtype(table.values.dtype).str,
                          "shape": list(table.values.shape)}
    for gname, group in groups.items():
        names = state.get(gname, ()) + ("manipulation_set",)
        for var in names:
            settable[f"{gname}.{var}"] = spec(group.variables[var], f"{gname}.{var}")
        for var in state.get(gname, ()) + (("spike_count", "release_count") if gname == "pn" else ()):
            outputs[f"{gname}.{var}"] = spec(group.variables[var])
    settable["kc_mbon.efficacy"] = spec(kc_mbon.variables["efficacy"], "kc_mbon.efficacy",
                                        shape=[n_kc_mbon])
    for gname, monitor in monitors.items():
        outputs[f"{gname}.spike_i"] = spec(monitor.variables["i"])
        outputs[f"{gname}.spike_t"] = spec(monitor.variables["t"])
    return {"bins": bins, "settable": settable, "outputs": outputs}
