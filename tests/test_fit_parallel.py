"""Fits on Dask (LocalCluster of 2 workers) and checkpoint/resume of a killed `mbsim fit` process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from fit_helpers import TESTS_DIR, write_fit, write_retention
from mbsim.fit import FitProblem, load_fit, load_fit_file, run_fit
from mbsim.paths import PARAMS_DIR

ROWS = [("aversive_1x", t, pi, 0.05, 8) for t, pi in
        (("3 min", 0.85), ("1 h", 0.62), ("3 h", 0.45), ("24 h", 0.15))]
ONE = "  - {name: memory.tau_labile, bounds: [30 min, 10 h], start: 1 h}"
DATA = "  - {kind: retention, file: retention.csv}"


def environment() -> dict:
    path = os.pathsep.join(filter(None, [str(TESTS_DIR), os.environ.get("PYTHONPATH", "")]))
    return {**os.environ, "PYTHONPATH": path}


def test_local_cluster_of_two_workers_gives_the_serial_result(tmp_path):
    """Restarts run as Dask tasks; the estimate equals the serial one (deterministic optimizer)."""
    write_retention(tmp_path, ROWS)
    path = write_fit(tmp_path, ONE, DATA, max_evaluations=25)
    serial = run_fit(FitProblem(load_fit_file(path)), tmp_path / "serial.h5")
    parallel = run_fit(FitProblem(load_fit_file(path)), tmp_path / "dask.h5", jobs=2,
                       env={"PYTHONPATH": environment()["PYTHONPATH"]})
    assert parallel.attrs["settings"].count('"jobs": 2') == 1
    np.testing.assert_allclose(parallel["estimates"]["estimate"].values,
                               serial["estimates"]["estimate"].values, rtol=1e-12)
    assert 1.5 * 3600 < float(serial["estimates"]["estimate"][0]) < 4 * 3600


def test_killed_fit_resumes_without_losing_evaluations(tmp_path):
    """Kill `mbsim fit` after its first checkpoint; --resume reuses every saved evaluation and
    replays the same optimizer path."""
    write_retention(tmp_path, ROWS)
    path = write_fit(tmp_path, ONE + "\n  - {name: memory.arm_fraction, bounds: [0.02, 1]}", DATA,
                     max_evaluations=400)
    output = tmp_path / "fit.h5"
    command = [sys.executable, "-m", "mbsim", "-q", "fit", str(path), "-o", str(output)]
    shard = tmp_path / "fit.h5.checkpoint" / "main.npz"
    process = subprocess.Popen(command, env=environment(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.time() + 120
    while not shard.exists() and time.time() < deadline and process.poll() is None:
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    _, stderr = process.communicate()
    assert shard.exists(), stderr.decode()
    assert not output.exists(), "the fit finished before it was killed"
    with np.load(shard) as data:
        saved = data["x"].copy()
    assert len(saved) >= 5, f"only {len(saved)} evaluations in the first checkpoint"
    resumed = subprocess.run(command + ["--resume"], env=environment(), capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    tree = load_fit(output)
    assert tree.attrs["evaluations_resumed"] >= len(saved)
    trace = tree["trace"].to_dataset()
    first = trace["value"].values[trace["stage"].values == 0][:len(saved)]
    problem = FitProblem(load_fit_file(path))
    np.testing.assert_allclose(first, [problem.space.from_x(x) for x in saved], rtol=1e-12)


@pytest.mark.parametrize("change", ["fit file", "data file", "parameter file"])
def test_resume_refuses_a_checkpoint_of_another_fit(tmp_path, change):
    """--resume after the fit file, a data file or a parameter file the fitted values are applied
    to changed is an InputError, not a silent mix of stale and new evaluations."""
    from mbsim.errors import InputError
    write_retention(tmp_path, ROWS)
    params = tmp_path / "memory.yaml"
    params.write_text((PARAMS_DIR / "memory.yaml").read_text())
    path = write_fit(tmp_path, ONE, DATA, model=", memory_params: memory.yaml", max_evaluations=5)
    run_fit(FitProblem(load_fit_file(path)), tmp_path / "fit.h5")
    if change == "fit file":
        path.write_text(path.read_text().replace("start: 1 h", "start: 2 h"))
    elif change == "data file":
        write_retention(tmp_path, ROWS[:-1] + [("aversive_1x", "24 h", 0.2, 0.05, 8)])
    else:
        params.write_text(params.read_text().replace("value: 2 h", "value: 3 h", 1))
    with pytest.raises(InputError, match="checkpoint of a different fit"):
        run_fit(FitProblem(load_fit_file(path)), tmp_path / "fit.h5", resume=True)


def test_a_rerun_without_resume_says_what_it_discards(tmp_path, caplog):
    """Without --resume an earlier run's checkpoint is removed, with a warning that counts its
    evaluations and names --resume."""
    write_retention(tmp_path, ROWS)
    path = write_fit(tmp_path, ONE, DATA, max_evaluations=5)
    run_fit(FitProblem(load_fit_file(path)), tmp_path / "fit.h5")
    saved = len(np.load(tmp_path / "fit.h5.checkpoint" / "main.npz")["x"])
    with caplog.at_level("WARNING", logger="mbsim.fit.runner"):
        run_fit(FitProblem(load_fit_file(path)), tmp_path / "fit.h5")
    assert f"discarding the {saved} evaluations" in caplog.text and "--resume" in caplog.text
