"""Figures: every kind renders from small results and says what it shows (labels with units, titles
without machine paths), also when optional groups are missing."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from mbsim import io, plot
from mbsim.cli import main
from mbsim.cli.plot import KIND_NAMES
from mbsim.errors import InputError
from mbsim.metabolism.survival import compare_survival
from mbsim.plot.efficiency import SWEEP_KINDS, plot_savings
from mbsim.plot.fit import FIT_KINDS, fit_figure, plot_posterior
from result_factory import make_fit, make_result, make_sweep

LAB = pd.DataFrame({"time": [120.0, 10800.0, 86400.0], "pi": [0.8, 0.5, 0.3], "sem": [0.05, 0.06, 0.05],
                    "label": ["Tully et al. 1994"] * 3})
MACHINE = {"protocol_file": "/home/lab/projects/mb/protocols/spaced_5x.yaml",
           "connectome_source": "mbsim default drawn from /home/lab/mbsim/connectome/default"}
#: Axis labels of quantities without a unit (counts, indices, ratios, names); all others need [unit].
DIMENSIONLESS = ("performance index", "fraction alive", "MB compartment", "KC index", "plastic fraction P",
                 "number of KCs", "M0 ", "M1 ", "optimal M", "savings in M", "surviving fraction",
                 "arm fraction", "efficacy change")


@pytest.fixture(scope="module")
def result():
    tree = make_result(seed=5)
    tree.attrs.update(MACHINE)
    return tree


def assert_image(path, min_bytes=10_000):
    """The file exists, is not tiny, and its pixels are not all one color."""
    import matplotlib.image

    assert path.stat().st_size > min_bytes
    pixels = matplotlib.image.imread(path)
    assert pixels.ndim == 3 and pixels.shape[0] > 200 and pixels.shape[1] > 200
    assert float(np.var(pixels[..., :3])) > 1e-3


def assert_labels_and_titles(figure, tree):
    """Every axis label names its unit in brackets unless the quantity is dimensionless (then no
    "[1]"); no title holds a file path or the commit hash."""
    labels = [label for ax in figure.axes for label in (ax.get_xlabel(), ax.get_ylabel()) if label]
    assert labels
    for label in labels:
        assert "[1]" not in label, label
        assert re.search(r"\[[^\]]+\]$", label) or label.startswith(DIMENSIONLESS), label
    titles = [ax.get_title(loc) for ax in figure.axes for loc in ("left", "center")]
    titles += [figure._suptitle.get_text()] if figure._suptitle is not None else []
    commit = str(tree.attrs.get("git_commit", "no commit"))[:7]
    for title in titles:
        assert commit not in title and not re.search(r"(^|\s)/\w+/", title), title
        assert all(value not in title for value in MACHINE.values()), title


def test_kinds_match_the_command_line():
    assert tuple(plot.KINDS) == KIND_NAMES["mbsim-result"]
    assert tuple(FIT_KINDS) == KIND_NAMES["mbsim-fit"]
    assert tuple(SWEEP_KINDS) == KIND_NAMES["mbsim-energy-sweep"]


@pytest.mark.parametrize("kind", KIND_NAMES["mbsim-result"])
def test_each_result_kind_renders_with_units_and_clean_titles(result, tmp_path, kind):
    """Each figure kind of a complete result is a non-empty PNG whose labels carry units."""
    made = plot.figure(kind, result, LAB)
    assert_labels_and_titles(made, result)
    assert_image(plot.save_figure(made, tmp_path / f"{kind}.png"))


@pytest.mark.parametrize("kind", KIND_NAMES["mbsim-energy-sweep"])
def test_each_sweep_kind_renders_with_seed_error_bars(tmp_path, kind):
    """Sweep figures: a title, units or dimensionless labels, error bars over the 3 seeds."""
    tree = make_sweep(seeds=3)
    made = SWEEP_KINDS[kind](tree)
    assert_labels_and_titles(made, tree)
    assert "energy_test" in made._suptitle.get_text()
    bars = [c for ax in made.axes for c in ax.containers if getattr(c, "has_yerr", False)]
    assert bars and any(np.isfinite(segment).all() and np.ptp(segment[:, 1]) > 0
                        for c in bars for segment in c.lines[2][0].get_segments())
    assert_image(plot.save_figure(made, tmp_path / f"{kind}.png"))


def test_savings_legend_has_no_entry_without_a_line():
    """A strategy that never reached the criterion is named in a note, not given an empty legend entry."""
    tree = make_sweep(seeds=2)
    tree["optimal"]["savings"].loc[dict(strategy="top_k")] = np.nan
    ax = plot_savings(tree)
    assert "largest updates (network)" not in [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("criterion never reached: largest updates (network)" in t.get_text() for t in ax.texts)


@pytest.mark.parametrize("posterior", [True, False])
def test_fit_figure_uses_every_panel_and_parameter_units(tmp_path, posterior):
    """Data panel plus one panel per parameter, all visible; time constants in h and d; the posterior
    predictive band only when a posterior was sampled."""
    tree = make_fit(posterior=posterior)
    made = fit_figure(tree)
    assert len(made.axes) == 4 and all(ax.get_visible() and ax.has_data() for ax in made.axes)
    assert_labels_and_titles(made, tree)
    assert [ax.get_xlabel() for ax in made.axes[1:]] == ["tau labile [h]", "tau arm [d]", "arm fraction"]
    estimate_line = made.axes[1].lines[0].get_xdata()[0]
    assert estimate_line == pytest.approx(2.0)                       # 7200 s shown as 2 h
    labels = [t.get_text() for t in made.axes[0].get_legend().get_texts()]
    assert ("95% posterior prediction" in labels) == posterior
    assert_image(plot.save_figure(made, tmp_path / "fit.png"))


def test_posterior_histogram_in_hours():
    tree = make_fit()
    ax = plot_posterior(tree, parameter="memory.tau_labile")
    heights_at = [patch.get_x() for patch in ax.patches]
    samples = tree["posterior"]["memory.tau_labile"].values / 3600
    assert min(heights_at) == pytest.approx(samples.min())


def test_overview_writes_pdf(result, tmp_path):
    pdf = plot.overview(result, tmp_path / "overview.pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 50_000


@pytest.mark.parametrize("omit", [("energy", "survival", "metabolism", "spiking", "weights", "choices"),
                                  ("retention",), ("survival",), ("spiking/raster",)])
def test_missing_groups_give_notes_not_errors(tmp_path, omit):
    """A result without optional groups still gives a figure; the empty panels say what is missing."""
    tree = make_result(omit=omit)
    figure = plot.overview_figure(tree)
    notes = [text.get_text() for ax in figure.axes for text in ax.texts if "not in this result" in text.get_text()]
    assert any(f"/{omit[0]}" in note for note in notes)
    plot.save_figure(figure, tmp_path / "partial.svg")          # draws every panel


def test_retention_curve_joins_the_expected_pi_in_log_time(result):
    """The total curve passes through the expected PI at every test, never leaves the range of two
    neighbouring tests (monotone interpolation), and the legend says it is an interpolation."""
    ax = plot.plot_retention(result, lab_data=LAB)
    retention = result["retention"].to_dataset()
    hours = retention["retention_time"].values / 3600
    expected = retention["pi_expected"].sel(phase="total").values
    line = next(line for line in ax.lines if line.get_label() == "total, expected PI")
    x, y = np.asarray(line.get_xdata()), np.asarray(line.get_ydata())
    assert x.size >= 100
    np.testing.assert_allclose(np.interp(np.log10(hours), np.log10(x), y), expected, atol=2e-3)
    for left, right, low, high in zip(hours[:-1], hours[1:], expected[:-1], expected[1:]):
        inside = (x >= left) & (x <= right)
        assert y[inside].min() >= min(low, high) - 1e-12 and y[inside].max() <= max(low, high) + 1e-12
    assert "interpolation in log time" in ax.get_legend().get_title().get_text()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[-2:] == ["total, sampled choices ± SEM (n = 24)", "Tully et al. 1994"]
    assert ax.get_xscale() == "log" and ax.get_xlabel() == "retention time after training [h]"
    assert ax.get_ylabel() == "performance index"


def test_lab_rows_of_other_protocols_are_not_drawn(result):
    """With a protocol column only the result's protocol is drawn; none matching leaves a note."""
    lab = pd.DataFrame({"protocol": ["spaced training, 5 cycles", "aversive_1x"], "time": ["1 d", "1 d"],
                        "pi": [0.5, 0.1], "source": ["Tully et al. 1994 (10 cycles); x", "Tully 1985"],
                        "approximate": [True, True]})
    ax = plot.plot_retention(result, lab_data=lab)
    lab_points = [c for c in ax.containers if c.get_label() == "Tully et al. 1994 (approximate)"]
    assert len(lab_points) == 1 and list(lab_points[0].lines[0].get_ydata()) == [0.5]
    ax = plot.plot_retention(result, lab_data=lab.iloc[1:])
    assert any("no lab data for spaced training, 5 cycles" in t.get_text() for t in ax.texts)


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


def test_energy_shows_plasticity_next_to_basal_use(result):
    """By cause on a log axis with every cause's amount printed; plasticity per compartment and phase
    on its own log axis, bar tops equal to the stored amounts."""
    ax = plot.plot_energy_by_cause(result)
    assert ax.get_xscale() == "log" and ax.get_xlabel().endswith("[pmol]")
    atp = result["energy/atp"]
    texts = " ".join(t.get_text() for t in ax.texts)
    for cause in atp["cause"].values:
        from mbsim.units import format_amount
        assert format_amount(float(atp.sel(cause=cause).sum()), "mol") in texts
    ax = plot.plot_plasticity_energy(result)
    assert ax.get_yscale() == "log" and ax.get_legend().get_title().get_text() == "memory phase"
    tops = sorted(patch.get_y() + patch.get_height() for patch in ax.patches)
    stored = sorted(atp.sel(cause=["plasticity_labile", "plasticity_ARM", "plasticity_LTM"]).values.ravel() / 1e-12)
    np.testing.assert_allclose(tops, stored, rtol=1e-9)
    assert "basal use" in ax.get_title("left")


def test_weight_heat_map_on_log_time(result):
    """The heat map spans the first positive sample to the last on a log axis."""
    ax = plot.plot_weights(result, phase="labile")
    hours = result["weights/time"].values / 3600
    assert ax.get_xscale() == "log"
    low, high = ax.get_xlim()
    assert low == pytest.approx(hours[hours > 0].min()) and high == pytest.approx(hours.max())
    assert ax.figure.axes[-1].get_ylabel().startswith("efficacy change")


def test_survival_of_two_conditions_prints_the_log_rank_test(tmp_path):
    """Two results: two curves with bands, the log-rank p-value of compare_survival on the panel."""
    first, second = make_result(seed=1), make_result(seed=2, median_survival_s=4 * 86400.0)
    ax = plot.plot_survival([first, second])
    labels = [text.get_text() for text in ax.get_legend().get_texts()]
    assert len(labels) == 2 and labels[0].endswith("(1) (n = 24)") and labels[1].endswith("(2) (n = 24)")
    statistic, p_value = compare_survival(first["survival"].to_dataset(), second["survival"].to_dataset())
    assert [t.get_text() for t in ax.texts] == [f"log-rank test: χ² = {statistic:.3g}, p = {p_value:.2g}"]
    assert p_value < 0.05
    assert len(ax.collections) >= 2                                    # the two 95% bands
    assert ax.get_xlabel() == "time since the start of starvation [d]"
    assert not plot.plot_survival(first).texts                         # one condition: no test
    assert_image(plot.save_figure(ax.figure, tmp_path / "survival.png"))


def test_plot_command_two_survival_results_and_wrong_kinds(tmp_path, capsys):
    """`mbsim plot A B --kind survival` draws both; a kind of another file type, or two files for
    another kind, is one error with exit code 2."""
    first = io.save(make_result(seed=1), tmp_path / "a.h5")
    second = io.save(make_result(seed=2, median_survival_s=4 * 86400.0), tmp_path / "b.h5")
    output = tmp_path / "survival.png"
    assert main(["plot", str(first), str(second), "--kind", "survival", "-o", str(output)]) == 0
    assert_image(output)
    capsys.readouterr()
    assert main(["plot", str(first), str(second), "--kind", "retention"]) == 2
    assert "found 2 files with --kind retention" in capsys.readouterr().err
    assert main(["plot", str(first), "--kind", "savings"]) == 2
    assert ("field '--kind': found --kind savings for result file; expected one of overview, retention"
            in capsys.readouterr().err)


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
    from mbsim.plot._common import unit_for
    from mbsim.plot.energy import plot_atp_flux
    from result_factory import COMPARTMENTS
    tree = io.load(io.save(make_result(seed=6, version=version), tmp_path / "result.h5"))
    ax = plot_atp_flux(tree)
    flux = tree["metabolism"].to_dataset()["mito_flux"].mean("fly")
    assert len(ax.lines) == len(COMPARTMENTS)
    factor, unit = unit_for(flux.values, "mol/s")             # drawn in a readable unit
    assert unit.endswith("mol/s") and unit != "mol/s"
    for line, compartment in zip(ax.lines, COMPARTMENTS):
        np.testing.assert_allclose(line.get_ydata() * factor, flux.sel(compartment=compartment).values,
                                   rtol=1e-12)
    assert ax.get_ylabel() == f"KC mitochondrial pyruvate flux [{unit}]"
