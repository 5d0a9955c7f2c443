"""`mbsim inspect` and `mbsim plot`: summaries, figures, exit code 2 with one line for bad files."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from mbsim import io
from mbsim.cli import main
from result_factory import make_result


@pytest.fixture(scope="module")
def result_file(tmp_path_factory):
    return io.save(make_result(seed=4), tmp_path_factory.mktemp("cli") / "spaced.h5")


def test_inspect_prints_summary(result_file, capsys):
    """Provenance, the retention table `mbsim run` prints (sampled PI ± SEM, n, expected PI per
    phase), energy by cause in readable units, M0/M1, survival, file size."""
    assert main(["inspect", str(result_file)]) == 0
    out = capsys.readouterr().out
    tree = io.load(result_file)
    assert "protocol: spaced training, 5 cycles" in out
    assert "seed: 4" in out and "connectome_name: hemibrain" in out
    from mbsim.report import retention_table
    assert retention_table(tree) in out                   # what `mbsim run` printed
    pi, sem = tree["retention/pi"].values[0, 0], tree["retention/pi_sem"].values[0, 0]
    expected = tree["retention/pi_expected"].values[0]
    assert f"{pi:+.2f} +- {sem:.2f}" in out and all(f"{v:+7.2f}" in out for v in expected)
    assert "     4 d" in out
    share = float(tree["energy/atp"].sel(cause="basal").sum() / tree["energy/atp"].sum()) * 100
    assert "basal" in out and f"({share:.2g} %)" in out
    assert "pmol" in out and "e-1" not in out                 # readable units, not 1.2e-11 mol
    assert "M0 per phase" in out and "M1 per phase" in out
    median_days = tree["survival"].attrs["median_survival_s"] / 86400
    assert f"survival: median {median_days:.2f} d" in out
    assert "file size: 1." in out and "MiB" in out


def test_inspect_result_without_survival(tmp_path, capsys):
    path = io.save(make_result(omit=("survival", "energy")), tmp_path / "short.h5")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "survival: (not in this result)" in out and "energy: (not in this result)" in out


@pytest.mark.parametrize("content, message", [
    (None, "found no such file"),
    (b"just text\n", "found a file that is not HDF5"),
    ("plain-hdf5", "found an HDF5 file without the root attributes"),
])
def test_inspect_bad_file_exits_2_with_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "bad.h5"
    if content == "plain-hdf5":
        with h5py.File(path, "w") as handle:
            handle["x"] = np.zeros(3)
    elif content is not None:
        path.write_bytes(content)
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "bad.h5" in err


def test_plot_writes_overview_by_default(result_file, capsys):
    assert main(["plot", str(result_file)]) == 0
    expected = result_file.with_name("spaced_overview.png")
    assert capsys.readouterr().out.strip() == str(expected)
    assert expected.stat().st_size > 100_000


def test_plot_kind_with_lab_data(result_file, tmp_path):
    lab = tmp_path / "lab.csv"
    lab.write_text("time,pi,sem,label\n2 min,0.8,0.05,Tully 1994\n1 d,0.35,0.06,Tully 1994\n")
    output = tmp_path / "retention.pdf"
    assert main(["plot", str(result_file), "--kind", "retention", "--lab-data", str(lab), "-o", str(output)]) == 0
    assert output.read_bytes()[:5] == b"%PDF-"


def test_plot_bad_output_suffix_exits_2(result_file, tmp_path, capsys):
    assert main(["plot", str(result_file), "-o", str(tmp_path / "figure.jpgx")]) == 2
    assert "field '--output': found output suffix '.jpgx'; expected one of .png, .pdf, .svg" in capsys.readouterr().err
