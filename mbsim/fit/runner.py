"""``run_fit``: a fit file in, a fit result tree out (point estimate, uncertainty, optional posterior).

Steps: check everything (one InputError before any evaluation), global search and local polishes
(batches of evaluations, on Dask when asked), Hessian at the best point, optional emcee sampling,
predictions at the estimate and at the start.
Every evaluation is checkpointed in ``<output>.checkpoint/``; ``resume=True`` reuses them.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import xarray as xr

from ..engine.run import software_provenance
from ..parallel import Executor
from ..errors import InputError
from . import output
from .checkpoint import Checkpoint
from .estimate import (BatchEvaluator, covariance, hessian_from, hessian_points, optimize,
                       value_log_posterior)
from .problem import FitProblem, _PROBLEMS
from .sample import run_sampler


def checkpoint_folder(output_path: str | Path) -> Path:
    path = Path(output_path)
    return path.with_name(path.name + ".checkpoint")


def run_fit(problem: FitProblem, output_path: str | Path, *, posterior: bool = False,
            resume: bool = False, jobs: int = 1, scheduler: str | None = None,
            command: str = "", env: dict | None = None) -> xr.DataTree:
    """Fit ``problem``; checkpoints go beside ``output_path`` (the tree is returned, not saved)."""
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    folder = checkpoint_folder(output_path)
    spec, space = problem.spec, problem.space
    if folder.exists() and not resume:
        _discard(folder)
    _claim(folder, fit_identity(problem))
    resumed = len(Checkpoint(folder).load().memo)
    _PROBLEMS[f"{spec.path}\0{spec.text}"] = problem      # serial tasks use this very problem
    start = space.to_x(space.start)
    with Executor(jobs, scheduler, env) as executor:
        evaluator = BatchEvaluator(problem, executor, Checkpoint(folder).load())
        best = optimize(problem, evaluator, spec.file.optimizer)
        trace = list(evaluator.trace)
        sd_x, hessian_ok = _uncertainty(problem, evaluator, best["x"])
        sampled = None
        if posterior:
            sampled = run_sampler(problem, evaluator, best["x"], sd_x, spec.file.posterior)
        at_estimate, at_start = evaluator([best["x"], start])
    evaluations = len(evaluator.checkpoint.memo)
    elapsed = time.perf_counter() - clock
    estimate = space.from_x(best["x"])
    groups = {"estimates": output.estimates_dataset(
                  space, estimate, sd_x, space.start,
                  {"log_posterior": best["log_posterior"],
                   "log_posterior_start": value_log_posterior(space, start, at_start),
                   "uncertainty_from": "posterior" if sampled else "hessian",
                   "hessian_positive_definite": int(hessian_ok)}),
              "trace": output.trace_dataset(space, trace),
              "predictions": output.predictions_dataset(problem.observations,
                                                        at_estimate.predictions,
                                                        at_start.predictions)}
    if sampled is not None:
        groups.update(output.posterior_groups(space, sampled, problem.observations))
        kept = np.apply_along_axis(space.from_x, 2, sampled["chain"][:, sampled["burn"]:])
        draws = kept.reshape(-1, kept.shape[-1])
        estimates = groups["estimates"]
        estimates["sd"] = ("parameter", draws.std(axis=0), estimates["sd"].attrs)
        estimates["lower_95"] = ("parameter", np.quantile(draws, 0.025, axis=0),
                                 estimates["lower_95"].attrs)
        estimates["upper_95"] = ("parameter", np.quantile(draws, 0.975, axis=0),
                                 estimates["upper_95"].attrs)
    tree = xr.DataTree.from_dict(groups)
    tree.attrs.update(provenance(problem, started, command, evaluations, elapsed, jobs, scheduler,
                                 best["messages"]))
    tree.attrs["evaluations_resumed"] = int(resumed)
    return tree


def _uncertainty(problem, evaluator, x_best) -> tuple[np.ndarray, bool]:
    """Standard deviations in x coordinates from the Hessian of the log posterior at ``x_best``."""
    bounds = np.array(problem.space.x_bounds())
    room = np.minimum(x_best - bounds[:, 0], bounds[:, 1] - x_best)
    step = np.maximum(np.minimum(0.01 * (bounds[:, 1] - bounds[:, 0]), 0.5 * room), 1e-6)
    values = evaluator.values(hessian_points(np.asarray(x_best, float), step))
    if not np.all(np.isfinite(values)):
        return np.full(len(x_best), np.nan), False
    cov = covariance(hessian_from(list(values), step))
    return np.sqrt(np.diag(cov)), bool(np.all(np.isfinite(cov)))


def provenance(problem, started, command, evaluations, elapsed, jobs, scheduler, messages) -> dict:
    spec = problem.spec
    parameters = {"memory": problem.memory_params.as_dict(),
                  "metabolism": (problem.metabolism_params.as_dict()
                                 if problem.metabolism_params is not None else None)}
    return {
        "format": output.FORMAT, "title": f"mbsim fit of {spec.file.name}",
        "created_by": command, "fit_name": spec.file.name, "fit_file": str(spec.path), "fit_text": spec.text,
        "fit_sha256": spec.sha256,
        "data_files": json.dumps([{"path": t.path, "sha256": t.sha256, "kind": t.kind}
                                  for t in problem.tables]),
        "protocols": json.dumps(sorted(problem.schedules)),
        "parameters": json.dumps(parameters, default=str),
        "settings": json.dumps({**spec.file.model.model_dump(), "jobs": jobs,
                                "scheduler": scheduler or ""}),
        "optimizer_messages": json.dumps(messages),
        "evaluations": int(evaluations), "elapsed_s": float(elapsed),
        "start_time": started.isoformat(), "end_time": datetime.now(timezone.utc).isoformat(),
        **software_provenance(),
    }


def _discard(folder: Path) -> None:
    """Remove an earlier run's checkpoint, saying how many evaluations go with it (a run started
    without ``--resume`` by mistake can still be stopped before they matter)."""
    try:
        count = len(Checkpoint(folder).load().memo)
    except InputError:
        count = 0
    if count:
        logging.getLogger(__name__).warning(
            "discarding the %d evaluations checkpointed in %s by an earlier run (run with --resume "
            "to reuse them)", count, folder)
    shutil.rmtree(folder)


def fit_identity(problem: FitProblem) -> str:
    """What a checkpoint's evaluations depend on: the fit file's text, its model settings, every
    data file's content and the parameter sets the fitted values are applied to (a resume after
    any of them changed would reuse stale evaluations)."""
    parameters = [problem.network_params, problem.memory_params, problem.metabolism_params]
    return "\n".join([problem.spec.sha256, problem.spec.file.model.model_dump_json(),
                      " ".join(table.sha256 for table in problem.tables),
                      " ".join(p.digest() for p in parameters if p is not None)])


def _claim(folder: Path, identity: str) -> None:
    """Mark the checkpoint folder with the fit it belongs to; refuse to resume another fit's."""
    marker = folder / "fit.id"
    if marker.is_file() and marker.read_text() != identity:
        raise InputError(found=f"a checkpoint of a different fit in {folder} (the fit file, a data "
                         "file or a parameter file changed since it was started)",
                         expected="--resume with the files that started it (or run without "
                         "--resume to start over)", field="--resume")
    folder.mkdir(parents=True, exist_ok=True)
    marker.write_text(identity)


def check_resume(output_path, resume: bool) -> None:
    if resume and not checkpoint_folder(output_path).is_dir():
        raise InputError(found=f"--resume without a checkpoint at {checkpoint_folder(output_path)}",
                         expected="a fit started earlier with the same -o", field="--resume")
