"""The JSON Schemas of protocol files, generated from the models (``python -m mbsim.protocol.jsonschema``
rewrites ``protocols/schema.json`` (version 1) and ``protocols/schema-v2.json``; a test checks that
the committed files are current)."""

from __future__ import annotations

import json
from pathlib import Path

from ..paths import PROTOCOLS_DIR
from .loader import MODELS

#: The published schema file of each schema version.
SCHEMA_PATHS = {1: PROTOCOLS_DIR / "schema.json", 2: PROTOCOLS_DIR / "schema-v2.json"}


def protocol_json_schema(version: int = 2) -> dict:
    """JSON Schema (draft 2020-12) of a protocol file of ``version``, as pydantic generates it."""
    model = MODELS[version]
    schema = model.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$comment": f"mbsim protocol schema_version {version}; generated from "
                        f"{model.__module__}, do not edit", **schema}


def schema_text(version: int = 2) -> str:
    """The schema as it is written to disk: indented, keys in model order, trailing newline."""
    return json.dumps(protocol_json_schema(version), indent=2, ensure_ascii=False) + "\n"


def write_schemas() -> list[Path]:
    """Write the schema of every version to its file in ``protocols/``."""
    for version, path in SCHEMA_PATHS.items():
        path.write_text(schema_text(version), encoding="utf-8")
    return list(SCHEMA_PATHS.values())


if __name__ == "__main__":
    print(*write_schemas(), sep="\n")
