"""Survival proxy: Kaplan-Meier, death times, and starvation survival of simulated cohorts."""

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from mbsim.metabolism import Drive, Metabolism, death_times, kaplan_meier, median_survival

DAY = 86400.0
CONSOLIDATION_TIME_CONSTANT = 12 * 3600.0   # reference LTM programme used for calibration (docs)


def test_kaplan_meier_matches_hand_computation():
    """Deaths at 1, 2, 2, censoring at 3 and a death at 4 give S = 4/5, 2/5, 0."""
    times, fraction = kaplan_meier(np.array([1.0, 2.0, 2.0, 3.0, 4.0]),
                                   np.array([False, False, False, True, False]))
    assert times.tolist() == [0.0, 1.0, 2.0, 4.0]
    assert fraction == pytest.approx([1.0, 0.8, 0.4, 0.0])
    assert median_survival(times, fraction) == 2.0
    assert np.isnan(median_survival(*kaplan_meier(np.array([5.0]), np.array([True]))))


def test_death_times_interpolate_the_threshold_crossing():
    """A reserve falling linearly from 10 to 0 over 10 s crosses 4 at 6 s; a flat one is censored."""
    times = np.arange(11.0)
    reserves = np.stack([10.0 - times, np.full(11, 9.0)])
    death, censored = death_times(times, reserves, threshold=4.0)
    assert death == pytest.approx([6.0, 10.0])
    assert censored.tolist() == [False, True]


def _cohort(model, n_flies, consolidation, seed=7):
    rng = np.random.default_rng(seed)
    grid = np.linspace(0.0, 5 * DAY, 1201)
    reserves = []
    for _ in range(n_flies):
        y0 = model.initial_state(True, rng)

        def rhs(t, y):
            c = float(np.exp(-t / CONSOLIDATION_TIME_CONSTANT)) if consolidation else 0.0
            return model.derivatives(t, y, Drive(fed=False, consolidation=c))

        sol = solve_ivp(rhs, (0.0, grid[-1]), y0, method="BDF", jac_sparsity=model.jac_sparsity,
                        rtol=1e-5, atol=1e-8 * model.layout.scales, t_eval=grid)
        assert sol.success
        reserves.append(model.reserve_energy(sol.y))
    return death_times(grid, np.array(reserves), model.death_threshold)


@pytest.fixture(scope="module")
def cohorts():
    model = Metabolism()
    return {group: _cohort(model, 8, group == "spaced") for group in ("massed", "spaced")}


def test_starved_wild_type_survive_two_to_three_days(cohorts):
    """Fed-then-starved flies (massed training, no consolidation) have median survival 2-3 d."""
    death, censored = cohorts["massed"]
    median = median_survival(*kaplan_meier(death, censored))
    print(f"median survival after massed training: {median / DAY:.2f} d")
    assert 2.0 * DAY < median < 3.0 * DAY
    assert not censored.any()
    assert np.std(death) / np.mean(death) > 0.05   # fly-to-fly variability gives a curve, not a step


def test_consolidation_shortens_survival_about_20_percent(cohorts):
    """LTM consolidation then starvation shortens survival ~20% vs massed (Mery & Kawecki 2005)."""
    massed = median_survival(*kaplan_meier(*cohorts["massed"]))
    spaced = median_survival(*kaplan_meier(*cohorts["spaced"]))
    effect = 1.0 - spaced / massed
    paired = 1.0 - np.mean(cohorts["spaced"][0] / cohorts["massed"][0])
    print(f"survival shortened by {effect:.1%} (median), {paired:.1%} (paired mean)")
    assert 0.12 < effect < 0.28
    assert 0.12 < paired < 0.28


def test_survival_statistics_agree_with_lifelines_and_separate_groups():
    """The band, the median interval and the log-rank test are lifelines' (checked against its
    own fitter); groups that differ give a small p-value, identical ones p = 1."""
    from lifelines import KaplanMeierFitter
    from mbsim.metabolism import logrank, median_interval, survival_band
    rng = np.random.default_rng(4)
    short, long = rng.exponential(1.0, 60), rng.exponential(4.0, 60)   # hazard ratio 4
    censored = np.zeros(60, bool)
    censored[:5] = True
    times, fraction = kaplan_meier(short, censored)
    fitted = KaplanMeierFitter().fit(short, event_observed=~censored)
    assert np.allclose(fraction, fitted.survival_function_.loc[times].to_numpy().ravel(), atol=0)
    lower, upper = survival_band(short, censored)
    assert np.all(lower <= fraction + 1e-12) and np.all(fraction <= upper + 1e-12)
    assert lower[0] == upper[0] == 1.0
    low, high = median_interval(short, censored)
    assert low <= median_survival(times, fraction) <= high
    statistic, p = logrank((short, censored), (long, censored))
    assert p < 0.05 and statistic > 0
    assert logrank((short, censored), (short, censored))[1] == pytest.approx(1.0)


def test_compare_survival_reads_two_result_groups():
    """Two /survival groups as runs write them (death_time NaN where censored): censored flies
    enter the test alive at the horizon."""
    import xarray as xr
    from mbsim.metabolism import compare_survival, logrank
    horizon = 5 * 86400.0
    rng = np.random.default_rng(8)

    def group(scale):
        death = rng.exponential(scale, 30)
        censored = death > horizon
        return xr.Dataset({"death_time": ("fly", np.where(censored, np.nan, death)),
                           "censored": ("fly", censored)}, attrs={"horizon_s": horizon})
    first, second = group(86400.0), group(4 * 86400.0)
    assert first["censored"].values.any() or second["censored"].values.any()
    statistic, p = compare_survival(first, second)
    expected = logrank(*[(np.where(g["censored"].values, horizon, g["death_time"].values),
                          g["censored"].values) for g in (first, second)])
    assert (statistic, p) == pytest.approx(expected) and p < 0.05
