"""Read protocol YAML and remember the line of every key, so errors can point into the file."""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from .errors import InputError
from .limits import MAX_YAML_DEPTH, MAX_YAML_NODES

Path_ = tuple[str | int, ...]

#: libyaml's parser where PyYAML was built with it (the same nodes and marks, ~10x faster on
#: large files); the pure-Python one otherwise.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True)
class YamlDocument:
    """The parsed data of a YAML file and the 1-based line of each path in it (``()`` is the root)."""

    data: object
    lines: dict[Path_, int]

    def line_of(self, path: Path_) -> int:
        """Line of the deepest part of ``path`` present in the file."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.lines:
                return self.lines[path[:end]]
        return 1


def read_yaml(text: str, filename: str) -> YamlDocument:
    """Parse ``text``; a syntax error or a duplicated key raises :class:`InputError` with its line."""
    try:
        root = yaml.compose(text, Loader=_LOADER)
    except RecursionError:
        raise _too_deep(filename, None) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        if "nesting depth" in (error.problem or ""):   # libyaml's own limit (1000 levels)
            raise _too_deep(filename, mark.line + 1 if mark else None) from None
        detail = error.problem or error.context
        if error.context and error.context_mark and error.problem_mark:
            detail += f", {error.context} started on line {error.context_mark.line + 1}"
        raise InputError(found=f"a YAML syntax error ({detail})",
                         expected="valid YAML: 'key: value' lines, lists as [a, b] or '- item' lines",
                         file=filename, line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as error:
        raise InputError(found=f"unreadable YAML ({error})", expected="valid YAML",
                         file=filename) from None
    lines: dict[Path_, int] = {}
    if root is not None:
        _record_lines(root, (), lines, filename, [0])
    return YamlDocument(yaml.load(text, Loader=_LOADER), lines)


def _too_deep(filename: str, line: int | None) -> InputError:
    return InputError(found="YAML nested too deeply to read",
                      expected=f"at most {MAX_YAML_DEPTH} levels of nesting", file=filename, line=line)


def _record_lines(node: yaml.Node, path: Path_, lines: dict[Path_, int], filename: str,
                  visited: list[int]) -> None:
    """Record the line of every path; refuse files that nest or expand (through aliases) beyond
    :data:`~mbsim.limits.MAX_YAML_DEPTH` / :data:`~mbsim.limits.MAX_YAML_NODES` before the data
    are built."""
    visited[0] += 1
    if len(path) > MAX_YAML_DEPTH:
        found = f"YAML nested more than {MAX_YAML_DEPTH} levels deep"
    elif visited[0] > MAX_YAML_NODES:
        found = f"YAML that expands (with its aliases) to more than {MAX_YAML_NODES} values"
    else:
        found = ""
    if found:
        raise InputError(found=found, expected="a protocol-sized file, repeated parts written "
                         "out instead of nested aliases", file=filename,
                         line=node.start_mark.line + 1)
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value
            if key in seen:
                raise InputError(found=f"the key '{key}' a second time",
                                 expected="each key once in a mapping",
                                 file=filename, line=key_node.start_mark.line + 1,
                                 field=format_path(path + (key,)))
            seen.add(key)
            lines[path + (key,)] = key_node.start_mark.line + 1
            _record_lines(value_node, path + (key,), lines, filename, visited)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_lines(item, path + (index,), lines, filename, visited)


def format_path(path: Path_) -> str:
    """``('tests', 'times', 2)`` -> ``'tests.times[2]'``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
