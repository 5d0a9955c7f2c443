"""KC sparseness and odor overlap over an odor panel (`mbsim connectome sparseness`)."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mbsim.cli import main
from mbsim.network.calibration import PanelResponses

PANEL = "ethyl acetate,benzaldehyde,isoamyl acetate,1-hexanol,methyl salicylate"


def test_panel_measures_on_known_responses():
    """Sparseness is 1 when one KC carries every spike and 0 when all fire alike; overlap is the
    Jaccard index of the responding sets; identical odors correlate fully."""
    counts = np.array([[5, 0, 0, 0], [1, 1, 1, 1], [3, 3, 0, 0], [0, 0, 0, 0]])
    panel = PanelResponses(("a", "b", "c", "d"), counts, np.ones((4, 2)))
    np.testing.assert_allclose(panel.coding_level(), [0.25, 1.0, 0.5, 0.0])
    sparseness = panel.population_sparseness()
    np.testing.assert_allclose(sparseness[:3], [1.0, 0.0, 2.0 / 3.0])
    assert np.isnan(sparseness[3])
    overlap = panel.overlap()
    np.testing.assert_allclose([overlap[0, 1], overlap[0, 2], overlap[1, 2]], [0.25, 0.5, 0.5])
    assert np.isnan(overlap[3, 3])
    same = PanelResponses(("a", "b"), np.array([[1, 2, 3], [2, 4, 6]]), np.ones((2, 1)))
    assert same.mean_pair_correlation(same.kc_counts) == pytest.approx(1.0)


def test_cli_reports_sparse_kc_responses_to_hallem_odors(shared_data, capsys):
    """On the default network a few per cent of KCs answer each Hallem-Carlson odor, with
    sparse, partly overlapping responses."""
    assert main(["-q", "connectome", "sparseness", "default", "--odors", "hallem_carlson",
                 "--panel", PANEL, "--per-odor"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("KC responses to 5 odors (2 s pulses after 1 s of air; 1919 KCs)")
    mean = float(re.search(r"KCs responding per odor +mean ([0-9.]+)", out).group(1))
    assert 0.02 < mean < 0.15
    assert float(re.search(r"population sparseness +mean ([0-9.]+)", out).group(1)) > 0.9
    overlap = float(re.search(r"overlap of responding KCs +mean ([0-9.]+)", out).group(1))
    assert 0.0 < overlap < 0.8 and "over 10 odor pairs" in out
    listed = re.findall(r"^  (methyl salicylate|ethyl acetate) +([0-9.]+)$", out, re.M)
    assert len(listed) == 2 and all(0.0 < float(value) < 0.3 for _, value in listed)


@pytest.mark.parametrize("panel, message", [
    ("ethyl acetate,ethyl acetat", "unknown odor 'ethyl acetat'"),
    ("ethyl acetate", "a panel of at least two odors"),
])
def test_cli_bad_panel_exits_2(panel, message, capsys):
    assert main(["connectome", "sparseness", "default", "--panel", panel]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
