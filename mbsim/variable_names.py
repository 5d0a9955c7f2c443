"""Variable names that R, MATLAB and the CF conventions accept: letters, digits and underscores,
starting with a letter (display names such as compartment or data-set labels go into attributes)."""

from __future__ import annotations

import re

VALID = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def is_valid(name: str) -> bool:
    """Whether ``name`` is a valid variable name in R, MATLAB and CF."""
    return VALID.fullmatch(name) is not None


def variable_name(text: str) -> str:
    """A valid variable name for a display name: runs of other characters become one underscore,
    and a name that does not start with a letter gets the prefix ``v_``."""
    name = re.sub(r"[^A-Za-z0-9]+", "_", text).strip("_")
    return name if is_valid(name) else f"v_{name}"
