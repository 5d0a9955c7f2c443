"""Load protocol files: YAML -> validated :class:`Protocol`, or one :class:`InputError` with file, line, field."""

from __future__ import annotations

import types
from pathlib import Path
from typing import Annotated, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..documents import read_document, shipped_documents
from ..errors import InputError
from ..paths import PROTOCOLS_DIR
from .model import SCHEMA_VERSION, Protocol
from .sequence import SequenceProtocol
from ..yaml_source import YamlDocument, format_path, read_yaml

MINIMAL_EXAMPLE = "schema_version: 2, name, odors, phases, tests"
#: The model of each schema version this mbsim reads.
MODELS = {SCHEMA_VERSION: Protocol, 2: SequenceProtocol}


def shipped_protocols() -> list[Path]:
    """The protocol files shipped in ``protocols/``, sorted by name."""
    return shipped_documents(PROTOCOLS_DIR)


def load_protocol(path: str | Path) -> Protocol:
    """Read and validate a protocol file (or a shipped protocol named without ``.yaml``)."""
    text, path = read_document(path, PROTOCOLS_DIR, "protocol")
    return parse_protocol_text(text, str(path))


def parse_protocol_text(text: str, filename: str = "<protocol>") -> Protocol:
    """Validate protocol YAML ``text``; ``filename`` names it in error messages."""
    document = read_yaml(text, filename)
    data = document.data
    if not isinstance(data, dict):
        raise InputError(found=f"a YAML {type(data).__name__}" if data is not None else "an empty file",
                         expected="a mapping of protocol keys", file=filename, line=1,
                         example=MINIMAL_EXAMPLE)
    version = data.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version not in MODELS:
        found = ("no schema_version" if "schema_version" not in data
                 else f"schema_version {data['schema_version']!r}")
        raise InputError(found=found, expected="schema_version: 1 or 2 (the versions this mbsim "
                         "reads)", file=filename, line=document.line_of(("schema_version",)),
                         field="schema_version", example="schema_version: 2")
    try:
        protocol = MODELS[version].model_validate(data)
    except ValidationError as error:
        raise _first_error(error, document, filename, MODELS[version]) from None
    return protocol.with_source(text, filename)


def _first_error(error: ValidationError, document: YamlDocument, filename: str,
                 root: type[BaseModel]) -> InputError:
    """The error that comes first in the file, as an :class:`InputError`."""
    located = []
    for order, item in enumerate(error.errors()):
        path, found, expected, example = _describe(item, document.data, root)
        located.append((document.line_of(path), order, path, found, expected, example))
    line, _, path, found, expected, example = min(located)
    return InputError(found=found, expected=expected, file=filename, line=line,
                      field=format_path(path), example=example)


def _describe(item: dict, data: object, root: type[BaseModel]) -> tuple[tuple, str, str, str | None]:
    """(path in the data, found, expected, example) of one pydantic error."""
    kind, ctx, value = item["type"], item.get("ctx") or {}, item.get("input")
    path = _data_path(item["loc"], data)
    if kind == "protocol":
        return path + _parse_field(ctx.get("field", "")), ctx["found"], ctx["expected"], ctx.get("example")
    last = path[-1] if path else ""
    if kind == "extra_forbidden":
        keys = _keys_at(item["loc"][:-1], root)
        return path, f"unknown key '{last}'", "one of the keys " + ", ".join(keys), None
    if kind == "missing":
        return path, f"no '{last}'", f"the key '{last}'", None
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        found = f"kind '{ctx.get('tag')}'" if kind == "union_tag_invalid" else "no 'kind'"
        tags = ctx.get("expected_tags") or "'cold_shock', 'cycloheximide', 'activate', 'block'"
        example = ("{kind: training, cs_plus: A, reinforcement: {shock: {}}}" if path[:1] == ("phases",)
                   else "{kind: cold_shock, at: 2 h after training}")
        return path + ("kind",), found, "kind: one of " + tags, example
    if kind == "literal_error":
        return path, f"{value!r}", "one of " + ctx["expected"], None
    if kind in _BOUNDS:
        return path, f"{value!r}", _BOUNDS[kind].format(**ctx), None
    expected = {"int_type": "a whole number", "int_parsing": "a whole number",
                "int_from_float": "a whole number", "bool_type": "true or false",
                "bool_parsing": "true or false", "list_type": "a list, e.g. [3 min, 24 h]",
                "model_type": "a mapping (key: value lines)", "dict_type": "a mapping (key: value lines)",
                "model_attributes_type": "a mapping (key: value lines)", "string_type": "a text"}
    return path, f"{value!r}", expected.get(kind, item["msg"][0].lower() + item["msg"][1:]), None


_BOUNDS = {"greater_than_equal": "a number >= {ge}", "greater_than": "a number > {gt}",
           "less_than_equal": "a number <= {le}", "too_short": "at least {min_length} item(s)",
           "too_long": "at most {max_length} item(s)",
           "string_too_long": "a text of at most {max_length} characters",
           "string_pattern_mismatch": "a text matching {pattern}"}


def _data_path(loc: tuple, data: object) -> tuple:
    """Map a pydantic location to the path in the YAML data, dropping union tags."""
    path: list = []
    current = data
    for part in loc:
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            current = current[part]
        elif isinstance(current, dict) and current.get("kind") == part:
            continue
        else:
            current = None
        path.append(part)
    return tuple(path)


def _parse_field(text: str) -> tuple:
    """``'interventions[0].to'`` -> ``('interventions', 0, 'to')``."""
    parts: list = []
    for piece in filter(None, text.split(".")):
        name, *indices = piece.replace("]", "").split("[")
        parts.append(name)
        parts.extend(int(index) for index in indices)
    return tuple(parts)


def _keys_at(loc: tuple, root: type[BaseModel]) -> list[str]:
    """The keys allowed by the schema at a pydantic location."""
    models = [root]
    keyed = False   # the next part is a key of a mapping (odors: {A: ...})
    for part in loc:
        if isinstance(part, int) or keyed:
            keyed = False
            continue
        tagged = [m for m in models if "kind" in m.model_fields
                  and part in get_args(m.model_fields["kind"].annotation)]
        if tagged:
            models = tagged
            continue
        fields = {field.alias or name: field for m in models for name, field in m.model_fields.items()}
        if part not in fields:
            return []
        annotation = fields[part].annotation
        keyed = get_origin(annotation) is dict
        models = _models_in(get_args(annotation)[1] if keyed else annotation)
    return [field.alias or name for m in models for name, field in m.model_fields.items()]


def _models_in(annotation) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    if get_origin(annotation) is Annotated:
        return _models_in(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType, list, tuple):
        return [model for arg in get_args(annotation) for model in _models_in(arg)]
    return []
