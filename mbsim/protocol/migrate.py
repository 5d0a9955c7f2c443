"""Rewrite a schema-version-1 protocol as version 2: one training phase named ``training``, odors A and B.

The rewritten file gives the same schedule (and so the same numbers): time points "before/after
training" name the phase, tests are CS+ (A) against CS- (B) after it.
"""

from __future__ import annotations

import yaml

from ..yaml_source import read_yaml
from .loader import parse_protocol_text
from .model import SCHEMA_VERSION as VERSION_1

#: Keys of version 1 that version 2 keeps as they are.
KEPT = ("name", "description", "references", "feeding", "interventions", "genotype", "survival",
        "cohort", "seed")


def migrate_text(text: str, filename: str = "<protocol>") -> str:
    """The version-2 YAML text of version-1 protocol ``text`` (validated first, errors name
    ``filename``); a version-2 text is returned unchanged."""
    protocol = parse_protocol_text(text, filename)
    if protocol.schema_version != VERSION_1:
        return text
    data = read_yaml(text, filename).data
    training = {"kind": "training", "name": "training", "cs_plus": "A", "cs_minus": "B",
                **data["training"]}
    migrated = {"schema_version": 2, "name": data["name"]}
    migrated.update({key: data[key] for key in KEPT[1:3] if key in data})
    migrated["odors"] = {"A": data["odors"]["cs_plus"], "B": data["odors"]["cs_minus"]}
    migrated["phases"] = [training]
    migrated["tests"] = [{"sides": ["A", "B"], "after": "training", **data["tests"]}]
    migrated.update({key: data[key] for key in KEPT[3:] if key in data})
    return yaml.safe_dump(migrated, sort_keys=False, default_flow_style=None, allow_unicode=True,
                          width=100)
