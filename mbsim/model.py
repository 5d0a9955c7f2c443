"""What a simulated fly is: a connectome, an odor library and the parameter sets, held as objects.

A :class:`Model` is built from objects or from files alike and says nothing about how to run; a
:class:`~mbsim.simulation.Simulation` pairs it with a protocol. The compiled network and the
metabolism model are built on first use, once per process for equal models (workers of a cohort
or a fit rebuild them from the pickled model, and Brian2's compiled binary is reused from the
cache folder).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

from .errors import InputError
from .parameters import Parameters

#: Odor libraries by name; anything else is a path to a Hallem-Carlson-style responses.csv.
ODOR_NAMES = ("synthetic", "hallem_carlson")
#: How test windows are read: the spiking MBONs, or the graded readout emulator (docs/model.md);
#: "auto" is graded for a feedforward circuit and spiking for a recurrent one.
READOUTS = ("auto", "spiking", "graded")
_BUILT: OrderedDict = OrderedDict()   # model key -> (network view, metabolism), this process
_KEEP = 4


class Model:
    """A virtual fly's mushroom body and metabolism.

    connectome: a :class:`~mbsim.connectome.Connectome`, ``"default"`` or a data folder.
    odors: ``"synthetic"``, ``"hallem_carlson"`` (the shared data's Hallem & Carlson 2006 table),
    a path to such a ``responses.csv``, or an :class:`~mbsim.network.OdorLibrary`.
    parameters: a :class:`~mbsim.parameters.Parameters` (default: the shipped parameter files);
    ``metabolism=False`` gates LTM by feeding state instead of the metabolism model.
    readout: ``"spiking"`` reads each test window's MBON spike counts; ``"graded"`` their rates
    emulated from the summed KC drive (:mod:`mbsim.engine.readout_emulator`), continuous in the
    efficacy, so that arbitrarily small memory differences change the choice probability;
    ``"auto"`` (default) is graded unless the circuit is recurrent (``network.recurrent`` > 0),
    for which the emulator is not exact.
    """

    def __init__(self, connectome="default", odors="synthetic",
                 parameters: Parameters | None = None, *, metabolism: bool | None = None,
                 readout: str = "auto"):
        from .connectome import Connectome, load
        self.connectome = connectome if isinstance(connectome, Connectome) else load(connectome)
        self.odors = _checked_odors(odors)
        if parameters is None:
            parameters = Parameters.default(with_metabolism=metabolism is not False)
        elif not isinstance(parameters, Parameters):
            raise InputError(found=f"parameters of type {type(parameters).__name__}",
                             expected="mbsim.Parameters (e.g. model.parameters.updated({...}) or "
                             "Parameters.from_files(...))", field="parameters")
        elif metabolism is False and parameters.metabolism is not None:
            parameters = Parameters(parameters.network, parameters.memory, None)
        elif metabolism and parameters.metabolism is None:
            raise InputError(found="metabolism=True with parameters that have no metabolism set",
                             expected="Parameters with a metabolism set", field="metabolism")
        self.parameters = parameters
        self._readout = _checked_readout(readout, parameters)

    @property
    def readout(self) -> str:
        """How test windows are read: ``"spiking"`` or ``"graded"``."""
        if self._readout == "auto":
            return "spiking" if self.parameters.network.recurrent else "graded"
        return self._readout

    @property
    def has_metabolism(self) -> bool:
        return self.parameters.metabolism is not None

    def with_parameters(self, parameters: Parameters) -> "Model":
        """The same connectome and odors with other parameters."""
        return Model(self.connectome, self.odors, parameters, readout=self._readout)

    def updated(self, changes: Mapping) -> "Model":
        """The model with ``{"group.parameter": value}`` changed (values in SI or with units)."""
        return self.with_parameters(self.parameters.updated(changes))

    def __repr__(self) -> str:
        odors = self.odors if isinstance(self.odors, str) else "in-memory odor library"
        return (f"Model(connectome={self.connectome.name!r}, odors={odors!r}, "
                f"metabolism={self.has_metabolism}, readout={self.readout!r})")

    # --- what is built from it ---------------------------------------------------------
    def key(self) -> str:
        """Content hash of everything that sets the model's numbers."""
        parts = {"connectome": self.connectome.checksum(), "odors": self._odor_description(),
                 "parameters": {group: None if s is None else s.digest()
                                for group, s in vars(self.parameters).items()},
                 "readout": self.readout}
        return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]

    def built(self):
        """(network view, metabolism or None), built once per process for equal models."""
        key = self.key()
        if key not in _BUILT:
            _BUILT[key] = self._build()
            while len(_BUILT) > _KEEP:
                _BUILT.popitem(last=False)
        _BUILT.move_to_end(key)
        return _BUILT[key]

    @property
    def network(self):
        """The engine's view of the spiking network (:class:`~mbsim.engine.network_view.NetworkView`),
        reading test windows through the readout emulator if the readout is graded."""
        return self.built()[0]

    @property
    def metabolism(self):
        """The metabolism model (:class:`~mbsim.metabolism.Metabolism`), or None."""
        return self.built()[1]

    def odor_library(self):
        from .network import OdorLibrary
        if not isinstance(self.odors, str):
            return self.odors
        params = self.parameters.network
        if self.odors == "synthetic":
            return OdorLibrary.synthetic(params)
        return OdorLibrary.hallem_carlson(params, None if self.odors == "hallem_carlson"
                                          else self.odors)

    def _build(self):
        from .engine.network_view import NetworkView
        from .network import MushroomBodyNetwork
        network = NetworkView(MushroomBodyNetwork(self.connectome, self.parameters.network,
                                                  self.odor_library()))
        if self.readout == "graded":
            from .engine.readout_emulator import EmulatedReadout
            network = EmulatedReadout(network)
        metabolism = None
        if self.has_metabolism:
            from .metabolism import Metabolism
            metabolism = Metabolism(self.parameters.metabolism, network.compartments)
        return network, metabolism

    # --- provenance ---------------------------------------------------------------------
    def _odor_description(self):
        if isinstance(self.odors, str):
            return self.odors
        return {"source": self.odors.source,
                "responses": self.odors.responses.to_dict(orient="split"),
                "spontaneous": self.odors.spontaneous.to_dict()}

    def description(self) -> dict:
        """JSON-ready description: enough to rebuild the model (:meth:`from_description`)."""
        c = self.connectome
        return {"connectome": {"name": c.name, "source": c.source, "checksum": c.checksum(),
                               "origin": c.origin},
                "odors": self._odor_description(), "parameters": self.parameters.as_dict(),
                "readout": self.readout}

    @classmethod
    def from_description(cls, description: Mapping, where: str = "") -> "Model":
        """The model a result file describes; the connectome is loaded again from its source
        and must have the recorded checksum."""
        from .connectome import load
        from .parameters import ParameterSet, declarations_of
        recorded = description["connectome"]
        origin = recorded["origin"]
        connectome = None
        if origin:
            try:
                connectome = load(origin)
            except InputError:
                pass
        if connectome is None or connectome.checksum() != recorded["checksum"]:
            found = (f"connectome '{recorded['name']}' from '{origin}', which no longer loads with "
                     "its recorded checksum" if origin else
                     f"connectome '{recorded['name']}', selected or edited in memory")
            raise InputError(found=found, expected="a connectome loaded from 'default' or an "
                             "unchanged data folder; rebuild an edited one in Python",
                             file=where or None, field="connectome")
        sets = {}
        for group, recorded_set in description["parameters"].items():
            if recorded_set is not None:
                sets[group] = ParameterSet.from_dict(
                    declarations_of(group), {name: {"value": value,
                                                    "source": recorded_set["sources"].get(name, "")}
                                             for name, value in recorded_set["values"].items()})
        return cls(connectome, _odors_from(description["odors"]), Parameters(**sets),
                   readout=description.get("readout", "spiking"))


def _checked_readout(readout, parameters: Parameters) -> str:
    if readout not in READOUTS:
        raise InputError(found=f"readout {readout!r}", expected=" or ".join(map(repr, READOUTS)),
                         field="readout")
    if readout == "graded" and parameters.network.recurrent:
        raise InputError(found="readout 'graded' with network.recurrent > 0",
                         expected="the spiking readout for a recurrent circuit: the graded readout "
                         "is calibrated on a feedforward window, which MBON->DAN feedback makes inexact",
                         field="readout")
    return readout


def _checked_odors(odors):
    if isinstance(odors, (str, Path)):
        odors = str(odors)
        if odors not in ODOR_NAMES and not Path(odors).is_file():
            raise InputError(found=f"odors '{odors}'", expected="'synthetic', 'hallem_carlson', "
                             "a Hallem-Carlson responses.csv or an OdorLibrary", field="odors")
        return odors
    if not all(hasattr(odors, name) for name in ("responses", "spontaneous", "source")):
        raise InputError(found=f"odors of type {type(odors).__name__}",
                         expected="a name, a path or an OdorLibrary", field="odors")
    return odors


def _odors_from(recorded):
    if isinstance(recorded, str):
        return recorded
    import pandas as pd
    from .network import OdorLibrary
    return OdorLibrary(pd.DataFrame(**recorded["responses"]), pd.Series(recorded["spontaneous"]),
                       recorded["source"])
