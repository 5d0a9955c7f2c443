"""Layout of the metabolism state vector: names, units, index slices and typical magnitudes.

Amounts of the whole body are in nmol, concentrations (hemolymph, glia, KCs) in mmol/L, cumulative
ATP counters in nmol (body) or fmol (brain), so that every entry is of order 1-1e4 and one absolute
solver tolerance suits all of them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

NMOL, FMOL, MM = 1e9, 1e15, 1e3            # SI -> internal units
MM_L_TO_NMOL, MM_L_TO_FMOL = 1e6, 1e12      # (mmol/L) * L -> nmol, fmol

#: Causes of ATP use in the /energy group, in order.
CAUSES = ("spikes", "synapses", "plasticity_labile", "plasticity_ARM", "plasticity_LTM", "basal")
#: Whole-body ledger counters [nmol ATP-equivalents].
BODY_COUNTERS = ("eaten", "body_basal", "body_consolidation", "conversion_loss", "brain_uptake")
#: Brain ledger counters outside KC compartments [fmol ATP-equivalents].
BRAIN_COUNTERS = ("glia_basal", "extrinsic_spikes", "extrinsic_synapses", "atp_deficit")


class StateLayout:
    """Names, units and slices of the state vector for a given list of compartments.

    Rows of the body and the glia: ``glycogen`` and ``lipid`` [nmol], ``hemolymph_sugar``,
    ``glia_lactate`` and ``glia_ketone`` [mmol/L]; ``stores`` (glycogen and lipid) and ``body``
    (with hemolymph sugar) are slices of them. Per compartment: ``pyruvate`` and ``atp`` [mmol/L],
    ``pdh`` (activation, 1); then the ledger counters.
    """

    def __init__(self, compartments: Sequence[str]):
        self.compartments = tuple(compartments)
        n = len(self.compartments)
        entries: list[tuple[str, str, float, str]] = [  # name, unit, typical size, long name
            ("glycogen", "nmol", 100.0, "body glycogen (glucosyl units)"),
            ("lipid", "nmol", 50.0, "body triacylglycerol"),
            ("hemolymph_sugar", "mmol/L", 30.0, "hemolymph sugar (glucose equivalents)"),
            ("glia_lactate", "mmol/L", 1.0, "glial lactate and alanine"),
            ("glia_ketone", "mmol/L", 0.1, "glial ketone bodies")]
        start = len(entries)
        for prefix, unit, scale, long_name in (
                ("kc_pyruvate", "mmol/L", 0.1, "KC cytosolic pyruvate in"),
                ("kc_atp", "mmol/L", 2.5, "KC ATP in"),
                ("pdh_activation", "1", 1.0, "KC pyruvate dehydrogenase activation in")):
            entries += [(f"{prefix}_{c}", unit, scale, f"{long_name} {c}") for c in self.compartments]
        self.pyruvate = slice(start, start + n)
        self.atp = slice(start + n, start + 2 * n)
        self.pdh = slice(start + 2 * n, start + 3 * n)
        self.n_dynamic = start + 3 * n
        entries += [(f"ledger_{name}", "nmol", 1e3, f"cumulative {name} (ATP equivalents)")
                    for name in BODY_COUNTERS]
        entries += [(f"ledger_{name}", "fmol", 1e3, f"cumulative {name} (ATP)") for name in BRAIN_COUNTERS]
        self.body_counters = slice(self.n_dynamic, self.n_dynamic + len(BODY_COUNTERS))
        self.brain_counters = slice(self.body_counters.stop, self.body_counters.stop + len(BRAIN_COUNTERS))
        first = self.brain_counters.stop
        entries += [(f"atp_{cause}_{c}", "fmol", 1e3, f"cumulative KC ATP for {cause} in {c}")
                    for cause in CAUSES for c in self.compartments]
        self.cause_block = {cause: slice(first + i * n, first + (i + 1) * n)
                            for i, cause in enumerate(CAUSES)}
        self.names = tuple(e[0] for e in entries)
        self.units = tuple(e[1] for e in entries)
        self.scales = np.array([e[2] for e in entries])
        self.long_names = tuple(e[3] for e in entries)
        self.size = len(entries)
        self.index = {name: i for i, name in enumerate(self.names)}
        self.glycogen = self.index["glycogen"]
        self.lipid = self.index["lipid"]
        self.hemolymph_sugar = self.index["hemolymph_sugar"]
        self.glia_lactate = self.index["glia_lactate"]
        self.glia_ketone = self.index["glia_ketone"]
        self.stores = slice(self.glycogen, self.lipid + 1)
        self.body = slice(self.glycogen, self.hemolymph_sugar + 1)

    def counter(self, name: str) -> int:
        """Index of a ledger counter by its short name ('eaten', 'glia_basal', ...)."""
        return self.index[f"ledger_{name}"]
