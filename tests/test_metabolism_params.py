"""Metabolism parameter files: the shipped sets load, and bad files give helpful InputErrors."""

from pathlib import Path

import pytest
import yaml

from mbsim.errors import InputError
from mbsim.metabolism import load_metabolism_params
from mbsim.metabolism.params import METABOLISM
from mbsim.units import parse_quantity
from mbsim.paths import PARAMS_DIR

SHIPPED = sorted(PARAMS_DIR.glob("metabolism*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: p.name)
def test_shipped_parameter_sets_load_with_sources(path):
    """Every shipped metabolism set loads and every entry names a source or 'assumption'."""
    params = load_metabolism_params(path)
    sources = dict(params.sources)
    assert set(sources) == set(METABOLISM.names)
    assert all(len(text) >= 10 for text in sources.values())


def test_values_are_converted_to_si():
    """Units in the file are converted: 80 nL -> 8e-8 L, 400 nmol/h -> mol/s."""
    params = load_metabolism_params()
    assert params.hemolymph_volume == pytest.approx(80e-9)
    assert params.body_basal_demand == pytest.approx(400e-9 / 3600)
    assert params.spike_cost_KC == pytest.approx(2e6 / 6.02214076e23)
    assert params.pdh_time_constant == pytest.approx(300.0)


@pytest.mark.parametrize("text, unit, expected", [
    ("12 nmol/h", "mol/s", 12e-9 / 3600), ("0.1 mM/s", "M/s", 1e-4), ("3 pL", "L", 3e-12),
    ("0.1 1/s", "1/s", 0.1), ("1e5 molecule/event", "mol", 1e5 / 6.02214076e23), (4, "1", 4.0)])
def test_parse_quantity(text, unit, expected):
    """Compound units parse to SI."""
    assert parse_quantity(text, unit) == pytest.approx(expected)


def _write_variant(tmp_path: Path, change) -> Path:
    document = yaml.safe_load((PARAMS_DIR / "metabolism.yaml").read_text())
    change(document["parameters"])
    path = tmp_path / "metabolism.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


@pytest.mark.parametrize("change, message", [
    (lambda p: p.pop("pdh_max"), r"field 'pdh_max'.*found no entry for pdh_max"),
    (lambda p: p["hemolymph_volume"].update(value="80 mM"), r"hemolymph_volume.*expected a quantity convertible to L"),
    (lambda p: p["hemolymph_volume"].update(value=80), r"hemolymph_volume.*without a unit"),
    (lambda p: p["kc_basal_demand"].update(value="-0.1 mM/s"), r"kc_basal_demand.*outside the model's range.*\(0, inf\]"),
    (lambda p: p["lipid_storage_efficiency"].update(value=1.3), r"lipid_storage_efficiency.*\(0, 1\]"),
    (lambda p: p["glia_volume"].update(value="10 parsec"), r"glia_volume.*unknown unit 'parsec'"),
    (lambda p: p["glia_volume"].pop("source"), r"glia_volume.*expected a citation or the word 'assumption'"),
    (lambda p: p.update(atp_per_banana={"value": 1, "source": "x"}), r"unknown parameter 'atp_per_banana'"),
    (lambda p: p["mp1_target_compartments"].update(value="a1"), r"mp1_target_compartments.*list"),
])
def test_bad_parameter_files_raise_input_error(tmp_path, change, message):
    """Missing values, wrong units and non-physical values name the file and field."""
    path = _write_variant(tmp_path, change)
    with pytest.raises(InputError, match=message) as info:
        load_metabolism_params(path)
    assert str(path) in str(info.value)


def test_error_gives_line_number(tmp_path):
    """The line of the offending entry is reported."""
    path = _write_variant(tmp_path, lambda p: p["pdh_max"].update(value="3 s"))
    line = next(i for i, text in enumerate(path.read_text().splitlines(), 1) if text.startswith("  pdh_max:"))
    with pytest.raises(InputError, match=rf"metabolism.yaml:{line}, field 'pdh_max'"):
        load_metabolism_params(path)


def test_missing_file_and_bad_yaml(tmp_path):
    """An absent file or broken YAML is an InputError, not a traceback."""
    with pytest.raises(InputError, match="unreadable file"):
        load_metabolism_params(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("parameters: {pdh_max: [\n")
    with pytest.raises(InputError, match="YAML syntax error"):
        load_metabolism_params(broken)


def test_every_parameter_is_documented():
    """docs/metabolism.md lists every parameter of the default file with its value."""
    from mbsim.paths import PROJECT_ROOT
    text = (PROJECT_ROOT / "docs" / "metabolism.md").read_text()
    document = yaml.safe_load((PARAMS_DIR / "metabolism.yaml").read_text())
    for name, entry in document["parameters"].items():
        value = entry["value"] if not isinstance(entry["value"], list) else ", ".join(entry["value"])
        assert f"| `{name}` | {value} |" in text, name
