"""Loaders on the real published connectomes: exact counts, typing and gaps."""

from __future__ import annotations

import pandas as pd
import pytest

from mbsim.connectome import load, load_flywire, load_larva, load_neuprint, select
from mbsim.connectome.mbtypes import compartments_from_instance, table_type, type_table
from mbsim.errors import InputError


@pytest.fixture(scope="session")
def hemibrain(shared_data):
    return load_neuprint(shared_data / "connectome" / "hemibrain_v1.2.1_mb")


@pytest.fixture(scope="session")
def flywire(shared_data):
    return load_flywire(shared_data / "connectome" / "flywire_v783_mb")


def test_hemibrain_class_counts(hemibrain):
    """hemibrain v1.2.1 right MB: 1919 KCs, 119 PNs, 1 APL, 57 MBONs, 300 PAM, 11 PPL1, 4 PPL2."""
    assert hemibrain.counts_by_class().to_dict() == {
        "KC": 1919, "PN": 119, "APL": 1, "DPM": 0, "MBON": 57, "DAN": 315, "other": 0}
    dans = hemibrain.of_class("DAN")["subtype"].value_counts().to_dict()
    assert dans == {"PAM": 300, "PPL1": 11, "PPL2": 4}


def test_hemibrain_kc_subtypes(hemibrain):
    """KC subtype counts of hemibrain v1.2.1 in the shared vocabulary."""
    assert hemibrain.of_class("KC")["subtype"].value_counts().to_dict() == {
        "KCg-m": 590, "KCab-m": 354, "KCab-c": 250, "KCab-s": 222, "KCa'b'-ap2": 127,
        "KCa'b'-m": 119, "KCg-d": 95, "KCa'b'-ap1": 91, "KCab-p": 59, "KCg-t": 8, "KCg-s": 4}


def test_hemibrain_synapses_and_rois(hemibrain):
    """Edges are per-ROI rows whose sums are the 108,875 pair totals."""
    assert len(hemibrain.edges) == 123610
    pairs = hemibrain.pair_weights()
    assert len(pairs) == 108875
    by_pair = hemibrain.synapses_by_class_pair().set_index(["pre_class", "post_class"])
    assert by_pair.loc[("PN", "KC"), "synapses"] == 175274
    assert by_pair.loc[("KC", "MBON"), "pairs"] == 30386
    assert by_pair.loc[("KC", "APL"), "pairs"] == 1919


def test_hemibrain_missing_edge_classes(hemibrain):
    """APL->KC, KC->KC and DPM edges are reported missing, never invented."""
    assert {"APL->KC", "KC->KC", "DPM->KC", "KC->DPM"} <= set(hemibrain.missing_edge_classes)
    assert "PN->KC" not in hemibrain.missing_edge_classes
    classes = hemibrain.class_of()
    pairs = hemibrain.pair_weights()
    assert not ((classes.reindex(pairs["pre"]).to_numpy() == "APL").any())


def test_hemibrain_mbon_dan_typing(hemibrain, shared_data):
    """Every MBON/DAN has compartments; the type table agrees with the instance names."""
    raw = pd.read_csv(shared_data / "connectome" / "hemibrain_v1.2.1_mb" / "traced-neurons.csv",
                      dtype=str)
    typed = raw.assign(table=[table_type(t) for t in raw["type"]])
    typed = typed[typed["table"].str.match(r"^(MBON|PAM|PPL1)")]
    assert len(typed) == 57 + 300 + 11
    table = type_table()["compartments"]
    for row in typed.itertuples():
        assert table[row.table] == compartments_from_instance(row.instance), row.instance
    mbons = hemibrain.of_class("MBON")
    assert (mbons["compartments"] != "").all()
    assert set(mbons["valence"]) == {"avoidance", "approach", ""}
    assert (mbons["valence"] == "").sum() == 2  # MBON22 (calyx), both sides
    pam12 = hemibrain.of_class("DAN").query("cell_type == 'PAM12'")
    assert len(pam12) == 22 and set(pam12["valence"]) == {"punishment"}


def test_hemibrain_pn_glomeruli(hemibrain):
    """All 119 PNs are uniglomerular with a glomerulus; DA1 has 7 PNs."""
    pns = hemibrain.of_class("PN")
    assert (pns["glomerulus"] != "").all()
    assert pns["glomerulus"].nunique() == 60
    assert (pns["glomerulus"] == "DA1").sum() == 7


def test_whole_brain_selection(shared_data):
    """MB selection of the whole-brain hemibrain v1.0 neuron table, per hemisphere."""
    brain = load(shared_data / "connectome" / "hemibrain_v1.0_traced_neurons")
    assert len(brain.neurons) == 21663 and brain.edges.empty
    right, left, both = (select(brain, h).counts_by_class().to_dict() for h in ("R", "L", "both"))
    assert both == {"KC": 1931, "PN": 136, "APL": 1, "DPM": 2, "MBON": 67, "DAN": 318, "other": 0}
    assert right["KC"] == 1931 and left["KC"] == 0
    assert right["MBON"] + left["MBON"] == 67 and right["DAN"] + left["DAN"] == 318
    assert right["DPM"] == 1 and left["DPM"] == 1


def test_hemibrain_select_keeps_edges(hemibrain):
    """Selecting the right MB of the MB export keeps only edges among the kept neurons."""
    right = select(hemibrain, "R")
    assert right.counts_by_class()["MBON"] == 57 - (hemibrain.of_class("MBON")["side"] == "L").sum()
    kept = set(right.neurons["id"])
    assert set(right.edges["pre"]) <= kept and set(right.edges["post"]) <= kept


def test_flywire_counts(flywire):
    """FlyWire v783, both MBs: 5177 KCs, 684 ALPNs, 96 MBONs, 331 DANs, 2 APL, 2 DPM."""
    assert flywire.counts_by_class().to_dict() == {
        "KC": 5177, "PN": 684, "APL": 2, "DPM": 2, "MBON": 96, "DAN": 331, "other": 0}
    kcs = flywire.of_class("KC")["subtype"].value_counts().to_dict()
    assert kcs == {"KCg-m": 2190, "KCab": 1643, "KCa'b'-m": 338, "KCa'b'-ap2": 298,
                   "KCg-d": 295, "KCa'b'-ap1": 280, "KCab-p": 128, "KCg-s": 5}
    assert (flywire.of_class("PN")["glomerulus"] != "").sum() == 277
    assert flywire.neurons["id"].dtype == "int64"
    assert int(flywire.neurons["id"].iloc[0]) == 720575940602553568


def test_flywire_edges_and_gaps(flywire):
    """Pairs and synapses per class pair; KC->APL and APL->KC are missing in this subset."""
    by_pair = flywire.synapses_by_class_pair().set_index(["pre_class", "post_class"])
    assert by_pair["pairs"].sum() == 53162
    assert by_pair.loc[("PN", "KC"), "synapses"] == 364078
    assert by_pair.loc[("KC", "MBON"), "pairs"] == 25932
    assert {"KC->APL", "APL->KC", "KC->KC"} <= set(flywire.missing_edge_classes)
    assert "DAN->MBON" not in flywire.missing_edge_classes


def test_flywire_select_without_sides(flywire):
    """The FlyWire subset has no side column: 'both' works, one hemisphere is refused."""
    assert len(select(flywire, "both").neurons) == 6292
    with pytest.raises(InputError, match="no side information"):
        select(flywire, "R")


HEMIBRAIN_FILES = {"traced-neurons.csv": "neurons.csv",
                   "traced-roi-connections.csv": "roi-connections.csv",
                   "traced-total-connections.csv": "total-connections.csv"}


def test_neuprint_export_dir_names_and_a_folder_without_totals(hemibrain, shared_data, tmp_path):
    """neuprint-python's export_dir file names load; without the total table the ROI rows are
    the edges as they are."""
    source = shared_data / "connectome" / "hemibrain_v1.2.1_mb"
    for bulk, exported in HEMIBRAIN_FILES.items():
        (tmp_path / exported).symlink_to(source / bulk)
    assert load(tmp_path).pair_weights().equals(hemibrain.pair_weights())
    (tmp_path / "total-connections.csv").unlink()
    assert load(tmp_path).pair_weights().equals(hemibrain.pair_weights())


def test_neuprint_query_results_in_memory(hemibrain, shared_data):
    """``load((neurons_df, roi_conn_df))`` as fetch_adjacencies returns them equals the files."""
    source = shared_data / "connectome" / "hemibrain_v1.2.1_mb"
    neurons = pd.read_csv(source / "traced-neurons.csv")
    rois = pd.read_csv(source / "traced-roi-connections.csv")
    loaded = load((neurons, rois))
    assert loaded.neurons.equals(hemibrain.neurons)
    assert loaded.pair_weights().equals(hemibrain.pair_weights())
    assert loaded.origin == ""          # built in memory: a result says it cannot be reloaded
    with pytest.raises(InputError, match="a DataFrame; expected.*neurons_df, roi_conn_df"):
        load(neurons)
    broken = rois.astype({"weight": float})
    broken.loc[3, "weight"] = 2.5
    with pytest.raises(InputError, match=r"roi_conn_df:5, field 'weight'"):
        load((neurons, broken))


def test_roi_filtered_query_is_refused_with_a_hint_and_accepted_on_request(hemibrain, shared_data,
                                                                         tmp_path):
    source = shared_data / "connectome" / "hemibrain_v1.2.1_mb"
    rois = pd.read_csv(source / "traced-roi-connections.csv")
    kept = rois[rois["roi"] != rois["roi"].iloc[0]]
    kept.to_csv(tmp_path / "roi-connections.csv", index=False)
    for bulk in ("traced-neurons.csv", "traced-total-connections.csv"):
        (tmp_path / HEMIBRAIN_FILES[bulk]).symlink_to(source / bulk)
    with pytest.raises(InputError, match="partial_rois=True"):
        load(tmp_path)
    partial = load_neuprint(tmp_path, partial_rois=True)
    assert partial.pair_weights()["weight"].sum() == kept["weight"].sum()


def test_flywire_codex_download_layout_loads_as_the_codex_like_subset(flywire, shared_data):
    """The real v783 download layout (cell types in consolidated_cell_types.csv.gz, gzip, empty
    columns) gives the same neurons, types and pair weights as the Codex-like subset."""
    codex = load(shared_data / "connectome" / "flywire_v783_mb_codex")
    columns = ["id", "cell_class", "cell_type", "subtype", "compartments", "glomerulus", "valence"]
    ordered = [c.neurons[columns].sort_values("id").reset_index(drop=True) for c in (flywire, codex)]
    assert ordered[0].equals(ordered[1])
    assert codex.pair_weights().equals(flywire.pair_weights())


def test_flywire_princeton_connections_and_missing_cell_types(shared_data, tmp_path):
    """connections_princeton.csv.gz is read when connections.csv.gz is absent; without any cell
    type source the error names both places types may come from."""
    source = shared_data / "connectome" / "flywire_v783_mb_codex"
    folder = tmp_path / "codex"
    folder.mkdir()
    for name in ("classification.csv.gz", "consolidated_cell_types.csv.gz"):
        (folder / name).symlink_to(source / name)
    (folder / "connections_princeton.csv.gz").symlink_to(source / "connections.csv.gz")
    assert load(folder).pair_weights()["weight"].sum() == 598617
    (folder / "consolidated_cell_types.csv.gz").unlink()
    with pytest.raises(InputError, match="classification.csv.gz:1.*consolidated_cell_types"):
        load(folder)


@pytest.mark.parametrize("side, counts, synapses", [
    ("left", {"KC": 101, "PN": 58, "MBON": 29, "DAN": 21}, 25322),
    ("right", {"KC": 100, "PN": 63, "MBON": 29, "DAN": 21}, 26371)])
def test_larva_counts(shared_data, side, counts, synapses):
    """Eichler et al. 2017 larval MB: labels K/P/O/I and total synapse counts per side."""
    larva = load_larva(shared_data / "connectome" / "larva_eichler2017_mb", side=side)
    found = larva.counts_by_class()
    assert {k: found[k] for k in counts} == counts
    assert int(larva.edges["weight"].sum()) == synapses
    assert "KC->KC" not in larva.missing_edge_classes
    assert "APL->KC" in larva.missing_edge_classes
