"""The engine's view of the spiking network: windows in, plastic changes and T-maze choices out.

:class:`NetworkView` binds a :class:`~mbsim.network.MushroomBodyNetwork` to its parameters, names
the LTM-gating DANs, and checks a protocol's odors and targets against the network before any run.
"""

from __future__ import annotations

import numpy as np

from ..errors import InputError
from ..network import efficacy_change
from ..network.inputs import resolve_targets
from ..network.readout import choice_probability

#: Compartments of the PPL1 neurons that gate LTM: MP1 (PPL1-g1pedc) and MV1 (PPL1-g2a'1).
GATING_COMPARTMENTS = frozenset({"g1;pedc", "g2;a'1"})


class NetworkView:
    """What the engine needs of a network, with the bookkeeping that goes with it."""

    def __init__(self, network):
        self.network = network
        self.connectome = network.connectome
        self.compartments = network.compartments
        self.n_kc = network.n_kc
        self.kc_compartment_mask = network.kc_compartment_mask
        neurons = network.connectome.neurons
        self.type_sizes = neurons["cell_type"].value_counts().to_dict()
        self.type_classes = dict(zip(neurons["cell_type"], neurons["cell_class"]))
        #: True when MBONs feed back onto DANs and MBONs: windows then depend on the efficacy
        self.recurrent = network.params.recurrent > 0

    def simulate(self, window, efficacy=None, record: tuple[str, ...] = ()):
        return self.network.simulate(window, efficacy, record)

    def simulate_columns(self, window, efficacies, record: tuple[str, ...] = ()) -> list:
        return self.network.simulate_columns(window, efficacies, record)

    def efficacy_change(self, result, params=None) -> np.ndarray:
        """Change of relative efficacy per (KC, compartment) that a window's activity makes
        (plasticity parameters from ``params``, default the network's)."""
        return efficacy_change(result, params or self.network.params)

    def choice_probability(self, result, naive, params=None) -> float:
        """P(avoid CS+) from a test window, against the same window in the naive network
        (readout parameters from ``params``, default the network's)."""
        return choice_probability(result, naive, self.network.mbon_valence,
                                  (params or self.network.params).choice_temperature)

    def gates_ltm(self, targets) -> bool:
        """True when the targets include MP1 or MV1 (PPL1-g1pedc, PPL1-g2a'1)."""
        rows = resolve_targets(self.network.structure, targets).get("DAN", np.empty(0, int))
        dans = self.network.structure.groups["DAN"]
        found = dans.iloc[rows]
        return bool(((found["subtype"] == "PPL1")
                     & found["compartments"].isin(GATING_COMPARTMENTS)).any())

    def validate_schedule(self, schedule, protocol=None) -> None:
        """Check every odor and manipulation target against the network, naming the protocol line."""
        checks = [(("odors", key, "name"), odor.name, "odor") for key, odor in schedule.odors]
        checks += [(("interventions", item.source, "targets"), item.targets, "targets")
                   for item in schedule.interventions if item.kind in ("activate", "block")]
        phases = [phase.name for phase in schedule.phases]
        checks += [(("phases", phases.index(trial.phase), "reinforcement", "dan_activation",
                     "targets"), manipulation.targets, "targets")
                   for trial in schedule.trials for manipulation in trial.manipulations]
        for path, value, kind in checks:
            try:
                if kind == "odor":
                    self.network.odors.check(value)
                else:
                    resolve_targets(self.network.structure, value)
            except InputError as error:
                raise _located(error, path, protocol) from None


def _located(error: InputError, path: tuple, protocol) -> InputError:
    """The same error, placed at the protocol file, line and field."""
    from ..yaml_source import format_path, read_yaml
    file = line = None
    if protocol is not None:
        file = protocol.source_file
        line = read_yaml(protocol.source_text, file).line_of(path)
    return InputError(found=error.found, expected=error.expected, file=file, line=line,
                      field=format_path(path), example=error.example)
