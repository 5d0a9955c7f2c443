"""Metabolism ODEs driven by synthetic Drive sequences: steady state, starvation, MP1, ledger."""

import time

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from mbsim.errors import SimulationError
from mbsim.metabolism import CAUSES, Drive, Metabolism, WindowActivity, energy_balance

HOUR = 3600.0


@pytest.fixture(scope="module")
def model():
    return Metabolism()


def integrate(model, y0, drive_of_t, duration):
    """Integrate with the solver the engine uses (BDF with the model's Jacobian pattern)."""
    drive_fn = drive_of_t if callable(drive_of_t) else (lambda t: drive_of_t)
    sol = solve_ivp(lambda t, y: model.derivatives(t, y, drive_fn(t)), (0.0, duration), y0,
                    method="BDF", jac_sparsity=model.jac_sparsity, rtol=1e-6,
                    atol=1e-9 * model.layout.scales, dense_output=True)
    assert sol.success, sol.message
    return sol


def test_names_units_and_size(model):
    """State names are unique, with one unit each; per-compartment variables cover all compartments."""
    assert len(set(model.names)) == len(model.names) == len(model.units) == model.layout.size
    assert {f"kc_atp_{c}" for c in model.compartments} <= set(model.names)
    assert model.initial_state(True).shape == (model.layout.size,)


def test_fed_steady_state_stays_steady_for_24_h(model):
    """A fed fly with no training keeps reserves, sugar and KC ATP within 0.5% over 24 h."""
    y0 = model.initial_state(True)
    y24 = integrate(model, y0, Drive(fed=True), 24 * HOUR).y[:, -1]
    n = model.layout.n_dynamic
    assert np.allclose(y24[:n], y0[:n], rtol=5e-3, atol=1e-6)
    assert model.reserve_energy(y24) == pytest.approx(model.reserve_energy(y0), rel=1e-3)
    assert 2.0 < y0[model.layout.atp][0] < 3.0   # mM KC ATP
    assert 30.0 < y0[model.layout.hemolymph_sugar] < 80.0   # mM hemolymph glucose equivalents


def test_starvation_depletes_glycogen_then_lipid(model):
    """Starvation empties glycogen within ~1 d and burns lipid afterwards; ketone bodies appear."""
    y0 = model.initial_state(True)
    sol = integrate(model, y0, Drive(fed=False), 48 * HOUR)
    y24, y48 = sol.sol(24 * HOUR), sol.y[:, -1]
    lay = model.layout
    assert y24[lay.glycogen] < 0.05 * y0[lay.glycogen]
    assert y48[lay.lipid] < 0.7 * y0[lay.lipid]
    assert y24[lay.hemolymph_sugar] < 0.4 * y0[lay.hemolymph_sugar]
    assert y24[lay.glia_ketone] > 20 * y0[lay.glia_ketone]   # glial ketone bodies rise (Silva et al. 2022)
    assert np.all(y48[model.layout.atp] > 2.0)   # the brain is spared


def _after_episode(model, y0, fed, mp1):
    return integrate(model, y0, Drive(fed=fed, mp1=mp1), HOUR).y[:, -1]


def test_mp1_raises_pyruvate_flux_when_fed_not_when_starved(model):
    """MP1 (1) raises KC PDH flux clearly when fed, much less after 24 h starvation; forced (3) restores it."""
    fed, starved = model.initial_state(True), model.initial_state(False)
    baseline = model.ltm_trigger(fed)
    fed_episode = model.ltm_trigger(_after_episode(model, fed, True, 1.0))
    starved_episode = model.ltm_trigger(_after_episode(model, starved, False, 1.0))
    forced = model.ltm_trigger(_after_episode(model, starved, False, 3.0))
    assert baseline < 0.01
    assert fed_episode > 0.25
    assert starved_episode < 0.25 * fed_episode
    assert forced > 0.7 * fed_episode
    flux = model.pyruvate_flux(_after_episode(model, fed, True, 1.0))
    targets = model.mp1_mask.astype(bool)
    assert np.all(flux[targets] > 1.2 * model.fed_flux[targets])
    assert np.allclose(flux[~targets], model.fed_flux[~targets], rtol=0.1)


def test_consolidation_raises_intake_when_fed(model):
    """Fed flies eat about twice as much while consolidation runs (Placais et al. 2017)."""
    y0 = model.initial_state(True)
    eaten = model.layout.counter("eaten")
    rest = integrate(model, y0, Drive(fed=True), 2 * HOUR).y[eaten, -1]
    busy = integrate(model, y0, Drive(fed=True, consolidation=1.0), 2 * HOUR).y[eaten, -1]
    assert 1.6 < busy / rest < 2.4


def _window(model):
    n = model.n_comp
    by_comp = np.zeros(n)
    by_comp[-5:] = 100.0
    return WindowActivity(duration=60.0, spikes_by_class={"KC": 500.0, "PN": 2000.0, "MBON": 300.0},
                          release_events={"KC": 4000.0, "PN": 1e4}, kc_spikes_by_compartment=by_comp,
                          plasticity={"labile": np.full(n, 20.0), "ARM": np.full(n, 5.0)})


def test_window_debit_amounts(model):
    """A window debits spike, release and plasticity ATP where they happen, in mol as parametrised."""
    p = model.params
    y0 = model.initial_state(True)
    y1 = model.apply_window(y0, _window(model))
    atp = model.ledger(y1)["atp"] - model.ledger(y0)["atp"]
    assert atp[CAUSES.index("spikes")].sum() == pytest.approx(500 * p.spike_cost_KC, rel=1e-9)
    assert atp[CAUSES.index("spikes"), :-5].sum() == 0.0
    assert atp[CAUSES.index("synapses")].sum() == pytest.approx(4000 * p.release_cost, rel=1e-9)
    assert atp[CAUSES.index("plasticity_ARM")].sum() == pytest.approx(
        5 * model.n_comp * p.arm_cost_per_unit, rel=1e-9)
    debit = (y0[model.layout.atp] - y1[model.layout.atp]).sum() * p.kc_volume_per_compartment * 1e-3
    assert debit == pytest.approx(atp[:4].sum(), rel=1e-9)
    extrinsic = model.ledger(y1)["extrinsic_spikes"]
    assert extrinsic == pytest.approx(2000 * p.spike_cost_PN + 300 * p.spike_cost_MBON, rel=1e-9)


def test_ledger_closes_over_training_consolidation_and_starvation(model):
    """Supply = storage change + consumption, for the body and for the brain, within 1e-9."""
    y0 = model.initial_state(True)
    y = model.apply_window(y0, _window(model))
    ltm = np.full(model.n_comp, 0.01)

    def drive(t):
        return Drive(fed=t < 6 * HOUR, mp1=float(t < 2 * HOUR), consolidation=float(np.exp(-t / 1e4)),
                     ltm_rate=ltm * np.exp(-t / 1e4))

    y = integrate(model, y, drive, 30 * HOUR).y[:, -1]
    y = model.apply_window(y, _window(model))
    balance = energy_balance(model, y0, y)
    assert abs(balance["body_relative"]) < 1e-9
    assert abs(balance["brain_relative"]) < 1e-9
    ledger = model.ledger(y)
    assert ledger["atp"][CAUSES.index("plasticity_LTM")].sum() > 0
    increase = model.params.consolidation_systemic_increase
    assert ledger["body_consolidation"] == pytest.approx(
        increase * 1e4 / (30 * HOUR) * ledger["body_basal"], rel=0.2)


def test_mb_energy_is_tiny_next_to_reserves(model):
    """KC ATP is ~1e-7 of the fly's reserves (systemic term needed for the survival cost)."""
    y0 = model.initial_state(True)
    kc_atp = y0[model.layout.atp].sum() * model.params.kc_volume_per_compartment * 1e-3
    assert 1e-9 < kc_atp / model.reserve_energy(y0) < 1e-6


def test_check_state_names_the_variable(model):
    """A NaN or a negative concentration is reported with its name and time."""
    y = model.initial_state(True)
    y[model.names.index("kc_atp_a2")] = np.nan
    with pytest.raises(SimulationError, match=r"kc_atp_a2.*nan.*t = 7200 s"):
        model.check_state(7200.0, y)
    y = model.initial_state(True)
    y[model.names.index("glia_lactate")] = -1.0
    with pytest.raises(SimulationError, match="glia_lactate"):
        model.check_state(0.0, y)
    model.check_state(0.0, model.initial_state(True))


def test_fly_to_fly_variability_of_reserves(model):
    """Initial reserves vary with the parametrised coefficient of variation."""
    rng = np.random.default_rng(3)
    lipid = np.array([model.initial_state(True, rng)[model.layout.lipid] for _ in range(400)])
    assert np.std(lipid) / np.mean(lipid) == pytest.approx(model.params.reserve_variability_cv, rel=0.2)


def test_derivatives_are_fast(model):
    """One right-hand-side call costs well under 100 microseconds."""
    y, drive = model.initial_state(True), Drive(fed=True, mp1=1.0, ltm_rate=np.zeros(model.n_comp))
    model.derivatives(0.0, y, drive)
    start = time.perf_counter()
    for _ in range(500):
        model.derivatives(0.0, y, drive)
    assert (time.perf_counter() - start) / 500 < 100e-6


def test_derivatives_accept_a_cohort_of_columns(model):
    """(n, k) states give the same derivatives as k separate calls (vectorised cohorts)."""
    states = np.stack([model.initial_state(True), model.initial_state(False),
                       model.initial_state(True, np.random.default_rng(1))], axis=1)
    drive = Drive(fed=True, mp1=1.0, consolidation=0.4, ltm_rate=np.full(model.n_comp, 0.02))
    together = model.derivatives(0.0, states, drive)
    for j in range(states.shape[1]):
        assert np.allclose(together[:, j], model.derivatives(0.0, states[:, j], drive), rtol=1e-12, atol=0)
