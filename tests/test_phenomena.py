"""Published phenomena with the default parameters, default connectome and spiking network (slow).

Each protocol runs once per session (a small cohort); assertions use the noise-free expected PI.
Memory kinetics: Tully et al. 1994; starvation: Placais & Preat 2013; MP1 and pyruvate flux:
Placais et al. 2012, 2017; appetitive LTM: Krashes & Waddell 2008; survival: Mery & Kawecki 2005.
"""

from __future__ import annotations

import pytest

from mbsim import Model, Simulation

pytestmark = pytest.mark.slow
COHORT = 3
HOUR, DAY = 3600.0, 86400.0
_results: dict[str, object] = {}


def result(name: str):
    if name not in _results:
        _results[name] = Simulation(Model(), name).run(cohort=COHORT).tree
    return _results[name]


def pi(name: str, time: float, phase: str = "total") -> float:
    retention = result(name)["retention"].to_dataset()
    return float(retention["pi_expected"].sel(phase=phase).sel(retention_time=time,
                                                               method="nearest"))


def median_survival(name: str) -> float:
    return float(result(name)["survival"].attrs["median_survival_s"])


def test_one_pairing_decays_to_small_memory_at_24_h():
    assert pi("aversive_1x", 180) > 0.6
    assert pi("aversive_1x", 3 * HOUR) < pi("aversive_1x", 180)
    assert pi("aversive_1x", DAY) < 0.5 * pi("aversive_1x", 180)
    assert pi("aversive_1x", DAY) < 0.3


def test_massed_memory_at_24_h_is_arm_and_gone_by_4_days():
    assert pi("aversive_massed_10x", DAY) > 0.15
    assert pi("aversive_massed_10x", DAY, "ARM") > 0.1
    assert abs(pi("aversive_massed_10x", DAY, "LTM")) < 0.1
    assert pi("aversive_massed_10x", 4 * DAY) < 0.1
    # cycloheximide-resistant
    assert pi("aversive_massed_10x_cycloheximide", DAY) == pytest.approx(
        pi("aversive_massed_10x", DAY), abs=0.1)


UNPAIRED_3_MIN = pytest.mark.xfail(strict=True, reason=(
    "unpaired PI ~ +0.06 at 3 min: ~20 KCs that fire > 4 Hz through both odors carry chance "
    "changes of their synapses large enough to shift the readout (docs/validation.md)"))


@pytest.mark.parametrize("name, time", [
    pytest.param("aversive_unpaired", 180, marks=UNPAIRED_3_MIN), ("aversive_unpaired", 3 * HOUR),
    ("aversive_unpaired", DAY), ("aversive_backward", 180), ("aversive_backward", 3 * HOUR),
    ("aversive_backward", DAY)])
def test_unpaired_and_backward_controls_teach_nothing(name, time):
    """Odors without a coincident shock leave no memory (Tully & Quinn 1985; Tanimoto et al.
    2004 for intervals of minutes)."""
    assert abs(pi(name, time)) < 0.05


def test_spaced_memory_exceeds_massed_is_ltm_and_lasts_days():
    assert pi("aversive_spaced_10x", DAY) > pi("aversive_massed_10x", DAY) + 0.1
    assert pi("aversive_spaced_10x", DAY, "LTM") > 0.2
    assert pi("aversive_spaced_10x", 4 * DAY) > 0.2
    assert pi("aversive_spaced_10x", 7 * DAY) > 0.15
    assert pi("aversive_spaced_10x_cycloheximide", DAY) < pi("aversive_spaced_10x", DAY) - 0.1


def test_starved_flies_form_arm_but_no_ltm():
    assert abs(pi("aversive_spaced_10x_starved", DAY, "LTM")) < 0.1
    assert pi("aversive_spaced_10x_starved", DAY, "ARM") > 0.1


def test_forced_mp1_activation_restores_ltm_and_shortens_survival():
    assert pi("aversive_spaced_10x_starved_mp1_activation", DAY, "LTM") > 0.2
    assert (median_survival("aversive_spaced_10x_starved_mp1_activation")
            < median_survival("aversive_spaced_10x_starved"))


def test_appetitive_ltm_in_starved_flies_and_little_learning_when_fed():
    assert pi("appetitive_1x_starved", DAY, "LTM") < -0.2
    assert pi("appetitive_1x_starved", DAY) < -0.2
    assert abs(pi("appetitive_1x_fed", 120)) < 0.2


def test_spaced_training_raises_kc_pyruvate_flux_more_than_massed():
    """Mean rise of KC pyruvate flux over the 6 h after training (Placais et al. 2017)."""
    def flux_rise(name):
        tree = result(name)
        end = tree["retention"].attrs["training_end_s"]
        rise = tree["metabolism"].to_dataset()["ltm_trigger"].mean("fly")
        return float(rise.sel(time=slice(end, end + 6 * HOUR)).mean())
    assert flux_rise("aversive_spaced_10x") > 2 * flux_rise("aversive_massed_10x")


def test_ltm_then_starvation_shortens_survival_against_massed():
    spaced = median_survival("survival_spaced_5x")
    massed = median_survival("survival_massed_5x")
    assert spaced < massed
    print(f"median survival: spaced {spaced / DAY:.2f} d, massed {massed / DAY:.2f} d, "
          f"{100 * (1 - spaced / massed):.0f}% shorter")


def test_plasticity_energy_reported_per_phase_and_compartment():
    energy = result("aversive_spaced_10x")["energy"].to_dataset()
    assert set(energy["phase"].values) == {"labile", "ARM", "LTM"}
    assert float(energy["M1"].sel(phase="LTM").sum()) > 0
    assert float(energy["M0"].sel(phase="labile").sum()) >= float(energy["M0"].sel(phase="LTM").sum())
    assert energy["M_alpha"].attrs["alpha"] == 0.5
