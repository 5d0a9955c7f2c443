"""Odors as glomerular response profiles, and their conversion into projection neuron rates.

An odor is the change of olfactory receptor neuron (ORN) firing in each glomerulus (Hallem & Carlson
2006). PN rates follow the divisive normalisation of Olsen, Bhandawat & Wilson 2010 with the
parameters of Luo, Axel & Abbott 2010. Synthetic odors (seeded random profiles over the same 24
glomeruli) let the network run without the published table; "3-octanol" and "4-methylcyclohexanol",
the classic conditioning odors, are synthetic in every library since the table lacks them.
"""

from __future__ import annotations

import difflib
import hashlib
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError
from ..paths import shared_data_dir
from .parameters import NetworkParameters

#: The 24 glomeruli of Hallem & Carlson 2006, in the table's column order.
HALLEM_GLOMERULI = ("DA4m", "DL5", "VM3", "DL1", "DC1", "DM2", "DA3", "DM35", "VC3", "DA4l", "VM2",
                    "DM3", "VA1v", "VA5", "DM4", "DL3", "DM6", "VC4", "VA6", "DM5", "VM5d", "DL4",
                    "VA1d", "VM5v")
#: Table columns that stand for several glomeruli: Or33b is co-expressed in DM3 and DM5 ORNs.
SHARED_COLUMNS = {"DM35": ("DM3", "DM5")}
#: Synthetic odors of every library (the usual conditioning pairs and common test odors).
SYNTHETIC_ODORS = ("3-octanol", "4-methylcyclohexanol", "benzaldehyde", "ethyl acetate",
                   "isoamyl acetate", "pentyl acetate", "1-octen-3-ol", "apple cider vinegar")
HALLEM_FILE = Path("odors") / "hallem_carlson_2006" / "responses.csv"


class OdorLibrary:
    """Named odors -> ORN rate change per glomerulus [Hz], plus the spontaneous ORN rates."""

    def __init__(self, responses: pd.DataFrame, spontaneous: pd.Series, source: str):
        """``responses``: one row per odor, one column per glomerulus of Hallem & Carlson 2006
        (ORN rate change [Hz]); ``spontaneous``: ORN rate [Hz] per glomerulus. Checked here, so a
        library built in memory meets the same checks as the file."""
        self.responses = _checked_table(responses, "responses", source)
        self.spontaneous = _checked_table(pd.DataFrame(spontaneous).T, "spontaneous", source).iloc[0]
        if not (self.spontaneous >= 0).all():
            raise InputError(found="negative spontaneous rates", expected="rates >= 0 Hz",
                             file=source, field="spontaneous")
        self.source = source

    @classmethod
    def synthetic(cls, params: NetworkParameters, names=SYNTHETIC_ODORS) -> "OdorLibrary":
        """Seeded random glomerular profiles (the seed is the odor name), same for every call."""
        rows = {name: _synthetic_profile(name, params) for name in names}
        responses = pd.DataFrame.from_dict(rows, orient="index", columns=list(HALLEM_GLOMERULI))
        spontaneous = pd.Series(params.synthetic_spontaneous_rate, index=list(HALLEM_GLOMERULI))
        return cls(responses, spontaneous, "synthetic (seeded random profiles)")

    @classmethod
    def hallem_carlson(cls, params: NetworkParameters, path: str | Path | None = None) -> "OdorLibrary":
        """The 110 odors of Hallem & Carlson 2006 (Table S1) plus the synthetic odors it lacks."""
        path = Path(path) if path is not None else shared_data_dir() / HALLEM_FILE
        if not path.is_file():
            raise InputError(found="no such file", expected="the Hallem & Carlson 2006 responses.csv",
                             file=path)
        table = pd.read_csv(path, index_col=0)
        missing = [g for g in HALLEM_GLOMERULI if g not in table.columns]
        if missing:
            raise InputError(found="columns " + ", ".join(table.columns[:5]) + ", ...",
                             expected="glomerulus columns including " + ", ".join(missing), file=path)
        spont_rows = [i for i in table.index if str(i).startswith("spontaneous")]
        if len(spont_rows) != 1:
            raise InputError(found=f"{len(spont_rows)} spontaneous-rate rows",
                             expected="one row named 'spontaneous firing rate'", file=path)
        spontaneous = table.loc[spont_rows[0], list(HALLEM_GLOMERULI)]
        responses = table.drop(index=spont_rows)[list(HALLEM_GLOMERULI)]
        extra = [n for n in SYNTHETIC_ODORS if n not in responses.index]
        synthetic = cls.synthetic(params, extra).responses
        return cls(pd.concat([responses, synthetic]), spontaneous,
                   f"Hallem & Carlson 2006 ({path.name}) + synthetic {', '.join(extra)}")

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self.responses.index)

    def __contains__(self, name: str) -> bool:
        return name in self.responses.index

    def check(self, name: str, field: str = "odor") -> None:
        """Raise :class:`InputError` listing close matches when ``name`` is not in the library."""
        if name in self.responses.index:
            return
        close = difflib.get_close_matches(name, self.names, n=5, cutoff=0.5)
        hint = ("close matches: " + ", ".join(close)) if close else f"{len(self.names)} known odors"
        raise InputError(found=f"unknown odor '{name}'", expected=f"an odor of the library ({hint})",
                         field=field, example=self.names[0])

    def pn_rates(self, glomeruli, name: str | None, concentration: float,
                 params: NetworkParameters) -> np.ndarray:
        """Rate [Hz] of each PN given its glomerulus; ``name=None`` gives spontaneous rates.

        A PN fires at ``pn_spontaneous_rate`` plus the normalised ORN excitation of its glomerulus
        (:func:`olsen_transform`); ORN inhibition scales the spontaneous rate down in proportion.
        Glomeruli without data stay spontaneous; a shared column (DM35) drives each of its glomeruli.
        """
        change = (self.responses.loc[name] * concentration if name is not None
                  else pd.Series(0.0, index=self.spontaneous.index))
        if name is not None:
            self.check(name)
        by_glomerulus = change.drop(list(SHARED_COLUMNS)).to_dict()
        for column, targets in SHARED_COLUMNS.items():
            for target in targets:
                by_glomerulus[target] = by_glomerulus.get(target, 0.0) + change[column]
        spont = self.spontaneous.to_dict()
        delta = np.array(list(by_glomerulus.values()))
        orn_spont = np.array([max(spont.get(g, params.synthetic_spontaneous_rate), 1e-9)
                              for g in by_glomerulus])
        excited = olsen_transform(np.clip(delta, 0.0, None), params)
        suppressed = np.clip(1.0 + np.minimum(delta, 0.0) / orn_spont, 0.0, 1.0)
        pn = params.pn_spontaneous_rate * suppressed + excited
        lookup = dict(zip(by_glomerulus, pn))
        return np.array([lookup.get(g, params.pn_spontaneous_rate) for g in glomeruli], dtype=float)


def _checked_table(table, field: str, source: str) -> pd.DataFrame:
    """The glomerulus columns of an odor table as floats; an InputError for missing columns,
    non-numeric or non-finite values, or duplicated odor names."""
    if not isinstance(table, pd.DataFrame):
        raise InputError(found=f"{field} of type {type(table).__name__}",
                         expected="a pandas DataFrame (odors x glomeruli)", field=field)
    missing = [g for g in HALLEM_GLOMERULI if g not in table.columns]
    if missing:
        raise InputError(found=f"{field} without glomeruli " + ", ".join(missing[:5]),
                         expected="a column for each of the 24 Hallem & Carlson glomeruli",
                         file=source, field=field)
    try:
        values = table[list(HALLEM_GLOMERULI)].astype(float)
    except (TypeError, ValueError) as error:
        raise InputError(found=f"non-numeric {field} ({error})", expected="rates in Hz",
                         file=source, field=field) from None
    if not np.isfinite(values.to_numpy()).all():
        raise InputError(found=f"non-finite {field}", expected="finite rates in Hz", file=source,
                         field=field)
    if values.index.duplicated().any():
        raise InputError(found=f"odor '{values.index[values.index.duplicated()][0]}' twice",
                         expected="each odor once", file=source, field=field)
    return values


def olsen_transform(orn: np.ndarray, params: NetworkParameters) -> np.ndarray:
    """PN response to ORN excitation with lateral divisive normalisation (Olsen et al. 2010)."""
    suppression = params.pn_lateral_inhibition * orn.sum() / params.pn_inhibition_reference
    power = orn ** 1.5
    return params.pn_max_rate * power / (power + params.pn_half_rate ** 1.5 + suppression ** 1.5)


def _synthetic_profile(name: str, params: NetworkParameters) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "little")
    rng = np.random.default_rng(seed)
    excited = rng.random(len(HALLEM_GLOMERULI)) < params.synthetic_response_fraction
    change = rng.normal(params.synthetic_response_mean, params.synthetic_response_spread,
                        len(HALLEM_GLOMERULI))
    inhibited = -rng.random(len(HALLEM_GLOMERULI)) * params.synthetic_spontaneous_rate
    return np.where(excited, np.abs(change), inhibited)
