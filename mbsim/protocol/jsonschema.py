"""The JSON Schema of protocol files, generated from the models (``python -m mbsim.protocol.jsonschema``
rewrites ``protocols/schema.json``; a test checks that the committed file is current)."""

from __future__ import annotations

import json
from pathlib import Path

from ..paths import PROTOCOLS_DIR
from .model import SCHEMA_VERSION, Protocol

SCHEMA_PATH = PROTOCOLS_DIR / "schema.json"


def protocol_json_schema() -> dict:
    """JSON Schema (draft 2020-12) of a protocol file, as pydantic generates it from :class:`Protocol`."""
    schema = Protocol.model_json_schema(by_alias=True, mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$comment": f"mbsim protocol schema_version {SCHEMA_VERSION}; generated from "
                        "mbsim.protocol.model, do not edit", **schema}


def schema_text() -> str:
    """The schema as it is written to disk: indented, keys in model order, trailing newline."""
    return json.dumps(protocol_json_schema(), indent=2, ensure_ascii=False) + "\n"


def write_schema(path: Path = SCHEMA_PATH) -> Path:
    """Write the schema to ``path`` (default ``protocols/schema.json``)."""
    path.write_text(schema_text(), encoding="utf-8")
    return path


if __name__ == "__main__":
    print(write_schema())
