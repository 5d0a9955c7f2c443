"""Experiments of protocol schema 2 with the default model (slow): reversal, second-order
conditioning, extinction, trace conditioning and tests against a novel odor or air.

Each protocol runs once per session (a small cohort); assertions use the noise-free expected PI of
each test (its first side avoided = positive). Tests of phenomena the model does not yet show are
marked ``xfail(strict=True)`` with the reason (docs/validation.md, "Experiments of protocol schema
2"): they fail as long as the model disagrees, and turn into errors the day it agrees, so that the
marker is removed then.
"""

from __future__ import annotations

import pytest

from mbsim import Model, Simulation

pytestmark = pytest.mark.slow
COHORT = 2
_results: dict[str, object] = {}


def pis_of(name: str) -> dict[str, float]:
    """Expected total PI of every test of a shipped protocol, by test label."""
    if name not in _results:
        _results[name] = Simulation(Model(), name).run(cohort=COHORT).tree
    retention = _results[name]["retention"].to_dataset()
    return {str(label): float(value) for label, value in
            zip(retention["test_label"].values, retention["pi_expected"].sel(phase="total").values)}


def one(name: str, *words: str) -> float:
    """The PI of the one test whose label holds every word."""
    found = [pi for label, pi in pis_of(name).items() if all(w in label for w in words)]
    assert len(found) == 1, (name, words, list(pis_of(name)))
    return found[0]


def test_reversal_makes_the_new_cs_plus_avoided_and_the_old_one_no_longer():
    """A+ B- then B+ A-: A avoided after the first session, B after
    the second."""
    assert one("reversal", "3 min after first") > 0.3
    assert one("reversal", "3 min after reversed") < -0.3
    assert one("reversal", "1 h after reversed") < -0.3


def test_second_order_conditioning_gives_a_memory_of_the_second_odor():
    """C followed by the trained A, against D alone: C is avoided (Tabone & de Belle 2011)."""
    assert one("second_order", "3 min", "C vs D") > 0.1
    assert one("second_order", "3 min", "A vs B") > 0.3


def test_the_cs_plus_is_avoided_against_a_novel_odor_and_against_air():
    assert one("aversive_1x_novel_odor", "3 min", "A vs C") > 0.3
    assert one("aversive_1x_novel_odor", "3 min", "A vs air") > 0.3


@pytest.mark.xfail(strict=True, reason="the CS- is avoided against a novel odor (PI ~0.8): shared "
                   "KCs of the synthetic odors or the odor-exposure effect; not yet dissected")
def test_the_cs_minus_is_not_avoided_against_a_novel_odor():
    assert abs(one("aversive_1x_novel_odor", "3 min", "B vs C")) < 0.3


@pytest.mark.xfail(strict=True, reason="extinction needs MBON->DAN feedback, and neither the "
                   "hemibrain export nor the FlyWire subset (nor the default connectome drawn from "
                   "the hemibrain) has MBON->DAN edges")
def test_re_exposure_to_the_cs_plus_extinguishes_part_of_the_memory():
    """Five exposures to A alone after A+ training lower the memory below one cycle's memory at a
    similar time without re-exposure (Felsenberg et al. 2017, 2018)."""
    without = pis_of("aversive_1x")["test at 1 h"]
    assert one("extinction", "3 min after extinction") < without - 0.1


@pytest.mark.xfail(strict=True, reason="the 2 s depression kernel leaves ~8% of a paired "
                   "coincidence at a 5 s trace, less than the odor-exposure effect")
def test_trace_conditioning_memory_is_positive_and_falls_with_the_trace():
    """Galili et al. 2011: a memory over a 5 s trace, smaller over longer traces."""
    short, long = one("aversive_trace_5s", "3 min"), one("aversive_trace_45s", "3 min")
    assert short > 0.1 and short > long + 0.05
