"""Helpers of the bad-input tests: the shipped aversive_1x protocol changed in one place."""

from __future__ import annotations

import time

import pytest

from mbsim.errors import InputError
from mbsim.paths import PROJECT_ROOT
from mbsim.protocol import parse_protocol_text

BASE = (PROJECT_ROOT / "protocols" / "aversive_1x.yaml").read_text()


def changed(old: str, new: str) -> str:
    assert old in BASE
    return BASE.replace(old, new, 1)


def refused(text: str, field: str | None = None, within: float = 2.0) -> str:
    started = time.perf_counter()
    with pytest.raises(InputError) as info:
        parse_protocol_text(text, "bad.yaml")
    assert time.perf_counter() - started < within
    message = str(info.value)
    assert message.startswith("bad.yaml")
    if field is not None:
        assert f"field '{field}'" in message, message
    return message


def alias_bomb() -> str:
    """'Billion laughs': nine levels of nine aliases (9**9 values once expanded)."""
    levels = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    levels += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 9)]
    return "\n".join(levels) + "\n"
