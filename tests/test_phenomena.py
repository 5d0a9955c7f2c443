"""Published phenomena with the default parameters, default connectome and spiking network (slow).

Each protocol runs once per session (3 flies; 2 with the recurrent circuit on); assertions use
the noise-free expected PI.
Memory kinetics: Tully et al. 1994; starvation: Placais & Preat 2013; MP1 and pyruvate flux:
Placais et al. 2012, 2017; appetitive LTM: Krashes & Waddell 2008; survival: Mery & Kawecki 2005.

The tests taking ``circuit`` run twice: feedforward (the default) and with the recurrent circuit
on (``network.recurrent`` 1) over the default connectome given FlyWire's MBON->MBON and DAN->MBON
wiring type to type (docs/validation.md, "First-order phenomena with the recurrent circuit").
"""

from __future__ import annotations

import pytest
from recurrent_wiring import with_wiring_of

from mbsim import Model, Simulation, paths
from mbsim.connectome import load, load_default

pytestmark = pytest.mark.slow
HOUR, DAY = 3600.0, 86400.0


def recurrent_model() -> Model:
    """The default model on the default connectome with FlyWire's recurrent wiring, feedback on."""
    flywire = load(paths.shared_data_dir() / "connectome" / "flywire_v783_mb")
    return Model(with_wiring_of(load_default(), flywire)).updated({"network.recurrent": 1})


#: Model and cohort per circuit; the recurrent runs have fewer flies, because each training trial
#: is then a window of its own (docs/performance.md, "Cost of the recurrent circuit").
CIRCUITS = {"feedforward": (Model, 3), "recurrent": (recurrent_model, 2)}


class Runs:
    """The shipped protocols run with one model, each once per session."""

    def __init__(self, circuit: str, model: Model, cohort: int):
        self.circuit, self.model, self.cohort = circuit, model, cohort
        self.results: dict[str, object] = {}

    def result(self, name: str):
        """The run's tree; its expected PIs are printed (shown with ``pytest -rA``)."""
        if name not in self.results:
            self.results[name] = Simulation(self.model, name).run(cohort=self.cohort).tree
            table = self.results[name]["retention"]["pi_expected"].to_pandas()
            print(f"{name}, {self.circuit}, expected PI:\n{table.round(2)}")
        return self.results[name]

    def pi(self, name: str, time: float, phase: str = "total") -> float:
        retention = self.result(name)["retention"].to_dataset()
        return float(retention["pi_expected"].sel(phase=phase).sel(retention_time=time,
                                                                   method="nearest"))

    def median_survival(self, name: str) -> float:
        return float(self.result(name)["survival"].attrs["median_survival_s"])


_runs: dict[str, Runs] = {}


def runs_of(circuit: str) -> Runs:
    if circuit not in _runs:
        model, cohort = CIRCUITS[circuit]
        _runs[circuit] = Runs(circuit, model(), cohort)
    return _runs[circuit]


@pytest.fixture(scope="session")
def feedforward() -> Runs:
    """Runs of the default model."""
    return runs_of("feedforward")


@pytest.fixture(scope="session", params=list(CIRCUITS))
def circuit(request) -> Runs:
    """Runs of the default model, then of the model with the recurrent circuit on."""
    return runs_of(request.param)


def test_one_pairing_decays_to_small_memory_at_24_h(circuit):
    assert circuit.pi("aversive_1x", 180) > 0.6
    assert circuit.pi("aversive_1x", 3 * HOUR) < circuit.pi("aversive_1x", 180)
    assert circuit.pi("aversive_1x", DAY) < 0.5 * circuit.pi("aversive_1x", 180)
    assert circuit.pi("aversive_1x", DAY) < 0.3


def test_massed_memory_at_24_h_is_arm_and_gone_by_4_days(feedforward):
    assert feedforward.pi("aversive_massed_10x", DAY) > 0.15
    assert feedforward.pi("aversive_massed_10x", DAY, "ARM") > 0.1
    assert abs(feedforward.pi("aversive_massed_10x", DAY, "LTM")) < 0.1
    assert feedforward.pi("aversive_massed_10x", 4 * DAY) < 0.1
    # cycloheximide-resistant
    assert feedforward.pi("aversive_massed_10x_cycloheximide", DAY) == pytest.approx(
        feedforward.pi("aversive_massed_10x", DAY), abs=0.1)


@pytest.mark.parametrize("name, time", [
    ("aversive_unpaired", 180), ("aversive_unpaired", 3 * HOUR),
    ("aversive_unpaired", DAY), ("aversive_backward", 180), ("aversive_backward", 3 * HOUR),
    ("aversive_backward", DAY)])
def test_unpaired_and_backward_controls_teach_nothing(feedforward, name, time):
    """Odors without a coincident shock leave no memory (Tully & Quinn 1985; Tanimoto et al.
    2004 for intervals of minutes)."""
    assert abs(feedforward.pi(name, time)) < 0.05


def test_spaced_memory_exceeds_massed_is_ltm_and_lasts_days(circuit):
    assert circuit.pi("aversive_spaced_10x", DAY) > circuit.pi("aversive_massed_10x", DAY) + 0.1
    assert circuit.pi("aversive_spaced_10x", DAY, "LTM") > 0.2
    assert circuit.pi("aversive_spaced_10x", 4 * DAY) > 0.2
    assert circuit.pi("aversive_spaced_10x", 7 * DAY) > 0.15
    assert (circuit.pi("aversive_spaced_10x_cycloheximide", DAY)
            < circuit.pi("aversive_spaced_10x", DAY) - 0.1)


def test_starved_flies_form_arm_but_no_ltm(circuit):
    assert abs(circuit.pi("aversive_spaced_10x_starved", DAY, "LTM")) < 0.1
    assert circuit.pi("aversive_spaced_10x_starved", DAY, "ARM") > 0.1


def test_forced_mp1_activation_restores_ltm_and_shortens_survival(feedforward):
    assert feedforward.pi("aversive_spaced_10x_starved_mp1_activation", DAY, "LTM") > 0.2
    assert (feedforward.median_survival("aversive_spaced_10x_starved_mp1_activation")
            < feedforward.median_survival("aversive_spaced_10x_starved"))


def test_appetitive_ltm_in_starved_flies_and_little_learning_when_fed(feedforward):
    """One sugar pairing in starved flies leaves LTM at 24 h (Krashes & Waddell 2008: PI ~0.3;
    the calibrated model ~0.19, docs/validation.md); fed flies barely learn."""
    assert feedforward.pi("appetitive_1x_starved", DAY, "LTM") < -0.1
    assert feedforward.pi("appetitive_1x_starved", DAY) < -0.1
    assert abs(feedforward.pi("appetitive_1x_fed", 120)) < 0.2


def test_spaced_training_raises_kc_pyruvate_flux_more_than_massed(circuit):
    """Mean rise of KC pyruvate flux over the 6 h after training (Placais et al. 2017)."""
    def flux_rise(name):
        tree = circuit.result(name)
        end = tree["retention"].attrs["training_end_s"]
        rise = tree["metabolism"].to_dataset()["ltm_trigger"].mean("fly")
        return float(rise.sel(time=slice(end, end + 6 * HOUR)).mean())
    assert flux_rise("aversive_spaced_10x") > 2 * flux_rise("aversive_massed_10x")


def test_ltm_then_starvation_shortens_survival_against_massed(feedforward):
    spaced = feedforward.median_survival("survival_spaced_5x")
    massed = feedforward.median_survival("survival_massed_5x")
    assert spaced < massed
    print(f"median survival: spaced {spaced / DAY:.2f} d, massed {massed / DAY:.2f} d, "
          f"{100 * (1 - spaced / massed):.0f}% shorter")


def test_plasticity_energy_reported_per_phase_and_compartment(feedforward):
    energy = feedforward.result("aversive_spaced_10x")["energy"].to_dataset()
    assert set(energy["phase"].values) == {"labile", "ARM", "LTM"}
    assert float(energy["M1"].sel(phase="LTM").sum()) > 0
    m0 = energy["M0"]
    assert float(m0.sel(phase="labile").sum()) >= float(m0.sel(phase="LTM").sum())
    assert energy["M_alpha"].attrs["alpha"] == 0.5
