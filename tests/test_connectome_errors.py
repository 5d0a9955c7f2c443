"""Bad connectome files: each is refused with a message naming file, line, field and value."""

from __future__ import annotations

import gzip

import pytest

from mbsim.connectome import load, load_flywire, load_larva, load_neuprint, select
from mbsim.errors import InputError

NEURONS = "bodyId,type,instance\n1,KCg-m,KCg-m_R\n2,MBON01,MBON01(y5B'2a)_R\n3,DA1_lPN,DA1_lPN_R\n"
TOTAL = "bodyId_pre,bodyId_post,weight\n3,1,4\n1,2,7\n"
ROIS = "bodyId_pre,bodyId_post,roi,weight\n3,1,CA(R),4\n1,2,gL(R),5\n1,2,bL(R),2\n"
CLASSIFICATION = ("root_id,super_class,class,sub_class,cell_type,nt_type\n"
                  "720575940602553568,central,Kenyon_Cell,,KCg-m,ACH\n"
                  "720575940602564320,central,MBON,,MBON01,GLUT\n")
CONNECTIONS = "pre_root_id,post_root_id,syn_count\n720575940602553568,720575940602564320,9\n"


def write(folder, files: dict[str, str]):
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text)
    return folder


def neuprint(tmp_path, neurons=NEURONS, total=TOTAL, rois=None):
    files = {"traced-neurons.csv": neurons, "traced-total-connections.csv": total}
    if rois is not None:
        files["traced-roi-connections.csv"] = rois
    return write(tmp_path / "np", files)


def test_small_neuprint_loads(tmp_path):
    """A valid small export loads with ROI edges summing to the totals."""
    c = load_neuprint(neuprint(tmp_path, rois=ROIS))
    assert c.counts_by_class()[["KC", "MBON", "PN"]].tolist() == [1, 1, 1]
    assert c.pair_weights()["weight"].tolist() == [7, 4]
    assert set(c.edges["roi"]) == {"CA(R)", "gL(R)", "bL(R)"}


def test_columns_read_by_name(tmp_path):
    """Column order does not matter (hemibrain v1.0 writes bodyId,instance,type)."""
    text = "instance,bodyId,type\nKCg-m_R,1,KCg-m\nMBON01(y5B'2a)_R,2,MBON01\nDA1_lPN_R,3,DA1_lPN\n"
    assert load_neuprint(neuprint(tmp_path, neurons=text)).of_class("MBON")["id"].tolist() == [2]


@pytest.mark.parametrize("neurons, total, match", [
    ("bodyId,type\n1,KCg-m\n", TOTAL, r"traced-neurons.csv:1, field 'instance'.*columns"),
    ("", TOTAL, r"traced-neurons.csv: found an empty file"),
    ("bodyId,type,instance\n", TOTAL, r"traced-neurons.csv:2: found a header but no rows"),
    (NEURONS + "2,KCg-m,KCg-m_R\n", TOTAL, r"traced-neurons.csv:5, field 'bodyId'.*id 2 listed twice"),
    (NEURONS.replace("\n1,", "\n7.205759e+17,"), TOTAL,
     r"traced-neurons.csv:2, field 'bodyId'.*'7.205759e\+17'.*lost precision"),
    (NEURONS.replace("\n1,", "\nabc,"), TOTAL, r"traced-neurons.csv:2.*'abc'.*integer id"),
    (NEURONS, TOTAL + "1,99,3\n", r"traced-total-connections.csv:4, field 'bodyId_post'.*neuron 99"),
    (NEURONS, TOTAL.replace("1,2,7", "1,2,-7"), r"connections.csv:3, field 'weight'.*negative weight '-7'"),
    (NEURONS, TOTAL.replace("1,2,7", "1,2,many"), r"connections.csv:3.*non-numeric weight 'many'"),
    (NEURONS, TOTAL + "1,2,1\n", r"connections.csv:4.*pair 1 -> 2 listed twice"),
    (NEURONS, "bodyId_pre,bodyId_post\n1,2\n", r"field 'weight'"),
])
def test_bad_neuprint(tmp_path, neurons, total, match):
    """Every malformed neuPrint table is refused with file, line and field."""
    with pytest.raises(InputError, match=match):
        load_neuprint(neuprint(tmp_path, neurons=neurons, total=total))


def test_roi_sum_mismatch(tmp_path):
    """ROI weights that do not add up to the pair total are refused."""
    with pytest.raises(InputError, match=r"1 pairs whose ROI weights do not sum.*1 -> 2: total 7, "
                                         r"ROI sum 6"):
        load_neuprint(neuprint(tmp_path, rois=ROIS.replace("bL(R),2", "bL(R),1")))


def test_missing_neuron_table(tmp_path):
    with pytest.raises(InputError, match="no traced-neurons.csv"):
        load_neuprint(write(tmp_path / "x", {"traced-total-connections.csv": TOTAL}))


def test_flywire_gzip_and_exact_ids(tmp_path):
    """Gzipped Codex tables load; 64-bit root ids survive exactly (no float round trip)."""
    folder = tmp_path / "fw"
    folder.mkdir()
    for name, text in (("classification.csv.gz", CLASSIFICATION), ("connections.csv.gz", CONNECTIONS)):
        with gzip.open(folder / name, "wt") as handle:
            handle.write(text)
    c = load_flywire(folder)
    assert c.neurons["id"].tolist() == [720575940602553568, 720575940602564320]
    assert c.pair_weights().iloc[0].tolist() == [720575940602553568, 720575940602564320, 9]
    assert float(720575940602553568) == float(720575940602553569)  # why floats are refused


def test_flywire_neuropils_are_summed(tmp_path):
    """Per-neuropil rows are kept as ROIs and summed per pair."""
    connections = ("pre_root_id,post_root_id,neuropil,syn_count\n"
                   "720575940602553568,720575940602564320,MB_ML_R,9\n"
                   "720575940602553568,720575940602564320,MB_VL_R,3\n")
    folder = write(tmp_path / "fw", {"classification.csv": CLASSIFICATION,
                                          "connections.csv": connections})
    assert load_flywire(folder).pair_weights()["weight"].tolist() == [12]


@pytest.mark.parametrize("classification, connections, match", [
    (CLASSIFICATION.replace("720575940602564320,central", "7.205759e+17,central"), CONNECTIONS,
     r"classification.csv:3, field 'root_id'.*lost precision"),
    (CLASSIFICATION, CONNECTIONS.replace(",9", ",9.5"), r"connections.csv:2.*non-numeric weight '9.5'"),
    (CLASSIFICATION, CONNECTIONS.replace("0602564320,9", "0602564321,9"),
     r"connections.csv:2, field 'post_root_id'.*720575940602564321"),
    (CLASSIFICATION.replace("class,sub", "kind,sub"), CONNECTIONS, r"field 'class'"),
])
def test_bad_flywire(tmp_path, classification, connections, match):
    folder = write(tmp_path / "fw", {"classification.csv": classification,
                                          "connections.csv": connections})
    with pytest.raises(InputError, match=match):
        load_flywire(folder)


@pytest.mark.parametrize("labels, matrix, match", [
    ("K\nO\n", "0 2\n0 0\n", None),
    ("K\nX\n", "0 2\n0 0\n", r"left_cell_labels.csv:2.*label 'X'"),
    ("K\nO\n", "0 2\n0\n", r"left_adjacency.csv:2.*1 values"),
    ("K\nO\n", "0 -2\n0 0\n", r"left_adjacency.csv:1, field 'column 2'.*negative weight"),
    ("K\nO\n", "0 x\n0 0\n", r"left_adjacency.csv:1.*non-numeric weight 'x'"),
    ("K\nO\nP\n", "0 2\n0 0\n", r"found 2 rows; expected 3 rows"),
])
def test_larva_files(tmp_path, labels, matrix, match):
    folder = write(tmp_path / "lv", {"left_cell_labels.csv": labels, "left_adjacency.csv": matrix})
    if match is None:
        assert load_larva(folder).pair_weights()["weight"].tolist() == [2]
        return
    with pytest.raises(InputError, match=match):
        load_larva(folder)


def test_larva_side_and_dispatch(tmp_path):
    with pytest.raises(InputError, match="side 'middle'"):
        load_larva(tmp_path, side="middle")
    with pytest.raises(InputError, match="without a known connectome table"):
        load(tmp_path)
    with pytest.raises(InputError, match="neither 'default' nor a folder"):
        load(tmp_path / "absent")


def test_select_refuses_unknown_hemisphere(tmp_path):
    with pytest.raises(InputError, match="hemisphere 'X'.*one of R, L, both"):
        select(load_neuprint(neuprint(tmp_path)), "X")
