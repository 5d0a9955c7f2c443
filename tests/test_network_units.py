"""Network pieces that need no compiled network: parameters, odors, plasticity integrals, readout."""

from __future__ import annotations

import numpy as np
import pytest

from mbsim.errors import InputError
from mbsim.network import OdorLibrary, load_parameters, performance_index
from mbsim.network.parameters import DEFAULT_FILE
from mbsim.network.plasticity import coincidence_integrals
from mbsim.network.structure import build_structure
from mbsim.network.readout import cohort_pi


def edited(tmp_path, old: str, new: str):
    text = DEFAULT_FILE.read_text()
    assert old in text
    path = tmp_path / "network.yaml"
    path.write_text(text.replace(old, new, 1))
    return path


def test_default_parameters_in_si(params):
    assert params.time_step == pytest.approx(2e-4)
    assert params.kc_threshold == pytest.approx(-0.045)
    assert params.depression_rate["g1"] > params.depression_rate["a3"]


@pytest.mark.parametrize("old, new, message", [
    ("value: -45 mV", "value: 10 ms", r"network.yaml:\d+, field 'kc_threshold'.*expected a voltage"),
    ("value: 0.2 ms", "value: 5 s", r"field 'time_step'.*expected a value in"),
    ('    source: "Turner et al. 2008 J Neurophysiol"\n', "", r"no 'source'"),
    ("  kc_rest:\n", "  kc_rest: [\n", r"network.yaml:\d+.*YAML"),
], ids=["wrong unit", "out of range", "no source", "YAML syntax"])
def test_bad_parameter_file_rejected(tmp_path, old, new, message):
    """A wrong unit, an out-of-range value, a missing source or bad YAML: one located error."""
    with pytest.raises(InputError, match=message):
        load_parameters(edited(tmp_path, old, new))


def test_synthetic_odors_are_seeded(params):
    first, second = OdorLibrary.synthetic(params), OdorLibrary.synthetic(params)
    assert first.responses.equals(second.responses)
    assert not np.allclose(first.responses.loc["3-octanol"], first.responses.loc["4-methylcyclohexanol"])


def test_concentration_scales_pn_response(params):
    library = OdorLibrary.synthetic(params)
    glomeruli = list(library.responses.columns)
    weak = library.pn_rates(glomeruli, "3-octanol", 0.1, params)
    strong = library.pn_rates(glomeruli, "3-octanol", 1.0, params)
    spont = library.pn_rates(glomeruli, None, 1.0, params)
    assert np.all(spont == pytest.approx(params.pn_spontaneous_rate))
    assert strong.max() > weak.max() > spont.max()


def test_coincidence_integrals_match_pair_sums():
    """The recursive sums equal brute-force sums over all KC-DAN spike pairs."""
    rng = np.random.default_rng(0)
    kc_i, kc_t = rng.integers(0, 3, 40), rng.uniform(0, 10, 40)
    dan_i, dan_t = rng.integers(0, 2, 30), rng.uniform(0, 10, 30)
    compartments = np.array([[True, False], [True, True]])
    mask = np.ones((3, 2), dtype=bool)
    dep, pot = coincidence_integrals(kc_i, kc_t, dan_i, dan_t, compartments, 3, mask, 2.0, 3.0)
    for c in range(2):
        members = np.flatnonzero(compartments[:, c])
        d = dan_t[np.isin(dan_i, members)]
        lag = d[None, :] - kc_t[:, None]
        after = np.where(lag >= 0, np.exp(-np.abs(lag) / 2.0), 0).sum(1) / len(members)
        before = np.where(lag < 0, np.exp(-np.abs(lag) / 3.0), 0).sum(1) / len(members)
        assert dep[:, c] == pytest.approx(np.bincount(kc_i, after, 3))
        assert pot[:, c] == pytest.approx(np.bincount(kc_i, before, 3))


def test_timing_sets_the_sign():
    """KC before dopamine -> depression only; dopamine before KC -> potentiation only."""
    one = np.array([[True]])
    dep, pot = coincidence_integrals(np.array([0]), np.array([1.0]), np.array([0]), np.array([2.0]),
                                     one, 1, one, 2.0, 3.0)
    assert dep[0, 0] == pytest.approx(np.exp(-0.5)) and pot[0, 0] == 0.0
    dep, pot = coincidence_integrals(np.array([0]), np.array([2.0]), np.array([0]), np.array([1.0]),
                                     one, 1, one, 2.0, 3.0)
    assert dep[0, 0] == 0.0 and pot[0, 0] == pytest.approx(np.exp(-1 / 3))


def test_tonic_dopamine_teaches_nothing_on_average():
    """KCs firing from the window's start against Poisson dopamine at the tonic rate: the change
    averages to 0 (chance coincidences subtracted with the window's edges, signed); the same
    spikes with phasic dopamine right after them depress."""
    from types import SimpleNamespace
    from mbsim.network.plasticity import chance_integrals, efficacy_change
    params = load_parameters()
    rng = np.random.default_rng(4)
    n_kc, duration, rate = 400, 60.0, params.dopamine_baseline_rate
    kc_i = np.repeat(np.arange(n_kc), 40)
    kc_t = rng.uniform(0.0, duration, kc_i.size)
    one = np.ones((n_kc, 1), bool)

    def change(dan_t):
        integrals = coincidence_integrals(kc_i, kc_t, np.zeros(dan_t.size, int), np.sort(dan_t),
                                          np.ones((1, 1), bool), n_kc, one,
                                          params.depression_tau, params.potentiation_tau)
        chance = chance_integrals(kc_i, kc_t, duration, n_kc, one, params.depression_tau,
                                  params.potentiation_tau)
        result = SimpleNamespace(compartments=("g1",), depression=integrals[0],
                                 potentiation=integrals[1], chance_depression=chance[0],
                                 chance_potentiation=chance[1])
        return efficacy_change(result, params)[:, 0]
    tonic = [change(rng.uniform(0.0, duration, rng.poisson(rate * duration))).mean()
             for _ in range(200)]
    per_kc_spread = np.std([change(rng.uniform(0.0, duration, rng.poisson(rate * duration)))
                            for _ in range(20)])
    assert abs(np.mean(tonic)) < 3 * np.std(tonic) / np.sqrt(len(tonic))
    assert abs(np.mean(tonic)) < 0.02 * per_kc_spread
    phasic = change(np.concatenate([rng.uniform(0.0, duration, 22), kc_t[::40] + 0.5]))
    assert phasic.mean() < -20 * per_kc_spread / np.sqrt(n_kc)


def test_performance_index_rejects_bad_choices():
    with pytest.raises(InputError, match=r"values other than \+1/-1"):
        performance_index([1, 0, -1])


def test_cohort_pi_expectation():
    result = cohort_pi(np.full(200, 0.9), seed=1)
    assert result.expected_pi == pytest.approx(0.8)
    assert abs(result.pi - 0.8) < 3 * result.sem + 0.05


def test_lab_like_tubes_follow_binomial_statistics():
    """A tube's PI over N flies drawn from the cohort has the mean 2 p - 1 and the binomial spread
    2 sqrt(p (1 - p) / N) of the cohort's mean probability p, fly-to-fly differences included."""
    from mbsim.network.readout import tube_pis
    cohort = np.array([0.5, 1.0])                 # mean probability 0.75
    tubes = tube_pis(cohort, 4000, 100, np.random.default_rng(7))
    assert tubes.shape == (4000,)
    assert np.all(np.isclose(tubes * 100 % 2, 0) | np.isclose(tubes * 100 % 2, 2))
    expected_sd = 2 * np.sqrt(0.75 * 0.25 / 100)
    assert tubes.mean() == pytest.approx(0.5, abs=3 * expected_sd / np.sqrt(4000))
    assert tubes.std(ddof=1) == pytest.approx(expected_sd, rel=0.06)
    again = tube_pis(cohort, 4000, 100, np.random.default_rng(7))
    np.testing.assert_array_equal(tubes, again)


def test_lab_like_tubes_keep_trailing_axes_per_fly():
    """Trailing axes (tests, phases) are read through the same drawn flies: a fly certain to
    avoid at one test and to approach at another gives PIs of +1 and -1."""
    from mbsim.network.readout import tube_pis
    tubes = tube_pis(np.array([[1.0, 0.0], [1.0, 0.0]]), 5, 50, np.random.default_rng(1))
    np.testing.assert_array_equal(tubes, [[1.0, -1.0]] * 5)


@pytest.mark.parametrize("pi", [0.15, 0.45, 0.88])
def test_tube_variability_gives_lab_sems_at_the_lab_n(pi):
    """With the default tube variability, 8 tubes of 100 flies have SEMs near the lab's 0.05
    (0.035-0.065 between PI 0.15 and 0.88), where binomial sampling alone gives 0.017-0.035;
    the tubes' mean PI stays within 0.05 of the flies' expected PI."""
    from mbsim import Model
    from mbsim.network.readout import tube_pis
    variability = Model().parameters["network.tube_variability"]
    cohort = np.full((3, 2), (1 + pi) / 2)        # 3 flies, 2 tests
    tubes = tube_pis(cohort, 8000, 100, np.random.default_rng(3), variability)
    sem_at_lab_n = tubes.std(axis=0, ddof=1) / np.sqrt(8)
    binomial = 2 * np.sqrt((1 + pi) / 2 * (1 - pi) / 2 / 100) / np.sqrt(8)
    assert np.all((0.035 < sem_at_lab_n) & (sem_at_lab_n < 0.065)), sem_at_lab_n
    assert np.all(sem_at_lab_n > binomial * 1.05)
    assert np.all(np.abs(tubes.mean(axis=0) - pi) < 0.05)
    # each test draws its own tube factors: the two tests' tube PIs are uncorrelated
    assert abs(np.corrcoef(tubes[:, 0], tubes[:, 1])[0, 1]) < 0.05


def test_run_settings_reject_empty_tubes():
    from mbsim.engine import RunSettings
    with pytest.raises(InputError, match="tube_size 0"):
        RunSettings(tube_size=0)
    with pytest.raises(InputError, match="tube flies in all"):
        RunSettings(tubes=1000, tube_size=10_000)


def test_apl_inhibition_uniform_or_mirrored():
    """Mirroring 0 gives every KC the mean KC->APL count, 1 gives each KC its own count."""
    from mbsim.connectome import load_default
    structure = build_structure(load_default())
    uniform, mirrored = structure.apl_inputs(0.0), structure.apl_inputs(1.0)
    assert np.allclose(uniform, structure.kc_apl.mean())
    assert np.allclose(mirrored, structure.kc_apl)
    assert structure.kc_apl.std() > 0.2 * structure.kc_apl.mean()
