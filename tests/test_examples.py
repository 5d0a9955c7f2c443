"""The tutorial scripts in docs/examples run and show what they claim."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _table(stdout: str) -> dict:
    """(parameter, value, retention_h) -> expected PI from the script's printed rows."""
    rows = {}
    for line in stdout.splitlines():
        fields = line.split()
        if len(fields) == 5 and fields[0] in ("memory.tau_labile", "network.choice_temperature"):
            name, value, _unit, retention_h, pi = fields
            rows[name, float(value), float(retention_h)] = float(pi)
    return rows


def test_scan_parameters_small(tmp_path):
    output = tmp_path / "scan.png"
    run = subprocess.run([sys.executable, str(ROOT / "docs/examples/scan_parameters.py"),
                          "--small", "--output", str(output)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    assert output.is_file() and output.stat().st_size > 10_000

    rows = _table(run.stdout)
    # 2 parameters x 2 values x 5 retention times (aversive_1x: 3 min, 1 h, 3 h, 24 h, 4 d)
    assert len(rows) == 20, run.stdout

    def pis(name, retention_h):
        return [pi for (n, _, t), pi in sorted(rows.items()) if n == name and t == retention_h]

    # a longer labile memory keeps the PI higher 3 h after training
    short_tau, long_tau = pis("memory.tau_labile", 3.0)
    assert long_tau - short_tau > 0.1, run.stdout
    # a higher choice temperature (noisier readout) lowers the PI right after training
    cold, hot = pis("network.choice_temperature", 0.05)
    assert cold - hot > 0.1, run.stdout
    assert all(-1.0 <= pi <= 1.0 for pi in rows.values())


@pytest.mark.slow
def test_trigger_ridge_raises_the_flux_ratio_where_mp1_alone_costs_survival():
    """Scaling mp1_max_activation up and trigger_gain down raises the spaced / massed flux ratio and
    keeps the survival ratio; raising mp1_max_activation alone shortens survival after LTM."""
    run = subprocess.run([sys.executable, str(ROOT / "docs/examples/trigger_ridge.py"),
                          "--factors", "1", "3"], cwd=ROOT, capture_output=True, text=True,
                         timeout=1200)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = [line.split(" | ") for line in run.stdout.splitlines() if line.startswith("metabolism.")]
    assert len(rows) == 3, run.stdout
    (_, base_ll, base_flux, base_survival, _), (_, _, ridge_flux, ridge_survival, _), \
        (_, _, alone_flux, alone_survival, _) = [[f.strip() for f in r] for r in rows]
    assert float(ridge_flux) > float(base_flux) + 0.05, run.stdout
    assert abs(float(ridge_survival) - float(base_survival)) < 0.05, run.stdout
    assert float(alone_flux) > float(base_flux), run.stdout
    assert float(alone_survival) < float(base_survival) - 0.1, run.stdout
