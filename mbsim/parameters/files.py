"""Parameter files: YAML tables of ``name: {value, source}`` entries, read and checked in one place.

A parameter file looks like::

    name: memory_default
    description: Memory-phase kinetics of the slow layer.
    parameters:
      tau_labile: {value: 1 h, source: "Tully et al. 1994 (fit by eye)"}
      arm_fraction: {value: 0.2, source: assumption}

:func:`read_entries` checks what every file shares (readable YAML, a ``parameters`` mapping, no
unknown or missing names, a value and a non-empty source for each entry) and keeps each entry's line
for error messages; the values are converted by their declarations (:mod:`.declarations`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..errors import InputError
from ..yaml_source import read_yaml


@dataclass(frozen=True)
class Entry:
    """One ``name: {value, source}`` entry of a parameter file."""

    name: str
    value: object            # the value as YAML loads it (string with unit, number, list, mapping)
    value_node: yaml.Node    # the same value as a YAML node (for per-key line numbers)
    source: str
    line: int

    def where(self, path: str | Path, field: str | None = None) -> dict:
        return dict(file=path, line=self.line, field=field or self.name)

    def key_lines(self) -> dict[str, int]:
        """The line of each key when the value is a mapping (one value per compartment)."""
        if not isinstance(self.value_node, yaml.MappingNode):
            return {}
        return {key.value: key.start_mark.line + 1 for key, _ in self.value_node.value}


def read_entries(path: str | Path, names: Iterable[str], what: str) -> tuple[str, dict[str, Entry]]:
    """The set's name and its entries, after the checks every parameter file must pass."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(found=f"an unreadable file ({getattr(error, 'strerror', error)})",
                         expected=f"a {what} parameter file (YAML)", file=path) from None
    read_yaml(text, str(path))   # syntax, keys given twice, size and nesting: located errors
    root = yaml.compose(text)
    top = _mapping(root) if isinstance(root, yaml.MappingNode) else {}
    if "parameters" not in top or not isinstance(top["parameters"][1], yaml.MappingNode):
        raise InputError(found="no 'parameters' mapping", expected="name, description and a "
                         "'parameters' mapping of name -> {value, source}", file=path,
                         example="parameters: {tau: {value: 10 ms, source: assumption}}")
    names = list(names)
    entries = {}
    for name, (key_node, value_node) in _mapping(top["parameters"][1]).items():
        line = key_node.start_mark.line + 1
        if name not in names:
            raise InputError(found=f"unknown parameter '{name}'", expected="one of "
                             + ", ".join(sorted(names)), file=path, line=line, field=name)
        entry = _mapping(value_node) if isinstance(value_node, yaml.MappingNode) else {}
        if "value" not in entry:
            raise InputError(found="no 'value'", expected="a mapping with 'value' (with its unit) "
                             "and 'source'", example=f"{name}: {{value: ..., source: assumption}}",
                             file=path, line=line, field=name)
        source = yaml.safe_load(yaml.serialize(entry["source"][1])) if "source" in entry else None
        if not isinstance(source, str) or not source.strip():
            raise InputError(found="no 'source'", expected="a citation or the word 'assumption'",
                             file=path, line=line, field=name)
        node = entry["value"][1]
        entries[name] = Entry(name, yaml.safe_load(yaml.serialize(node)), node, source.strip(), line)
    missing = [name for name in names if name not in entries]
    if missing:
        raise InputError(found=f"no entry for {', '.join(missing)}",
                         expected=f"every {what} parameter to have a value", file=path,
                         field=missing[0])
    name_node = top.get("name")
    return (str(name_node[1].value) if name_node else path.stem), entries


def _mapping(node: yaml.MappingNode) -> dict[str, tuple[yaml.Node, yaml.Node]]:
    return {key.value: (key, value) for key, value in node.value}
