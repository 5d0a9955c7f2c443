"""The parameter space of a fit: names checked against the model, values in SI, bounds, priors,
and the coordinates the optimizer and the sampler move in (log for positive scale parameters)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import partial

import numpy as np

from ..errors import InputError
from ..parameters import Declaration, Parameters, declarations_of
from ..units import parse_quantity

#: Why a fit cannot vary a parameter, by what it shapes or holds (kind, shape or name).
REFUSED = {
    "compiled": "shapes the compiled network; a fit reuses one compiled network and its cached "
                "spiking windows, so it cannot vary it",
    "window": "shapes the spiking windows, which a fit simulates once and reuses, so it cannot "
              "vary it",
    "per_compartment": "holds one value per compartment; a fit varies single numbers",
    "names": "is a list of compartment names, not a number",
    "tube_variability": "shapes only a run's lab-like tubes; a fit compares expected PIs",
}


@dataclass(frozen=True)
class Parameter:
    """One fitted parameter, values in SI."""

    name: str            # "memory.tau_labile"
    lower: float
    upper: float
    start: float
    log: bool            # optimizer/sampler coordinate is log(value)
    prior: str           # uniform, normal, lognormal
    prior_args: tuple[float, ...]
    unit: str            # SI unit for labels

    @property
    def group(self) -> str:
        return self.name.split(".", 1)[0]

    @property
    def key(self) -> str:
        return self.name.split(".", 1)[1]


def refusal(declaration: Declaration) -> str | None:
    """Why a fit cannot vary a declared parameter; None when it can."""
    return (REFUSED.get(declaration.kind) or REFUSED.get(declaration.shape)
            or REFUSED.get(declaration.name))


def _declaration(qualified: str, where: dict) -> Declaration:
    """The declaration of a parameter a fit may vary; an InputError saying why not otherwise."""
    try:
        declaration = Parameters.declaration(qualified)
    except InputError as error:
        raise InputError(found=f"parameter '{qualified}', not in the model",
                         expected=error.expected, **where) from None
    reason = refusal(declaration)
    if reason:
        expected = "a scalar parameter"
        if qualified.startswith("network."):
            allowed = [f"network.{d.name}" for d in declarations_of("network") if not refusal(d)]
            expected = ("a memory or metabolism parameter, or a network parameter used only on a "
                        "window's results: " + ", ".join(allowed))
        raise InputError(found=f"'{qualified}', which {reason}", expected=expected, **where)
    return declaration


def build_space(spec, parameters: Parameters) -> "ParameterSpace":
    """Check the fit file's parameters against the model's declarations and convert them to SI;
    start values default to the current ones in ``parameters``."""
    built, seen = [], set()
    for index, item in enumerate(spec.file.parameters):
        where = spec.where("parameters", index, "name")
        if item.name in seen:
            raise InputError(found=f"'{item.name}' a second time", expected="each parameter once",
                             **where)
        seen.add(item.name)
        declaration = _declaration(item.name, where)
        if item.name.startswith("metabolism.") and parameters.metabolism is None:
            raise InputError(found=f"'{item.name}' with model.metabolism false",
                             expected="model.metabolism: true to fit metabolism parameters", **where)
        unit, low, high = declaration.unit, declaration.low, declaration.high
        parse = partial(parse_quantity, dimension=declaration.dimension)
        bounds_where = spec.where("parameters", index, "bounds")
        lower, upper = (parse(v, **bounds_where) for v in item.bounds)
        if (not lower < upper or lower < low or upper > high
                or (lower == low and not declaration.low_allowed)):
            raise InputError(found=f"bounds {list(item.bounds)}", expected=f"lower < upper within "
                             f"the model's range {declaration.interval} {unit}", **bounds_where)
        current = parameters[item.name]
        start = current if item.start is None else parse(item.start,
                                                         **spec.where("parameters", index, "start"))
        if not lower <= start <= upper:
            field = "start" if item.start is not None else "bounds"
            raise InputError(found=f"start value {start:g} {unit}" + (
                " (the model's current value)" if item.start is None else ""),
                expected=f"a start inside the bounds [{lower:g}, {upper:g}] {unit}",
                **spec.where("parameters", index, field))
        log = item.scale == "log" if item.scale else lower > 0
        if log and lower <= 0:
            raise InputError(found=f"scale: log with lower bound {lower:g}",
                             expected="a positive lower bound for a log scale",
                             **spec.where("parameters", index, "scale"))
        prior_where = spec.where("parameters", index, "prior")
        args = _prior_args(item.prior, parse, prior_where)
        built.append(Parameter(item.name, lower, upper, start, log, item.prior.kind, args, unit))
    return ParameterSpace(tuple(built))


def _prior_args(prior, parse, where) -> tuple[float, ...]:
    if prior.kind == "uniform":
        return ()
    if prior.kind == "normal":
        if prior.mean is None or prior.sd is None:
            raise InputError(found="a normal prior without mean and sd",
                             expected="{kind: normal, mean: <value>, sd: <value>}", **where)
        return (parse(prior.mean, **where), parse(prior.sd, **where))
    if prior.median is None or prior.sigma is None:
        raise InputError(found="a lognormal prior without median and sigma",
                         expected="{kind: lognormal, median: <value>, sigma: <number>}", **where)
    return (parse(prior.median, **where), float(prior.sigma))


@dataclass(frozen=True)
class ParameterSpace:
    """Ordered fitted parameters, with the transform to optimizer coordinates and the log prior."""

    parameters: tuple[Parameter, ...]

    @property
    def names(self) -> list[str]:
        return [p.name for p in self.parameters]

    @property
    def start(self) -> np.ndarray:
        return np.array([p.start for p in self.parameters])

    def to_x(self, theta) -> np.ndarray:
        return np.array([math.log(v) if p.log else v for p, v in zip(self.parameters, theta)])

    def from_x(self, x) -> np.ndarray:
        return np.array([math.exp(v) if p.log else v for p, v in zip(self.parameters, x)])

    def x_bounds(self) -> list[tuple[float, float]]:
        return [(math.log(p.lower), math.log(p.upper)) if p.log else (p.lower, p.upper)
                for p in self.parameters]

    def inside(self, theta) -> bool:
        return all(p.lower <= v <= p.upper for p, v in zip(self.parameters, theta))

    def log_prior(self, theta) -> float:
        """Log prior density of ``theta`` (SI), -inf outside the bounds; in the x coordinates the
        log-Jacobian of the transform is included, so flat priors stay flat in the value."""
        if not self.inside(theta):
            return -math.inf
        total = 0.0
        for p, v in zip(self.parameters, theta):
            if p.prior == "normal":
                mean, sd = p.prior_args
                total += -0.5 * ((v - mean) / sd) ** 2
            elif p.prior == "lognormal":
                median, sigma = p.prior_args
                total += -0.5 * (math.log(v / median) / sigma) ** 2 - math.log(v)
            if p.log:
                total += math.log(v)
        return total

    def log_jacobian(self, theta) -> float:
        """log |d value / d x| of the log coordinates: the part of :meth:`log_prior` that makes it a
        density in x; the point estimate maximises the posterior of the values, without it."""
        return float(sum(math.log(v) for p, v in zip(self.parameters, theta) if p.log))

    def changes(self, theta) -> dict[str, dict[str, float]]:
        """{"network": {...}, "memory": {...}, "metabolism": {...}} of one parameter vector."""
        out: dict[str, dict[str, float]] = {"network": {}, "memory": {}, "metabolism": {}}
        for p, v in zip(self.parameters, theta):
            out[p.group][p.key] = float(v)
        return out


def apply_metabolism(params, changes: dict[str, np.ndarray]):
    """The metabolism set with a batch's (k,) columns of values (unchanged without changes)."""
    return params.updated(changes, columns=True) if changes else params
