"""Long honesty checks of fitting (run with `pytest -m slow`)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fit_helpers import STAND_IN
from mbsim.fit import FitProblem, load_fit_file, parse_fit_text, run_fit
from mbsim.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow

METABOLIC = f"""schema_version: 1
name: metabolic_recovery
parameters:
  - {{name: metabolism.body_basal_demand, bounds: [150 nmol/h, 1200 nmol/h], start: 300 nmol/h}}
  - {{name: metabolism.death_reserve_fraction, bounds: [0.05, 0.6], start: 0.3}}
data:
  - {{kind: survival, file: flies.csv}}
model: {{network: "{STAND_IN}", survival_spread: 0.1}}
optimizer: {{restarts: 2, max_evaluations: 80}}
"""


def test_metabolic_parameters_are_recovered_from_survival(tmp_path):
    """Per-fly death times (60 flies per protocol, censored at 4 d) drawn from the model at known
    metabolism parameters: the fit recovers both within 3 reported standard deviations."""
    (tmp_path / "flies.csv").write_text("protocol,death_time,censored,approximate,source\n"
                                        "survival_spaced_5x,1 d,false,false,x\n"
                                        "survival_massed_5x,1 d,false,false,x\n")
    (tmp_path / "fit.yaml").write_text(METABOLIC)
    problem = FitProblem(load_fit_file(tmp_path / "fit.yaml"))
    truth = np.array([500 / 3.6e12, 0.2])
    predicted = problem.forward.predict([problem.space.changes(truth)])[0]
    rng = np.random.default_rng(3)
    lines = ["protocol,death_time,censored,approximate,source"]
    for name in ("survival_spaced_5x", "survival_massed_5x"):
        p = predicted[name]
        horizon = problem.schedules[name].survival.horizon
        for death in np.exp(rng.normal(p.death_log_mean, p.death_log_sd, 60)):
            censored = death > horizon
            lines.append(f"{name},{min(death, horizon):.1f} s,{str(censored).lower()},false,simulated")
    (tmp_path / "flies.csv").write_text("\n".join(lines) + "\n")
    tree = run_fit(FitProblem(load_fit_file(tmp_path / "fit.yaml")), tmp_path / "fit.h5")
    est = tree["estimates"].to_dataset()
    for i, true in enumerate(truth):
        estimate, sd = float(est["estimate"][i]), float(est["sd"][i])
        assert math.isfinite(sd) and abs(estimate - true) < 3 * sd, (estimate, sd, true)


def test_spiking_fit_to_shared_retention_improves(shared_data, tmp_path):
    """The shipped retention fit on the spiking network (readout emulator) lowers the squared error."""
    path = PROJECT_ROOT / "data" / "fits" / "retention_memory.yaml"
    text = path.read_text().replace("restarts: 3, max_evaluations: 200",
                                    "restarts: 1, max_evaluations: 40")
    tree = run_fit(FitProblem(parse_fit_text(text, path)), tmp_path / "fit.h5")
    rows = tree["predictions"].to_dataset()
    before = float(((rows["predicted_start"] - rows["observed"]) ** 2).sum())
    after = float(((rows["predicted"] - rows["observed"]) ** 2).sum())
    assert after < before, (before, after)
