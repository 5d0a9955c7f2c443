"""The model's parameters: the network, memory and metabolism sets, named ``group.parameter``."""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from .declarations import Declaration, Declarations
from .sets import ParameterSet

#: Where each group declares its parameters (imported on first use: the network's module loads
#: Brian2, and ``mbsim.parameters`` must not).
GROUPS = {"network": ("mbsim.network.parameters", "NETWORK"),
          "memory": ("mbsim.engine.memory", "MEMORY"),
          "metabolism": ("mbsim.metabolism.params", "METABOLISM")}


def declarations_of(group: str) -> Declarations:
    """The declarations of one group; an InputError naming the groups for any other name."""
    if group not in GROUPS:
        raise InputError(found=f"unknown parameter group '{group}'",
                         expected="one of " + ", ".join(GROUPS), field=group)
    module, attribute = GROUPS[group]
    return getattr(importlib.import_module(module), attribute)


def split_name(qualified: str) -> tuple[str, str]:
    """``"memory.tau_labile"`` -> ``("memory", "tau_labile")``, checked against the declarations."""
    group, _, key = qualified.partition(".")
    declarations = declarations_of(group)
    if key not in declarations:
        raise InputError(found=f"unknown parameter '{qualified}'", expected="one of " + ", ".join(
            f"{group}.{name}" for name in declarations.names), field=qualified)
    return group, key


@dataclass(frozen=True)
class Parameters:
    """The parameter sets of one model (``metabolism`` is None in a model without it)."""

    network: ParameterSet
    memory: ParameterSet
    metabolism: ParameterSet | None = None

    @classmethod
    def from_files(cls, network: str | Path | None = None, memory: str | Path | None = None,
                   metabolism: str | Path | None = None, *, with_metabolism: bool = True):
        """The sets loaded from these files (None: the group's default file)."""
        files = {"network": network, "memory": memory, "metabolism": metabolism}
        if not with_metabolism:
            del files["metabolism"]
        return cls(**{group: ParameterSet.from_file(declarations_of(group), path)
                      for group, path in files.items()})

    @classmethod
    def default(cls, *, with_metabolism: bool = True):
        return cls.from_files(with_metabolism=with_metabolism)

    @staticmethod
    def declaration(qualified: str) -> Declaration:
        """The declaration of ``"group.parameter"``."""
        group, key = split_name(qualified)
        return declarations_of(group)[key]

    def group(self, group: str) -> ParameterSet:
        declarations_of(group)
        if getattr(self, group) is None:
            raise InputError(found=f"{group} parameters in a model without {group}",
                             expected=f"a model with {group}", field=group)
        return getattr(self, group)

    def __getitem__(self, qualified: str):
        group, key = split_name(qualified)
        return self.group(group)[key]

    def updated(self, changes: Mapping, *, columns: bool = False) -> "Parameters":
        """A new collection with ``{"group.parameter": value}`` changed (see
        :meth:`ParameterSet.updated`); errors name the parameter as ``group.parameter``."""
        by_group: dict[str, dict] = {}
        for qualified, value in changes.items():
            group, key = split_name(qualified)
            by_group.setdefault(group, {})[key] = value
        new = {}
        for group, values in by_group.items():
            try:
                new[group] = self.group(group).updated(values, columns=columns)
            except InputError as error:
                raise dataclasses.replace(error, field=f"{group}.{error.field}") from None
        return dataclasses.replace(self, **new)

    def as_dict(self) -> dict:
        """JSON-ready values and sources of every group (None for an absent one)."""
        sets = {group: getattr(self, group) for group in GROUPS}
        return {group: None if s is None else s.as_dict() for group, s in sets.items()}
