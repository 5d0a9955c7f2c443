"""Fit results as HDF5 (an xarray DataTree that ArviZ reads): posterior, sample_stats, log_likelihood,
observed_data, posterior_predictive with dims (chain, draw, ...), plus estimates, trace, predictions
and provenance. Convergence diagnostics (R-hat, ESS, MCSE) are ArviZ's, computed on the stored draws.

Written atomically with :func:`mbsim.io.save`; the root attribute ``format`` is ``mbsim-fit/1`` so
readers (``mbsim plot``) tell fits from run results.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import xarray as xr

from .. import io
from ..variable_names import variable_name

FORMAT = "mbsim-fit/1"


def _attrs(units: str, long_name: str) -> dict:
    return {"units": units, "long_name": long_name}


def estimates_dataset(space, estimate, sd_x, start, log_posterior: dict) -> xr.Dataset:
    """Estimate, standard deviation and 95% interval per parameter (SI units)."""
    x = space.to_x(estimate)
    logs = np.array([p.log for p in space.parameters])
    sd = np.where(logs, estimate * sd_x, sd_x)         # delta method for log coordinates
    low = space.from_x(x - 1.96 * np.nan_to_num(sd_x, nan=0.0))
    high = space.from_x(x + 1.96 * np.nan_to_num(sd_x, nan=0.0))
    low, high = np.where(np.isfinite(sd_x), low, np.nan), np.where(np.isfinite(sd_x), high, np.nan)
    params = space.parameters
    return xr.Dataset(
        {"estimate": ("parameter", estimate, _attrs("SI", "point estimate (maximum a posteriori)")),
         "sd": ("parameter", sd, _attrs("SI", "standard deviation (Hessian or posterior)")),
         "lower_95": ("parameter", low, _attrs("SI", "lower end of the 95% interval")),
         "upper_95": ("parameter", high, _attrs("SI", "upper end of the 95% interval")),
         "start": ("parameter", start, _attrs("SI", "value before the fit")),
         "bound_lower": ("parameter", [p.lower for p in params], _attrs("SI", "lower bound")),
         "bound_upper": ("parameter", [p.upper for p in params], _attrs("SI", "upper bound")),
         "unit": ("parameter", [p.unit for p in params]),
         "log_scale": ("parameter", logs)},
        coords={"parameter": ("parameter", space.names)}, attrs=log_posterior)


def trace_dataset(space, trace: list[tuple]) -> xr.Dataset:
    """Every point the optimizer asked for, in order: values (SI), log posterior, stage."""
    values = np.array([space.from_x(x) for _, x, _ in trace]).reshape(len(trace), len(space.names))
    return xr.Dataset(
        {"value": (("evaluation", "parameter"), values, _attrs("SI", "parameter values")),
         "log_posterior": ("evaluation", np.array([v for _, _, v in trace], float),
                           _attrs("1", "log posterior of the values, up to a constant (-inf outside the bounds)")),
         "stage": ("evaluation", np.array([r for r, _, _ in trace], np.int64),
                   _attrs("1", "0: differential evolution; i >= 1: L-BFGS-B polish from the "
                          "i-th best member"))},
        coords={"parameter": ("parameter", space.names)})


def predictions_dataset(observations, at_estimate, at_start) -> xr.Dataset:
    o = observations
    return xr.Dataset(
        {"observed": ("observation", np.asarray(o.observed, float), _attrs("1", "measured value")),
         "sem": ("observation", np.asarray(o.sem, float), _attrs("1", "standard error")),
         "n": ("observation", np.asarray(o.n, np.int64), _attrs("1", "flies or groups")),
         "predicted": ("observation", at_estimate, _attrs("1", "prediction at the estimate")),
         "predicted_start": ("observation", at_start, _attrs("1", "prediction before the fit")),
         "dataset": ("observation", list(o.dataset)), "kind": ("observation", list(o.kind)),
         "protocol": ("observation", list(o.protocol)),
         "time": ("observation", np.asarray(o.time, float), _attrs("s", "time after training "
                                                                    "(survival: after starvation onset)"))},
        coords={"observation": ("observation", np.arange(len(o.observed)))})


#: ArviZ's diagnostics stored in /sample_stats: name -> (function, method, long name).
DIAGNOSTICS = {
    "rhat": ("rhat", "rank", "rank-normalised split R-hat (Vehtari et al. 2021)"),
    "ess_bulk": ("ess", "bulk", "bulk effective sample size"),
    "ess_tail": ("ess", "tail", "tail effective sample size (5% and 95% quantiles)"),
    "mcse_mean": ("mcse", "mean", "Monte Carlo standard error of the posterior mean (SI)"),
    "mcse_sd": ("mcse", "sd", "Monte Carlo standard error of the posterior sd (SI)"),
}


def diagnostics_dataset(posterior: xr.Dataset, names) -> xr.Dataset:
    """ArviZ's R-hat, ESS and MCSE of each parameter's draws (walkers are chains)."""
    import arviz as az
    data = {}
    for key, (function, method, long_name) in DIAGNOSTICS.items():
        values = getattr(az, function)(posterior, method=method)
        data[key] = ("parameter", np.array([float(values[name]) for name in names]),
                     _attrs("1", long_name))
    return xr.Dataset(data, coords={"parameter": ("parameter", list(names))})


def log_likelihood_dataset(pointwise: np.ndarray, observations, coords: dict) -> xr.Dataset:
    """One variable per data set: the log-likelihood term of each of its rows per chain and draw,
    over a dim ``<name>_observation`` whose coordinate is the row's index in /predictions."""
    labels = list(dict.fromkeys(observations.dataset))
    names = _unique_names(labels)
    data, kinds = {}, np.asarray(observations.kind)
    for label, name in zip(labels, names):
        rows = np.flatnonzero(np.asarray(observations.dataset) == label)
        dim = f"{name}_observation"
        data[name] = xr.Variable(("chain", "draw", dim), pointwise[:, :, rows],
                                 {"long_name": f"log-likelihood terms of {label}",
                                  "kind": str(kinds[rows[0]]), "dataset": label})
        coords = {**coords, dim: (dim, rows)}
    return xr.Dataset(data, coords=coords)


def _unique_names(labels) -> list[str]:
    """Valid variable names for data-set labels, numbered where two would coincide."""
    names: list[str] = []
    for label in labels:
        base = name = variable_name(label)
        number = 2
        while name in names:
            name, number = f"{base}_{number}", number + 1
        names.append(name)
    return names


def posterior_groups(space, sampled: dict, observations) -> dict:
    """ArviZ groups from the sampler (walkers are chains; draws after burn-in)."""
    burn = sampled["burn"]
    chain = sampled["chain"][:, burn:]
    values = np.apply_along_axis(space.from_x, 2, chain)
    coords = {"chain": ("chain", np.arange(chain.shape[0])), "draw": ("draw", np.arange(chain.shape[1]))}
    posterior = xr.Dataset({name: (("chain", "draw"), values[:, :, i])
                            for i, name in enumerate(space.names)}, coords=coords)
    diagnostics = diagnostics_dataset(posterior, space.names)
    rhat = diagnostics["rhat"].values
    stats = xr.Dataset(
        {"lp": (("chain", "draw"), sampled["log_posterior"][:, burn:]),
         "acceptance_rate": ("chain", sampled["acceptance"]),
         "autocorrelation_time": ("parameter", sampled["autocorrelation_time"]),
         **diagnostics.data_vars},
        coords={**coords, "parameter": ("parameter", space.names)},
        attrs={"walkers": chain.shape[0], "steps": sampled["chain"].shape[1], "burn": burn,
               "mean_acceptance": float(np.mean(sampled["acceptance"])),
               "max_rhat": float(np.nanmax(rhat)) if np.isfinite(rhat).any() else float("nan")})
    observed = xr.Dataset({"observed": ("observation", np.asarray(observations.observed, float))},
                          coords={"observation": ("observation", np.arange(len(observations.observed)))})
    predictions = sampled["predictions"]
    predictive = xr.Dataset({"observed": (("chain", "draw", "observation"), predictions)},
                            coords={**coords, "observation": ("observation",
                                                              np.arange(predictions.shape[-1]))})
    return {"posterior": posterior, "sample_stats": stats,
            "log_likelihood": log_likelihood_dataset(sampled["log_likelihood"], observations, coords),
            "observed_data": observed, "posterior_predictive": predictive}


def save_fit(tree: xr.DataTree, path: str | os.PathLike) -> Path:
    """Write a fit tree atomically with :func:`mbsim.io.save` (root attribute format = FORMAT)."""
    tree = tree.copy(deep=False)
    tree.attrs = {**tree.attrs, "format": FORMAT}
    return io.save(tree, path)


def file_format(path: str | os.PathLike) -> str | None:
    """The root ``format`` attribute of an HDF5 file (None when absent or unreadable)."""
    import h5py
    try:
        with h5py.File(path, "r") as handle:
            value = handle.attrs.get("format")
    except (OSError, ValueError):
        return None
    return value.decode() if isinstance(value, bytes) else value


def load_fit(path: str | os.PathLike) -> xr.DataTree:
    """Read a fit file into memory (InputError when it is not one)."""
    return io.load(path, kind=FORMAT.split("/")[0])
