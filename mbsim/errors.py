"""Exceptions that mbsim raises, and the one format every input error message follows."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


class MbsimError(Exception):
    """Base class of all errors mbsim raises on purpose."""


@dataclass
class InputError(MbsimError):
    """Bad input from the user: a file, parameter or option that mbsim cannot accept.

    The message says what was found, what was expected and where (file, line, field),
    and, where it helps, gives a valid example. The command line turns it into exit code 2.
    """

    found: str
    expected: str
    file: str | Path | None = None
    line: int | None = None
    field: str | None = None
    example: str | None = None

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def where(self) -> str:
        parts = []
        if self.file is not None:
            parts.append(str(self.file) + (f":{self.line}" if self.line is not None else ""))
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: " if where else ""
        text += f"found {self.found}; expected {self.expected}"
        if self.example:
            text += f" (for example: {self.example})"
        return text


class SimulationError(MbsimError):
    """A run failed for a reason other than bad input (solver failure, NaN, compiler error)."""
