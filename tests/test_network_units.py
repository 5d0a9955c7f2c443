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


def test_performance_index_rejects_bad_choices():
    with pytest.raises(InputError, match=r"values other than \+1/-1"):
        performance_index([1, 0, -1])


def test_cohort_pi_expectation():
    result = cohort_pi(np.full(200, 0.9), seed=1)
    assert result.expected_pi == pytest.approx(0.8)
    assert abs(result.pi - 0.8) < 3 * result.sem + 0.05


def test_apl_inhibition_uniform_or_mirrored():
    """Mirroring 0 gives every KC the mean KC->APL count, 1 gives each KC its own count."""
    from mbsim.connectome import load_default
    structure = build_structure(load_default())
    uniform, mirrored = structure.apl_inputs(0.0), structure.apl_inputs(1.0)
    assert np.allclose(uniform, structure.kc_apl.mean())
    assert np.allclose(mirrored, structure.kc_apl)
    assert structure.kc_apl.std() > 0.2 * structure.kc_apl.mean()
