"""YAML documents users write (protocols, experiments): finding, reading and remembering their text.

A validated document keeps its source text and file name so every result can record exactly what
produced it (text and SHA-256 in the provenance).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from pydantic import BaseModel, PrivateAttr

from .errors import InputError


class SourcedDocument(BaseModel):
    """Base of validated documents that remember the text and file they came from."""

    _source_text: str = PrivateAttr("")
    _source_file: str = PrivateAttr("")

    @property
    def source_text(self) -> str:
        return self._source_text

    @property
    def source_file(self) -> str:
        return self._source_file

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self._source_text.encode("utf-8")).hexdigest()

    def with_source(self, text: str, filename: str):
        """This document, remembering ``text`` read from ``filename``; returns self."""
        self._source_text, self._source_file = text, filename
        return self


def shipped_documents(folder: Path) -> list[Path]:
    """The YAML files shipped in ``folder``, sorted by name."""
    return sorted(folder.glob("*.yaml"))


def read_document(path: str | Path, folder: Path, what: str) -> tuple[str, Path]:
    """Text of ``path``, or of the document shipped in ``folder`` under that name (no ``.yaml``)."""
    path = Path(path)
    shipped = folder / f"{path.name}.yaml"
    if not path.exists() and path.suffix == "" and len(path.parts) == 1 and shipped.exists():
        path = shipped
    try:
        return path.read_text(encoding="utf-8"), path
    except FileNotFoundError:
        names = ", ".join(p.stem for p in shipped_documents(folder))
        raise InputError(found=f"no file '{path}'",
                         expected=f"a {what} YAML file or a shipped {what} name ({names})") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(found=f"an unreadable file ({error})", expected="a UTF-8 text file",
                         file=str(path)) from None
