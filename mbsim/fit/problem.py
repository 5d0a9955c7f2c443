"""A fit problem: the fit file, its data tables, protocols, parameter space and forward model, checked
completely before any evaluation, and the log posterior of a parameter vector."""

from __future__ import annotations

import dataclasses
import logging
import math
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from ..errors import InputError, SimulationError
from ..network.parameters import load_parameters as load_network_parameters
from ..parameters import Parameters
from ..protocol import load_protocol
from . import likelihood
from .data import read_table
from .forward import ForwardModel, ProtocolNeeds
from .space import build_space
from .spec import FitSpec, load_fit_file, parse_fit_text


#: Solver tolerances (rtol, atol relative to variable size) of ordinary runs, for retries.
STRICT_TOLERANCES = (1e-6, 1e-9)


@dataclass
class Observations:
    """Every data row as one observation, in data-set order (the `observation` dim of outputs)."""

    dataset: list = field(default_factory=list)
    kind: list = field(default_factory=list)
    protocol: list = field(default_factory=list)
    time: list = field(default_factory=list)
    observed: list = field(default_factory=list)
    sem: list = field(default_factory=list)
    n: list = field(default_factory=list)


@dataclass(frozen=True)
class Evaluation:
    """Log posterior at a parameter vector, the prediction of every observation and each
    observation's log-likelihood term (NaN where the model could not be run)."""

    log_posterior: float
    predictions: np.ndarray
    log_likelihood: np.ndarray


class FitProblem:
    """Everything needed to evaluate the log posterior of a fit file's parameters."""

    def __init__(self, spec: FitSpec, network=None):
        self.spec = spec
        settings = spec.file.model
        self.memory_params, self.metabolism_params = _parameter_sets(spec)
        self.network_params = load_network_parameters()
        self.space = build_space(spec, Parameters(self.network_params, self.memory_params,
                                                  self.metabolism_params))
        self.tables = [self._table(i, item) for i, item in enumerate(spec.file.data)]
        self.schedules = self._schedules()
        self.needs = self._needs()
        self.observations = self._observations()
        self._network = network
        self.settings = settings

    # --- checks and assembly, before any evaluation ------------------------------------------
    def _table(self, index, item):
        path = self.spec.resolve(item.file)
        if not path.is_file():
            raise InputError(found=f"no data file '{path}'", expected="a CSV file (see "
                             "data/lab/README.md)", **self.spec.where("data", index, "file"))
        table = read_table(path, item.kind)
        return table if item.protocols is None else self._selected(table, item, index)

    def _selected(self, table, item, index):
        """The rows of the protocols the data set names (``protocols:``)."""
        unknown = [name for name in item.protocols if name not in table.protocols]
        if unknown or not item.protocols:
            raise InputError(found=f"protocols {unknown or '[]'}", expected="protocols of the "
                             f"table {table.path}: " + ", ".join(table.protocols),
                             **self.spec.where("data", index, "protocols"))
        columns = [c for c in ("protocol", "condition") if c in table.rows]
        keep = table.rows[columns[0]].isin(item.protocols)
        return dataclasses.replace(table, rows=table.rows[keep].reset_index(drop=True))

    def _schedules(self) -> dict:
        schedules = {}
        for table in self.tables:
            for name in table.protocols:
                if name in schedules:
                    continue
                source = self.spec.file.protocols.get(name)
                try:
                    protocol = load_protocol(self.spec.resolve(source) if source else name)
                except InputError as error:
                    columns = [c for c in ("protocol", "condition", "reference") if c in table.rows]
                    used = np.any([table.rows[c] == name for c in columns], axis=0)
                    line = int(table.rows["line"][used].iloc[0])
                    raise InputError(found=f"protocol '{name}' ({error.found})", expected="a "
                                     "shipped protocol name or an entry under 'protocols:' in the "
                                     "fit file", file=table.path, line=line,
                                     field="protocol") from None
                schedules[name] = protocol.schedule()
        return schedules

    def _needs(self) -> dict[str, ProtocolNeeds]:
        found: dict[str, dict] = {n: {"retention": set(), "flux": set(), "survival": False}
                                  for n in self.schedules}
        metabolism = self.metabolism_params is not None
        for index, table in enumerate(self.tables):
            rows = table.rows
            if table.kind == "retention":
                for name, time in zip(rows["protocol"], rows["time"]):
                    found[name]["retention"].add(float(time))
            elif table.kind == "flux_ratio":
                self._require(metabolism, index, "flux ratios need model.metabolism: true")
                for column in ("condition", "reference"):
                    for name, time in zip(rows[column], rows["time"]):
                        found[name]["flux"].add(float(time))
            else:
                self._require(metabolism, index, "survival needs model.metabolism: true")
                columns = ("condition", "reference") if table.kind == "survival_ratio" else ("protocol",)
                for column in columns:
                    for name, line in zip(rows[column], rows["line"]):
                        if self.schedules[name].survival is None:
                            raise InputError(found=f"protocol '{name}' without a 'survival:' "
                                             "section", expected="a protocol that records survival "
                                             "under starvation (e.g. survival_spaced_5x)",
                                             file=table.path, line=int(line), field=column)
                        found[name]["survival"] = True
        return {name: ProtocolNeeds(tuple(sorted(v["retention"])), tuple(sorted(v["flux"])),
                                    v["survival"]) for name, v in found.items()}

    def _require(self, condition, index, message):
        if not condition:
            raise InputError(found="model.metabolism: false", expected=message,
                             **self.spec.where("data", index, "kind"))

    def _observations(self) -> Observations:
        obs = Observations()
        for index, (item, table) in enumerate(zip(self.spec.file.data, self.tables)):
            label = item.label or f"{item.kind} {index + 1}"
            rows = table.rows
            for _, row in rows.iterrows():
                obs.dataset.append(label)
                obs.kind.append(table.kind)
                if table.kind == "retention":
                    values = (row["protocol"], row["time"], row["pi"], row["sem"], row["n"])
                elif table.kind == "flux_ratio":
                    values = (f"{row['condition']} / {row['reference']}", row["time"],
                              row["ratio"], row["sem"], 0)
                elif table.kind == "survival_ratio":
                    values = (f"{row['condition']} / {row['reference']}", math.nan, row["ratio"],
                              row["sem"], 0)
                elif table.kind == "survival_curve":
                    values = (row["protocol"], row["time"], row["fraction"], math.nan, row["n"])
                else:
                    values = (row["protocol"], row["death_time"], float(not row["censored"]),
                              math.nan, 1)
                for name, value in zip(("protocol", "time", "observed", "sem", "n"), values):
                    getattr(obs, name).append(value)
        return obs

    # --- the model --------------------------------------------------------------------------
    @cached_property
    def network(self):
        if self._network is None:
            self._network = build_network(self.spec.file.model)
        return self._network

    @cached_property
    def forward(self) -> ForwardModel:
        s = self.settings
        for schedule in self.schedules.values():
            self.network.validate_schedule(schedule)
        return ForwardModel(self.network, self.schedules, self.needs, self.memory_params,
                            self.metabolism_params, self.network.compartments, flies=s.flies,
                            seed=s.seed, rtol=s.rtol, atol=s.atol,
                            survival_spread=s.survival_spread, survival_points=s.survival_points,
                            network_params=self.network_params)

    def evaluate(self, x) -> Evaluation:
        """Log posterior (log prior + log likelihood) and predictions at coordinates ``x``."""
        return self.evaluate_batch([x])[0]

    def evaluate_batch(self, xs) -> list[Evaluation]:
        """:meth:`evaluate` for several coordinate vectors, walked through the protocols together."""
        thetas = [self.space.from_x(np.asarray(x, float)) for x in xs]
        priors = [self.space.log_prior(theta) for theta in thetas]
        missing = np.full(len(self.observations.observed), np.nan)
        out = [Evaluation(-math.inf, missing, missing)] * len(xs)
        inside = [i for i, prior in enumerate(priors) if math.isfinite(prior)]
        for i, scored in zip(inside, self._scores([thetas[i] for i in inside])):
            if scored is not None:
                predictions, pointwise = scored
                loglik = float(np.sum(pointwise))
                total = priors[i] + loglik if math.isfinite(loglik) else -math.inf
                out[i] = Evaluation(total, predictions, pointwise)
        return out

    def _scores(self, thetas, tolerances=None) -> list:
        """(predictions, pointwise log likelihood) per theta, None where the model cannot be run. A batch
        that fails is halved until the failing vectors are alone; a single vector is retried at run
        tolerances (the fit's loose ones can overshoot a bound) before it counts as failed."""
        if not thetas:
            return []
        try:
            predicted = self.forward.predict([self.space.changes(t) for t in thetas], tolerances)
            return [self.score(p) for p in predicted]
        except SimulationError as error:
            if len(thetas) > 1:        # isolate the failing vectors by halving the batch
                half = len(thetas) // 2
                return self._scores(thetas[:half], tolerances) + self._scores(thetas[half:],
                                                                              tolerances)
            if tolerances is None:
                return self._scores(thetas, STRICT_TOLERANCES)
            logging.getLogger(__name__).info("evaluation failed at %s: %s", thetas[0], error)
            return [None]

    def score(self, predicted: dict) -> tuple[np.ndarray, np.ndarray]:
        """Predictions of every data row and each row's log-likelihood term (observation order),
        from protocol predictions."""
        out, terms = [], []
        for item, table in zip(self.spec.file.data, self.tables):
            rows = table.rows
            if table.kind == "retention":
                values = np.array([predicted[p].pi[t] for p, t in zip(rows["protocol"], rows["time"])])
                if (item.likelihood or "gaussian") == "binomial":
                    pointwise = likelihood.binomial(rows["pi"], values, rows["n"])
                else:
                    pointwise = likelihood.gaussian(rows["pi"], values, rows["sem"])
            elif table.kind == "flux_ratio":
                values = np.array([predicted[c].flux[t] / predicted[r].flux[t] for c, r, t in
                                   zip(rows["condition"], rows["reference"], rows["time"])])
                pointwise = likelihood.gaussian(rows["ratio"], values, rows["sem"])
            elif table.kind == "survival_ratio":     # ratio of log-normal medians exp(mu)
                values = np.array([math.exp(predicted[c].death_log_mean - predicted[r].death_log_mean)
                                   for c, r in zip(rows["condition"], rows["reference"])])
                pointwise = likelihood.gaussian(rows["ratio"], values, rows["sem"])
            else:
                values, pointwise = _survival(table, predicted)
            out.append(values)
            terms.append(np.asarray(pointwise, float))
        return np.concatenate(out), np.concatenate(terms)


def _survival(table, predicted) -> tuple[np.ndarray, np.ndarray]:
    """Predicted surviving fractions and log-likelihood terms of a survival table's rows."""
    rows, values = table.rows, []
    terms = np.zeros(len(rows))
    column = "time" if table.kind == "survival_curve" else "death_time"
    for name, group in rows.groupby("protocol", sort=False):
        mu, sigma = predicted[name].death_log_mean, predicted[name].death_log_sd
        if table.kind == "survival_curve":
            terms[group.index] = likelihood.censored_curve(group["time"], group["fraction"],
                                                           int(group["n"].max()), mu, sigma)
        else:
            terms[group.index] = likelihood.censored_flies(group["death_time"], group["censored"],
                                                           mu, sigma)
    for name, time in zip(rows["protocol"], rows[column]):
        p = predicted[name]
        values.append(float(likelihood.survival_fraction(time, p.death_log_mean, p.death_log_sd)))
    return np.array(values), terms


def _parameter_sets(spec: FitSpec):
    from ..engine.memory import load_memory_params
    settings = spec.file.model
    memory = load_memory_params(spec.resolve(settings.memory_params)
                                if settings.memory_params else None)
    if not settings.metabolism:
        return memory, None
    from ..metabolism import load_metabolism_params
    return memory, load_metabolism_params(spec.resolve(settings.metabolism_params)
                                          if settings.metabolism_params else None)


def build_network(settings):
    """The network a fit runs on: a registered stand-in (``stand-in:NAME``), or the spiking network
    of a connectome (with the readout emulator for test windows unless ``readout: spiking``)."""
    from .stand_ins import PREFIX, stand_in
    if settings.network.startswith(PREFIX):
        return stand_in(settings.network[len(PREFIX):])
    from ..model import Model
    readout = "graded" if settings.readout == "emulator" else "spiking"
    return Model(settings.network, metabolism=False, readout=readout).network


_PROBLEMS: dict[str, FitProblem] = {}


def problem_for(text: str, path: str) -> FitProblem:
    """The fit problem of a fit file's text, built once per process (for Dask workers)."""
    key = f"{path}\0{text}"
    if key not in _PROBLEMS:
        _PROBLEMS[key] = FitProblem(parse_fit_text(text, path))
    return _PROBLEMS[key]


def load_problem(path) -> FitProblem:
    return FitProblem(load_fit_file(path))
