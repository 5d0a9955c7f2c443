"""Quantities at the boundary: the spellings people write, and the located error for a wrong
dimension."""

from __future__ import annotations

import pytest

from mbsim.errors import InputError
from mbsim.protocol import parse_protocol_text
from mbsim.units import format_amount, parse_quantity


@pytest.mark.parametrize("text, dimension, si", [
    ("24 hours", "time", 86400.0), ("24 hr", "time", 86400.0), ("1 day", "time", 86400.0),
    ("2 days", "time", 172800.0), ("90 sec", "time", 90.0), ("15 minutes", "time", 900.0),
    ("500 msec", "time", 0.5), ("2 \u00b5M", "concentration", 2e-6),
    ("2 \u03bcM", "concentration", 2e-6), ("2 uM", "concentration", 2e-6),
    ("12 nmol/hr", "mol/s", 12e-9 / 3600), ("60 volts", "voltage", 60.0),
    ("3 \u00b5mol", "mol", 3e-6)])
def test_spellings_people_write(text, dimension, si):
    assert parse_quantity(text, dimension) == pytest.approx(si, rel=1e-12)


@pytest.mark.parametrize("text, dimension", [("24 hours", "voltage"), ("2 \u00b5M", "time"),
                                             ("3 hourz", "time"), ("1 dayss", "time")])
def test_wrong_dimensions_and_unknown_spellings_are_refused(text, dimension):
    with pytest.raises(InputError, match=text.split()[1]) as error:
        parse_quantity(text, dimension, file="p.yaml", line=3, field="x")
    assert (error.value.file, error.value.line, error.value.field) == ("p.yaml", 3, "x")


def test_a_protocol_written_with_spelled_units_equals_the_short_one():
    text = """schema_version: 1
name: spelled
odors: {{cs_plus: {{name: 3-octanol}}, cs_minus: {{name: 4-methylcyclohexanol}}}}
training: {{type: spaced, repeat: 2, iti: {iti}, reinforcement: {{shock: {{voltage: 60 V, pulses: 12}}}}}}
tests: {{times: [{test}]}}
"""
    short = parse_protocol_text(text.format(iti="15 min", test="24 h"), "a.yaml")
    spelled = parse_protocol_text(text.format(iti="15 minutes", test="1 day"), "b.yaml")
    assert short.schedule().tests == spelled.schedule().tests
    assert [t.start for t in short.schedule().trials] == [t.start for t in spelled.schedule().trials]


@pytest.mark.parametrize("text, dimension", [("1e309 s", "time"), ("1e308 d", "time"),
                                             (float("inf"), "dimensionless"),
                                             (float("nan"), "dimensionless")])
def test_quantities_must_be_finite(text, dimension):
    with pytest.raises(InputError, match="finite"):
        parse_quantity(text, dimension, field="x")


@pytest.mark.parametrize("place, value", [("concentration", ".inf"), ("cs_duration", "1e309 s")])
def test_a_protocol_with_an_infinite_quantity_is_refused_where_it_is(place, value):
    odor = f"{{name: 3-octanol, concentration: {value}}}" if place == "concentration" \
        else "{name: 3-octanol}"
    training = "{type: single, reinforcement: {shock: {voltage: 60 V}}" + (
        f", cs_duration: {value}" if place == "cs_duration" else "") + "}"
    text = (f"schema_version: 1\nname: bad\nodors: {{cs_plus: {odor}, cs_minus: "
            f"{{name: 4-methylcyclohexanol}}}}\ntraining: {training}\ntests: {{times: [3 min]}}\n")
    with pytest.raises(InputError, match="finite") as error:
        parse_protocol_text(text, "bad.yaml")
    assert error.value.line in (3, 4) and place in error.value.field


@pytest.mark.parametrize("value, unit, shown", [
    (3.09e-9, "mol", "3.09 nmol"), (2.86e-17, "mol", "28.6 amol"), (7200.0, "s", "2 h"),
    (1.296e6, "s", "15 d"), (4.17e-5, "1/s", "0.15 1/h"), (3.2e-14, "mol/s", "32 fmol/s"),
    (0.3, "1", "0.3"), (0.0, "mol", "0 mol"), (2.0, "Hz", "2 Hz")])
def test_amounts_shown_in_readable_units(value, unit, shown):
    """Display units: the largest one in which the value is at least 1; unknown units kept."""
    assert format_amount(value, unit) == shown
