"""Figures: every kind renders a non-empty image, also when optional groups are missing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mbsim import plot
from mbsim.cli.plot import KIND_NAMES
from mbsim.errors import InputError
from result_factory import make_result

LAB = pd.DataFrame({"time": [120.0, 10800.0, 86400.0], "pi": [0.8, 0.5, 0.3], "sem": [0.05, 0.06, 0.05],
                    "label": ["Tully et al. 1994"] * 3})


@pytest.fixture(scope="module")
def result():
    return make_result(seed=5)


def assert_image(path, min_bytes=10_000):
    """The file exists, is not tiny, and its pixels are not all one color."""
    import matplotlib.image

    assert path.stat().st_size > min_bytes
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 200 and pixels.shape[1] > 200
    assert float(np.var(pixels[..., :3])) > 1e-3


def test_kinds_match_the_command_line():
    assert tuple(plot.KINDS) == KIND_NAMES


@pytest.mark.parametrize("kind", KIND_NAMES)
def test_each_kind_renders(result, tmp_path, kind):
    """Each figure kind of a complete result is a non-empty PNG."""
    path = plot.save_figure(plot.figure(kind, result, LAB), tmp_path / f"{kind}.png")
    assert_image(path)


def test_overview_writes_png_and_pdf(result, tmp_path):
    assert_image(plot.overview(result, tmp_path / "overview.png", lab_data=LAB), min_bytes=100_000)
    pdf = plot.overview(result, tmp_path / "overview.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-"


@pytest.mark.parametrize("omit", [("energy", "survival", "metabolism", "spiking", "weights", "choices"),
                                  ("retention",), ("survival",), ("spiking/raster",)])
def test_missing_groups_give_notes_not_errors(tmp_path, omit):
    """A result without optional groups still gives a figure; the empty panels say what is missing."""
    tree = make_result(omit=omit)
    figure = plot.overview_figure(tree)
    notes = [text.get_text() for ax in figure.axes for text in ax.texts if "not in this result" in text.get_text()]
    assert any(f"/{omit[0]}" in note for note in notes)
    assert_image(plot.save_figure(figure, tmp_path / "partial.png"))


def test_retention_draws_lab_points_and_phases(result):
    ax = plot.plot_retention(result, lab_data=LAB)
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert labels == ["model total (expected)", "model labile (expected)", "model ARM (expected)",
                      "model LTM (expected)", "model total, sampled choices ± SEM",
                      "Tully et al. 1994"]
    assert ax.get_xscale() == "log"
    assert "[h]" in ax.get_xlabel()


def test_lab_data_csv_with_time_units(tmp_path):
    path = tmp_path / "lab.csv"
    path.write_text("time,pi,sem,label\n2 min,0.8,0.05,Tully 1994\n24 h,0.35,0.06,Tully 1994\n")
    table = plot.read_lab_data(path)
    np.testing.assert_allclose(table["time"], [120.0, 86400.0])


def test_lab_data_errors_name_the_problem(tmp_path):
    path = tmp_path / "lab.csv"
    path.write_text("t,performance\n1,0.5\n")
    with pytest.raises(InputError, match=r"lab.csv, field 'time': found columns t, performance; expected columns"):
        plot.read_lab_data(path)
    path.write_text("time,pi\n24 V,0.5\n")
    with pytest.raises(InputError, match=r"lab.csv:2, field 'time'"):
        plot.read_lab_data(path)


def test_kaplan_meier_matches_hand_computation():
    """Deaths at 1, 2 (censored), 3, 3 among 5 flies: S = 4/5, then 4/5*1/3*... by hand."""
    times, survival = plot.kaplan_meier(np.array([1.0, 2.0, 3.0, 3.0, 5.0]),
                                        np.array([False, True, False, False, False]))
    np.testing.assert_allclose(times, [0, 1, 3, 3, 5])
    np.testing.assert_allclose(survival, [1, 0.8, 0.8 * 2 / 3, 0.8 * 1 / 3, 0.0])


def test_survival_of_several_conditions(tmp_path):
    """Two results on one plot, labelled by title and numbered when titles repeat."""
    ax = plot.plot_survival([make_result(seed=1), make_result(seed=2, median_survival_s=4 * 86400.0)])
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert len(labels) == 2 and labels[0].endswith("(1) (n = 24)") and labels[1].endswith("(2) (n = 24)")
    assert_image(plot.save_figure(ax.figure, tmp_path / "survival.png"))


def test_compartment_map_covers_all_compartments(result):
    """The schematic has a box for each of the 15 compartments, colored by total ATP."""
    from result_factory import COMPARTMENTS

    assert set(plot.LAYOUT) == set(COMPARTMENTS)
    ax = plot.plot_compartment_map(result)
    labels = {text.get_text() for text in ax.texts}
    assert {"γ1", "γ5", "β′1", "α′3", "α1", "β2"} <= labels
    colorbar_label = ax.figure.axes[-1].get_ylabel()
    assert colorbar_label == "ATP consumed over the run [pmol]"


@pytest.mark.parametrize("version", [1, 2])
def test_compartment_time_courses_draw_each_compartment(version, tmp_path):
    """The flux panel has one line per compartment, the fly mean of /metabolism/mito_flux; a
    version-1 file (one variable per compartment) loads into the same picture."""
    from mbsim import io
    from mbsim.plot.energy import plot_atp_flux
    from result_factory import COMPARTMENTS
    tree = io.load(io.save(make_result(seed=6, version=version), tmp_path / "result.h5"))
    ax = plot_atp_flux(tree)
    flux = tree["metabolism"].to_dataset()["mito_flux"].mean("fly")
    assert len(ax.lines) == len(COMPARTMENTS)
    for line, compartment in zip(ax.lines, COMPARTMENTS):
        np.testing.assert_allclose(line.get_ydata(), flux.sel(compartment=compartment).values, rtol=1e-12)
    assert ax.get_ylabel() == "KC mitochondrial pyruvate flux [mol s-1]"
