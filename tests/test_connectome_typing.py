"""MB typing vocabulary and the ``mbsim connectome info`` command."""

from __future__ import annotations

import pytest

from mbsim.cli import main
from mbsim.connectome import COMPARTMENTS, kc_lobe_class, kc_subtype, lobe_compartments
from mbsim.connectome.mbtypes import (compartments_from_instance, glomerulus_of, side_of,
                                      type_neuron, type_table)


@pytest.mark.parametrize("name, subtype", [
    ("KCg-m", "KCg-m"), ("KCg-s3", "KCg-s"), ("KCg-s1(super)_R", "KCg-s"),
    ("KCapbp-ap2", "KCa'b'-ap2"), ("KCa'b'-m_R", "KCa'b'-m"), ("KCab", "KCab"),
    ("KCab-sc", "KCab"), ("KCab-p?", "KCab-p"), ("KCy-d", "KCg-d"), ("MBON01", "")])
def test_kc_subtype_vocabulary(name, subtype):
    """Hemibrain, FlyWire and old names map onto one KC subtype vocabulary."""
    assert kc_subtype(name) == subtype


def test_lobe_classes_cover_all_compartments():
    """The three lobe classes innervate disjoint sets that together are all 15 compartments."""
    assert kc_lobe_class("KCg-d") == "gamma" and kc_lobe_class("KCa'b'-ap1") == "a'b'"
    assert kc_lobe_class("KCab-p") == "ab"
    union = [c for lobe in ("gamma", "a'b'", "ab") for c in lobe_compartments(lobe)]
    assert sorted(union) == sorted(COMPARTMENTS) and len(union) == len(set(union)) == 15
    with pytest.raises(ValueError, match="unknown KC subtype"):
        kc_lobe_class("KCx")


@pytest.mark.parametrize("instance, compartments", [
    ("MBON01(y5B'2a)_R", "g5;b'2"), ("PPL101(y1pedc)_R", "g1;pedc"), ("PAM09(B1ped)_L", "b1;pedc"),
    ("MBON19(a2p3p)_R", "a2;a3"), ("PPL105(a'2a2)(PDL05)_L", "a'2;a2"), ("MBON31(a'1a)_R", "a'1"),
    ("MBON05(y4>y1y2)(AVM07)_L", "g4"), ("PAM07(y4<y1y2)_R", "g4"), ("MBON22(calyx)_R", "calyx"),
    ("MBON28(PLPF4)(PVL03)_R", "")])
def test_compartments_from_instance(instance, compartments):
    assert compartments_from_instance(instance) == compartments


def test_type_table_rows_are_sourced():
    """Every row of connectome/mb_types.csv names a source; valence has a stated basis."""
    table = type_table()
    assert (table["source"].str.len() > 10).all()
    has_valence = table["valence"] != ""
    assert set(table.loc[has_valence, "valence_basis"]) == {"experiment", "assumption"}
    dans = table[table["cell_class"] == "DAN"]
    exceptions = dans[(dans["family"] == "PAM") & (dans["valence"] == "punishment")].index
    assert list(exceptions) == ["PAM12", "PAM13"]


def test_type_neuron_fallbacks():
    """Unknown types fall back on names: PN glomerulus, DAN family, MBON compartments."""
    assert type_neuron("VP1m+VP5_ilPN")["glomerulus"] == "VP1m+VP5"
    assert glomerulus_of("DA1 lPN") == "DA1" and glomerulus_of("M_vPNml53") == ""
    assert type_neuron("PPL107", family_hint="DAN")["subtype"] == "PPL1"
    assert type_neuron("MBON99", "MBON99(y3)_L") == {
        "cell_class": "MBON", "subtype": "", "compartments": "g3", "glomerulus": "",
        "valence": "", "side": "L"}
    assert side_of("MBON18(a2sc)_L(1)") == "L" and side_of("VL1_ilPN") == ""


def test_cli_info_default(capsys):
    """`mbsim connectome info default` prints classes, subtypes, class pairs and gaps."""
    assert main(["connectome", "info", "default"]) == 0
    out = capsys.readouterr().out
    assert "KC     1919" in out and "KCg-m                    590" in out
    assert "KC -> MBON" in out and "APL->KC" in out


def test_cli_info_bad_input(tmp_path, capsys):
    """A bad source exits 2 with a one-line message."""
    assert main(["connectome", "info", str(tmp_path / "absent")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "neither 'default' nor a folder" in err


def test_cli_info_dan_families(shared_data, capsys):
    """`connectome info` on the hemibrain prints each DAN family's subtotal above its types."""
    assert main(["connectome", "info", str(shared_data / "connectome" / "hemibrain_v1.2.1_mb")]) == 0
    lines = capsys.readouterr().out.splitlines()
    families = {line.split()[0]: int(line.split()[1]) for line in lines
                if line.startswith("    ") and not line.startswith("     ")}
    assert families == {"PAM": 300, "PPL1": 11, "PPL2": 4}
    start = lines.index("    PPL1                       11")
    assert [line.split()[0] for line in lines[start + 1:start + 7]] == [
        "PPL101", "PPL102", "PPL103", "PPL104", "PPL105", "PPL106"]
    assert "  DAN    315" in lines
