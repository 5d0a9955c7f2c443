"""Property-based: one value of a shipped protocol or parameter file replaced by anything gives a
valid load or one located InputError, in bounded time, never an internal error; ``mbsim validate``
stays within 5 s and 500 MB on hostile input."""

from __future__ import annotations

import resource
import subprocess
import sys
import time

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bad_input import BASE, alias_bomb, changed
from mbsim.errors import InputError
from mbsim.parameters import ParameterSet, declarations_of
from mbsim.paths import PARAMS_DIR, PROJECT_ROOT, PROTOCOLS_DIR
from mbsim.protocol import parse_protocol_text

PROTOCOLS = {path.name: yaml.safe_load(path.read_text())
             for path in sorted(PROTOCOLS_DIR.glob("*.yaml"))}
PARAMETER_FILES = {"network": "network.yaml", "memory": "memory.yaml",
                   "metabolism": "metabolism.yaml"}
SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

#: What a careless edit, a fuzzer or a hostile file may put in place of a value.
VALUES = st.one_of(
    st.none(), st.booleans(),
    st.integers(min_value=-2**80, max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(["1e309 s", "1e308 d", "-5 min", "0 s", "nan s", "inf h", "10 V", "2 M",
                     "3 parsecs", "1e-300 s", "24 hr", "999999999999 min", ".inf", "-.inf", "~",
                     "[", "{a: 1}", "0x10", "1_000", "PPL1-g1pedc", "..", "a" * 10_000]),
    st.lists(st.integers(min_value=-3, max_value=10**9), max_size=5),
    st.dictionaries(st.sampled_from(["kind", "from", "to", "value", "x"]),
                    st.sampled_from(["1 h", 3, None, "cold_shock"]), max_size=3),
)


def paths_of(data, prefix=()):
    """Every path to a value in nested dicts and lists (the root excluded)."""
    items = data.items() if isinstance(data, dict) else enumerate(data) \
        if isinstance(data, list) else ()
    for key, value in items:
        yield prefix + (key,)
        yield from paths_of(value, prefix + (key,))


def replaced(data, path, value):
    copy = yaml.safe_load(yaml.safe_dump(data))
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    return copy


def mutation(documents):
    names = sorted(documents)
    return st.sampled_from(names).flatmap(lambda name: st.tuples(
        st.just(name), st.sampled_from(list(paths_of(documents[name]))), VALUES))


@SETTINGS
@given(mutation(PROTOCOLS))
def test_a_mutated_protocol_loads_or_gives_one_located_error(change):
    name, path, value = change
    text = yaml.safe_dump(replaced(PROTOCOLS[name], path, value), allow_unicode=True)
    started = time.perf_counter()
    try:
        parse_protocol_text(text, name).schedule()
    except InputError as error:
        assert str(error).startswith(name), str(error)
    assert time.perf_counter() - started < 2.0


PARAMETERS = {group: yaml.safe_load((PARAMS_DIR / file).read_text())
              for group, file in PARAMETER_FILES.items()}


@SETTINGS
@given(mutation(PARAMETERS))
def test_a_mutated_parameter_file_loads_or_gives_one_located_error(tmp_path, change):
    group, path, value = change
    target = tmp_path / f"{group}.yaml"
    target.write_text(yaml.safe_dump(replaced(PARAMETERS[group], path, value), allow_unicode=True))
    started = time.perf_counter()
    try:
        ParameterSet.from_file(declarations_of(group), target)
    except InputError as error:
        assert str(target) in str(error), str(error)
    assert time.perf_counter() - started < 2.0


@pytest.mark.parametrize("text", [
    alias_bomb() + BASE,
    "x: " + "[" * 20000 + "]" * 20000 + "\n",
    changed("type: single", "type: massed\n  repeat: 1000000000"),
    changed("times: [3 min, 1 h, 3 h, 24 h, 4 d]",
            "times: [" + ", ".join(f"{k + 1} s" for k in range(200_000)) + "]"),
    changed("cohort: 8", "cohort: 1000000000000"),
], ids=["alias bomb", "deep nesting", "1e9 repeats", "200000 tests", "huge cohort"])
def test_validate_returns_within_5_s_and_500_mb(tmp_path, text):
    path = tmp_path / "hostile.yaml"
    path.write_text(text)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "mbsim", "validate", str(path)], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=60)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    assert done.returncode == 2 and "hostile.yaml" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert elapsed < 5.0
    assert peak_mb < 500 or before / 1024 >= 500   # ru_maxrss: the largest child so far
