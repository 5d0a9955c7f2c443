"""Fits on the analytic stand-in network: likelihoods, parameter recovery, the shared retention data,
the result file (ArviZ groups, provenance) and its figure."""

from __future__ import annotations

import json
import math
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import special, stats

from fit_helpers import write_fit, write_retention
from mbsim.cli import main
from mbsim.errors import InputError
from mbsim.fit import FitProblem, load_fit, load_fit_file, run_fit, save_fit
from mbsim.fit import likelihood

TWO_PARAMETERS = """  - {name: memory.tau_labile, bounds: [30 min, 10 h], start: 1 h}
  - {name: memory.arm_fraction, bounds: [0.02, 1], start: 0.5}"""
TIMES = ("3 min", "30 min", "1 h", "2 h", "3 h", "6 h", "24 h", "2 d")


def test_gaussian_and_binomial_match_scipy():
    """The likelihoods are the textbook densities, one term per row."""
    assert likelihood.gaussian([0.5, 0.2], [0.4, 0.3], [0.1, 0.05]) == pytest.approx(
        [stats.norm.logpdf(0.5, 0.4, 0.1), stats.norm.logpdf(0.2, 0.3, 0.05)], rel=1e-12)
    assert likelihood.binomial([0.5, -0.5], [0.2, 0.0], [40, 20]) == pytest.approx(
        [stats.binom.logpmf(30, 40, 0.6), stats.binom.logpmf(5, 20, 0.5)], rel=1e-12)


def test_censored_curve_equals_flies_with_interval_deaths():
    """A curve of 10 flies is the product of interval probabilities and the survivors' tail."""
    mu, sigma = math.log(20 * 3600), 0.3
    times = np.array([10, 20, 30]) * 3600.0
    terms = likelihood.censored_curve(times, [0.8, 0.5, 0.2], 10, mu, sigma)
    cdf = stats.lognorm.cdf(np.concatenate([[0], times]), sigma, scale=math.exp(mu))
    expected = [2 * math.log(cdf[1] - cdf[0]), 3 * math.log(cdf[2] - cdf[1]),
                3 * math.log(cdf[3] - cdf[2]) + 2 * math.log(1 - cdf[3])]
    assert terms == pytest.approx(expected, rel=1e-9)
    shuffled = likelihood.censored_curve(times[[2, 0, 1]], [0.2, 0.8, 0.5], 10, mu, sigma)
    assert shuffled == pytest.approx(np.array(expected)[[2, 0, 1]], rel=1e-12)


@pytest.fixture(scope="module")
def recovery(tmp_path_factory):
    """Data simulated at known parameters with lab-like noise (SEM 0.04), then fitted."""
    folder = tmp_path_factory.mktemp("recovery")
    write_retention(folder, [("aversive_1x", t, 0.0, 0.04, 8) for t in TIMES]
                    + [("aversive_massed_10x", t, 0.0, 0.04, 8) for t in ("24 h", "2 d")])
    problem = FitProblem(load_fit_file(write_fit(
        folder, TWO_PARAMETERS, "  - {kind: retention, file: retention.csv}")))
    truth = np.array([2.0 * 3600, 0.3])
    clean = problem.evaluate(problem.space.to_x(truth)).predictions
    noisy = clean + np.random.default_rng(7).normal(0, 0.04, clean.size)
    write_retention(folder, [(p, t, round(v, 4), 0.04, 8) for (p, t), v in zip(
        [("aversive_1x", t) for t in TIMES] + [("aversive_massed_10x", t) for t in ("24 h", "2 d")],
        noisy)])
    problem = FitProblem(load_fit_file(folder / "fit.yaml"))
    return truth, run_fit(problem, folder / "fit.h5", posterior=True), folder


def test_parameter_recovery_within_uncertainty(recovery):
    """Each parameter is recovered within 3 of its reported standard deviations, and the
    uncertainty is informative (sd below a third of the value)."""
    truth, tree, _ = recovery
    est = tree["estimates"].to_dataset()
    for i, true in enumerate(truth):
        estimate, sd = float(est["estimate"][i]), float(est["sd"][i])
        assert 0 < sd < true / 3, (estimate, sd)
        assert abs(estimate - true) < 3 * sd, (est["parameter"].values[i], estimate, sd, true)


def test_result_file_has_arviz_groups_and_provenance(recovery, tmp_path):
    """Posterior and friends have (chain, draw) dims; provenance names the fit file and data."""
    _, tree, folder = recovery
    path = save_fit(tree, tmp_path / "fit.h5")
    loaded = load_fit(path)
    posterior = loaded["posterior"].to_dataset()
    assert posterior["memory.tau_labile"].dims == ("chain", "draw")
    assert posterior.sizes == {"chain": 6, "draw": 8}
    assert loaded["posterior_predictive"].to_dataset()["observed"].dims == ("chain", "draw", "observation")
    assert loaded["observed_data"].to_dataset().sizes["observation"] == 10
    stats_ = loaded["sample_stats"].to_dataset()
    assert 0 < stats_.attrs["mean_acceptance"] <= 1 and stats_["rhat"].size == 2
    attrs = loaded.attrs
    assert attrs["format"] == "mbsim-fit/1"
    assert attrs["fit_text"] == (folder / "fit.yaml").read_text()
    data_files = json.loads(attrs["data_files"])
    assert data_files[0]["kind"] == "retention" and len(data_files[0]["sha256"]) == 64
    assert attrs["evaluations"] > 20
    assert main(["plot", str(path), "-o", str(tmp_path / "fit.png")]) == 0
    assert (tmp_path / "fit.png").stat().st_size > 10_000


def test_exported_parameter_files_hold_the_posterior_median(recovery, tmp_path):
    """`mbsim export params` writes the memory file with each fitted value at its posterior
    median (3 significant digits) and a source naming the fit, interval and prior; every other
    entry and the comments stay as in the default file; without a posterior the median is refused."""
    from mbsim.engine.memory import load_memory_params
    from mbsim.paths import PARAMS_DIR
    _, tree, _ = recovery
    path = save_fit(tree, tmp_path / "fit.h5")
    assert main(["-q", "export", "params", str(path), "-o", str(tmp_path / "fitted")]) == 0
    assert sorted(p.name for p in (tmp_path / "fitted").iterdir()) == ["memory.yaml"]
    fitted = load_memory_params(tmp_path / "fitted" / "memory.yaml")
    default = load_memory_params()
    posterior = tree["posterior"].to_dataset()
    for name in ("tau_labile", "arm_fraction"):
        median = float(np.median(posterior[f"memory.{name}"].values))
        assert fitted[name] == pytest.approx(median, rel=5e-3)
        assert fitted.sources[name].startswith("fitted: ") and "posterior median" in fitted.sources[name]
        assert "95% interval" in fitted.sources[name] and "prior: uniform" in fitted.sources[name]
    assert fitted["tau_ltm"] == default["tau_ltm"]
    text = (tmp_path / "fitted" / "memory.yaml").read_text()
    default_text = (PARAMS_DIR / "memory.yaml").read_text()
    assert text.splitlines()[:3] == default_text.splitlines()[:3]
    assert len(text.splitlines()) == len(default_text.splitlines())
    bare_tree = tree.copy()
    del bare_tree["posterior"]
    bare = save_fit(bare_tree, tmp_path / "bare.h5")
    assert main(["export", "params", str(bare), "-o", str(tmp_path / "none")]) == 2
    assert not (tmp_path / "none" / "memory.yaml").exists()


def test_log_likelihood_terms_per_draw_add_up_to_the_log_posterior(recovery):
    """Each draw's pointwise terms are the Gaussian densities of the data at that draw's
    predictions, and with the log prior they give the sampler's log posterior."""
    _, tree, _ = recovery
    pointwise = tree["log_likelihood"].to_dataset()["retention_1"]
    assert pointwise.dims == ("chain", "draw", "retention_1_observation") and pointwise.shape == (6, 8, 10)
    rows = tree["predictions"].to_dataset()
    predicted = tree["posterior_predictive"].to_dataset()["observed"].values
    expected = stats.norm.logpdf(rows["observed"].values, predicted, rows["sem"].values)
    np.testing.assert_allclose(pointwise.values, expected, rtol=1e-12)
    space = FitProblem(load_fit_file(tree.attrs["fit_file"])).space
    posterior = tree["posterior"].to_dataset()
    lp = tree["sample_stats"].to_dataset()["lp"].values
    for c, d in [(0, 0), (3, 5), (5, 7)]:
        theta = np.array([float(posterior[name][c, d]) for name in space.names])
        assert pointwise.values[c, d].sum() + space.log_prior(theta) == pytest.approx(lp[c, d], rel=1e-12)


@pytest.mark.filterwarnings("ignore:Estimated shape parameter of Pareto")   # 48 draws
def test_arviz_reads_the_fit_file_for_loo_waic_and_its_diagnostics(recovery, tmp_path):
    """az.loo and az.waic run on the saved file (one pointwise value per data row), and the stored
    R-hat, ESS and MCSE equal what ArviZ computes on the stored draws."""
    import arviz as az
    _, tree, _ = recovery
    data = az.from_netcdf(save_fit(tree, tmp_path / "fit.h5"))
    loo = az.loo(data, pointwise=True)
    waic = az.waic(data, pointwise=True)
    assert loo.n_data_points == waic.n_data_points == 10
    assert np.all(np.isfinite(loo.loo_i))
    terms = data.log_likelihood["retention_1"].values.reshape(48, 10)     # (sample, observation)
    lppd = float(np.sum(special.logsumexp(terms, axis=0) - math.log(48)))
    p_waic = float(np.sum(terms.var(axis=0)))          # ArviZ: variance with ddof 0
    assert waic.elpd_waic == pytest.approx(lppd - p_waic, rel=1e-9) and waic.p_waic == pytest.approx(p_waic, rel=1e-9)
    stored = data.sample_stats
    names = stored["parameter"].values
    for key, computed in {"rhat": az.rhat(data), "ess_bulk": az.ess(data, method="bulk"),
                          "ess_tail": az.ess(data, method="tail"),
                          "mcse_mean": az.mcse(data, method="mean"),
                          "mcse_sd": az.mcse(data, method="sd")}.items():
        np.testing.assert_allclose(stored[key].values, [float(computed[n]) for n in names],
                                   rtol=1e-12, atol=0, err_msg=key)
    assert stored.attrs["max_rhat"] == pytest.approx(float(stored["rhat"].max()), rel=1e-15)
    from mbsim.cli.fit import summary
    assert f"max R-hat {stored.attrs['max_rhat']:.3f}, min bulk ESS " in summary(tree)


def test_fit_to_shared_retention_improves_and_the_figure_shows_it(shared_data, tmp_path):
    """Fitting memory kinetics to ../shared/data/lab/retention.csv lowers the squared error of the
    default parameters, and the figure's fitted lines are the closer ones."""
    params = """  - {name: memory.tau_labile, bounds: [30 min, 10 h]}
  - {name: memory.arm_fraction, bounds: [0.02, 1]}
  - {name: memory.capture_rate, bounds: [0.01 /h, 5 /h]}
  - {name: memory.tau_ltm, bounds: [1 d, 60 d]}"""
    path = write_fit(tmp_path, params, "  - {kind: retention, file: \"shared:lab/retention.csv\"}",
                     max_evaluations=80)
    tree = run_fit(FitProblem(load_fit_file(path)), tmp_path / "fit.h5")
    rows = tree["predictions"].to_dataset()
    before = float(((rows["predicted_start"] - rows["observed"]) ** 2).sum())
    after = float(((rows["predicted"] - rows["observed"]) ** 2).sum())
    assert after < 0.7 * before, (before, after)
    from mbsim.plot.fit import fit_figure
    figure = fit_figure(tree)
    lines = {line.get_label(): line for line in figure.axes[0].lines}
    assert "fit" in lines and "before fit" in lines
    spaced = rows["protocol"].values == "aversive_spaced_10x"
    fitted = lines_for(figure.axes[0], "aversive_spaced_10x")
    assert np.allclose(np.sort(fitted["fit"]), np.sort(rows["predicted"].values[spaced]))
    assert (np.abs(fitted["fit"] - np.sort(rows["observed"].values[spaced])).sum()
            < np.abs(fitted["before fit"] - np.sort(rows["observed"].values[spaced])).sum())


def lines_for(ax, protocol):
    """y data of the 'fit' and 'before fit' lines drawn in the colour of ``protocol``'s points."""
    color = next(c.lines[0].get_color() for c in ax.containers if c.get_label() == f"{protocol} data")
    return {line.get_label(): np.asarray(line.get_ydata()) for line in ax.lines
            if line.get_color() == color and line.get_label() in ("fit", "before fit")}


def test_survival_terms_are_per_row_in_table_order(tmp_path):
    """A survival curve of two interleaved protocols gives each row its interval term (the last
    time of a protocol also its survivors' tail), at the row's place; per-fly rows likewise."""
    (tmp_path / "curve.csv").write_text(
        "protocol,time,fraction,n,approximate,source\n"
        "survival_spaced_5x,2 d,0.4,20,false,x\nsurvival_massed_5x,1 d,0.9,10,false,x\n"
        "survival_spaced_5x,1 d,0.8,20,false,x\nsurvival_massed_5x,2 d,0.3,10,false,x\n")
    (tmp_path / "flies.csv").write_text("protocol,death_time,censored,approximate,source\n"
                                        "survival_massed_5x,30 h,false,false,x\n"
                                        "survival_spaced_5x,3 d,true,false,x\n")
    path = write_fit(tmp_path, "  - {name: metabolism.mp1_max_activation, bounds: [0.05, 10]}",
                     "  - {kind: survival, file: curve.csv}\n  - {kind: survival, file: flies.csv}",
                     metabolism=True)
    problem = FitProblem(load_fit_file(path))
    death = {"survival_spaced_5x": (math.log(40 * 3600), 0.3), "survival_massed_5x": (math.log(30 * 3600), 0.4)}
    predicted = {name: SimpleNamespace(death_log_mean=mu, death_log_sd=sd) for name, (mu, sd) in death.items()}
    _, terms = problem.score(predicted)
    day = 86400.0
    spaced = likelihood.censored_curve([2 * day, day], [0.4, 0.8], 20, *death["survival_spaced_5x"])
    massed = likelihood.censored_curve([day, 2 * day], [0.9, 0.3], 10, *death["survival_massed_5x"])
    flies = [stats.lognorm.logpdf(30 * 3600, 0.4, scale=30 * 3600),
             stats.lognorm.logsf(3 * day, 0.3, scale=40 * 3600)]
    np.testing.assert_allclose(terms, [spaced[0], massed[0], spaced[1], massed[1], *flies], rtol=1e-10)


def ratio_fit(folder, kind: str, table: str):
    """A one-parameter metabolism fit of one ratio table (``ratio.csv``) of ``kind``."""
    (folder / "ratio.csv").write_text(table)
    return write_fit(folder, "  - {name: metabolism.mp1_max_activation, bounds: [0.05, 10]}",
                     f"  - {{kind: {kind}, file: ratio.csv}}", metabolism=True)


def test_survival_ratio_is_the_ratio_of_median_death_times(tmp_path):
    """A survival-ratio row is predicted as exp(mu_condition - mu_reference), the ratio of the
    log-normal median death times, with a Gaussian term; its protocols must record survival."""
    path = ratio_fit(tmp_path, "survival_ratio", "condition,reference,ratio,sem,approximate,source\n"
                     "survival_spaced_5x,survival_massed_5x,0.81,0.05,true,x\n")
    problem = FitProblem(load_fit_file(path))
    assert problem.needs["survival_spaced_5x"].survival and problem.needs["survival_massed_5x"].survival
    predicted = {"survival_spaced_5x": SimpleNamespace(death_log_mean=math.log(17.0), death_log_sd=0.2),
                 "survival_massed_5x": SimpleNamespace(death_log_mean=math.log(20.0), death_log_sd=0.3)}
    values, terms = problem.score(predicted)
    assert values[0] == pytest.approx(0.85)
    assert terms[0] == pytest.approx(stats.norm.logpdf(0.81, 0.85, 0.05))
    (tmp_path / "ratio.csv").write_text(
        "condition,reference,ratio,sem,approximate,source\n"
        "aversive_spaced_10x,survival_massed_5x,0.81,0.05,true,x\n")
    with pytest.raises(InputError, match=r"ratio.csv:2, field 'condition'.*without a 'survival:'"):
        FitProblem(load_fit_file(path))


def test_flux_ratio_prediction_from_the_metabolism(tmp_path):
    """A flux-ratio row is predicted as the ratio of MP1-target PDH fluxes of two protocols."""
    problem = FitProblem(load_fit_file(ratio_fit(
        tmp_path, "flux_ratio", "condition,reference,time,ratio,sem,approximate,source\n"
        "aversive_spaced_10x,aversive_massed_10x,30 min,1.3,0.1,true,x\n")))
    predicted = problem.forward.predict([{}])[0]
    ratio = (predicted["aversive_spaced_10x"].flux[1800.0]
             / predicted["aversive_massed_10x"].flux[1800.0])
    evaluation = problem.evaluate(problem.space.to_x(problem.space.start))
    assert evaluation.predictions[0] == pytest.approx(ratio)
    assert 0.5 < ratio < 3.0
    prior = problem.space.log_prior(problem.space.start)   # log-scale Jacobian: log(start)
    assert prior == pytest.approx(math.log(problem.space.start[0]))
    assert evaluation.log_posterior == pytest.approx(stats.norm.logpdf(1.3, ratio, 0.1) + prior)


def test_a_network_readout_parameter_is_recovered_by_mbsim_fit(tmp_path, capsys):
    """``network.choice_temperature`` (applied to the windows' recorded activity, so the compiled
    network and the cached windows serve every value) named in a fit file: ``mbsim fit`` moves it
    from its start to the value that made the data, together with a memory parameter."""
    params = """  - {name: network.choice_temperature, bounds: [0.05 Hz, 1 Hz], start: 0.5 Hz}
  - {name: memory.tau_labile, bounds: [30 min, 10 h], start: 1 h}"""
    write_retention(tmp_path, [("aversive_1x", t, 0.0, 0.04, 8) for t in TIMES])
    path = write_fit(tmp_path, params, "  - {kind: retention, file: retention.csv}",
                     max_evaluations=200)
    problem = FitProblem(load_fit_file(path))
    truth = np.array([0.15, 2.0 * 3600])
    clean = problem.evaluate(problem.space.to_x(truth)).predictions
    start = problem.evaluate(problem.space.to_x(problem.space.start)).predictions
    assert np.max(np.abs(clean - start)) > 0.1        # the temperature matters to the data
    write_retention(tmp_path, [("aversive_1x", t, round(v, 6), 0.04, 8)
                               for t, v in zip(TIMES, clean)])
    assert main(["-q", "fit", str(path), "-o", str(tmp_path / "fit.h5")]) == 0
    estimates = load_fit(tmp_path / "fit.h5")["estimates"].to_dataset()
    found = dict(zip(estimates["parameter"].values, estimates["estimate"].values))
    assert found["network.choice_temperature"] == pytest.approx(0.15, rel=0.03)
    assert found["memory.tau_labile"] == pytest.approx(2.0 * 3600, rel=0.05)
    capsys.readouterr()
    assert main(["inspect", str(tmp_path / "fit.h5")]) == 0       # inspect reads fit files too
    printed = capsys.readouterr().out
    assert printed.startswith("mbsim-fit file") and "network.choice_temperature" in printed
    assert "log posterior" in printed
