"""Parameter sets: the checked SI values of one group with their sources, from a file or a dict."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from ..errors import InputError
from .declarations import Declarations
from .files import read_entries

#: The source of a value changed in memory (a fit, a sweep, a test) without one given.
IN_MEMORY = "in-memory"


class ParameterSet:
    """Values (SI floats; a mapping per compartment or a tuple of names where declared so) and
    their sources, read as ``p["tau_labile"]`` or ``p.tau_labile``; immutable, changed through
    :meth:`updated`. Values may be (k,) arrays, one per column of a fit's batch, only where
    :meth:`updated` is asked for columns."""

    def __init__(self, declarations: Declarations, values: dict, sources: dict[str, str],
                 name: str = "", path: str = ""):
        for attribute, value in (("declarations", declarations), ("_values", dict(values)),
                                 ("sources", dict(sources)), ("name", name), ("path", str(path))):
            object.__setattr__(self, attribute, value)

    @classmethod
    def from_file(cls, declarations: Declarations, path: str | Path | None = None):
        """Load and check a ``{value, source}`` file (default: the group's default file); one
        :class:`InputError` naming file, line and field on any problem."""
        path = Path(path) if path is not None else declarations.default_file
        name, entries = read_entries(path, declarations.names, declarations.group)
        values = {key: declarations[key].convert(entries[key].value, entries[key].where(path),
                                                 key_lines=entries[key].key_lines())
                  for key in declarations.names}
        sources = {key: entries[key].source for key in declarations.names}
        return (declarations.set_type or cls)(declarations, values, sources, name, str(path))

    @classmethod
    def from_dict(cls, declarations: Declarations, mapping: Mapping, base=None):
        """``base`` (default: the group's default file) with the values of ``mapping`` replaced;
        an entry is a value or ``{value, source}`` (source "in-memory" when not given)."""
        base = base if base is not None else cls.from_file(declarations)
        values, sources = {}, {}
        for key, item in mapping.items():
            if isinstance(item, Mapping) and "value" in item:
                values[key] = item["value"]
                sources[key] = str(item.get("source", IN_MEMORY))
            else:
                values[key] = item
        return base.updated(values, sources=sources)

    @property
    def group(self) -> str:
        return self.declarations.group

    @property
    def values(self) -> dict:
        return dict(self._values)

    def __getitem__(self, key: str):
        return self._values[key]

    def __getattr__(self, key: str):
        if key.startswith("_"):
            raise AttributeError(key)
        try:
            return self._values[key]
        except KeyError:
            raise AttributeError(f"no {self.group} parameter '{key}'") from None

    def __setattr__(self, key, value):
        raise AttributeError("a parameter set is immutable; use updated()")

    def __contains__(self, key: str) -> bool:
        return key in self._values

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.group} '{self.name}': {len(self._values)} values>"

    def updated(self, changes: Mapping, *, columns: bool = False,
                sources: Mapping[str, str] | None = None):
        """A checked copy with ``changes`` ({name: value}); a value is an SI number or a quantity
        string ("2 h", "-44 mV"), checked against its declaration like a file entry. With
        ``columns`` a value may be a (k,) array, one per column of a fit's batch (all of one k)."""
        values = dict(self._values)
        for key, raw in changes.items():
            declaration = self.declarations[key]
            values[key] = declaration.convert(raw, {"field": key}, numbers_are_si=True,
                                              columns=columns)
        lengths = {key: len(v) for key, v in values.items() if isinstance(v, np.ndarray)}
        if len(set(lengths.values())) > 1:
            raise InputError(found="arrays of lengths " + ", ".join(f"{key}: {n}" for key, n in
                                                                    lengths.items()),
                             expected="one value per column of one batch (equal lengths)",
                             field=next(key for key in changes if key in lengths))
        given = sources or {}
        new_sources = {**self.sources, **{key: given.get(key, IN_MEMORY) for key in changes}}
        return type(self)(self.declarations, values, new_sources, self.name, self.path)

    def replace(self, **changes):
        """:meth:`updated` with keyword arguments (scalar values only)."""
        return self.updated(changes)

    @property
    def batch_size(self) -> int | None:
        """k when some values are (k,) arrays (one per column of a fit's batch), else None."""
        return next((len(v) for v in self._values.values() if isinstance(v, np.ndarray)), None)

    def as_dict(self) -> dict:
        """JSON-ready description for provenance: values (SI) and sources."""
        return {"group": self.group, "name": self.name, "file": self.path,
                "values": {key: _plain(value) for key, value in self._values.items()},
                "sources": dict(self.sources)}

    def digest(self, kinds: tuple[str, ...] | None = None) -> str:
        """Content hash of the values (of the given kinds only, e.g. ``("compiled",)``)."""
        names = self.declarations.of_kind(*kinds) if kinds else self.declarations.names
        values = {name: _plain(self._values[name]) for name in names}
        return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:16]


def _plain(value):
    """A JSON value: lists for arrays and tuples, a copy of a mapping."""
    if isinstance(value, (np.ndarray, tuple)):
        return np.asarray(value).tolist()
    return dict(value) if isinstance(value, Mapping) else value
