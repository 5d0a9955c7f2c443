"""Fit files: which parameters to fit (bounds, priors), which data, which protocols, which likelihood.

A fit file is YAML validated with pydantic; errors name the file, line and field like protocol files
(the YAML line bookkeeping of :mod:`mbsim.yaml_source` is reused). Format: docs/fitting.md.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import InputError
from ..limits import MAX_COHORT, MAX_NAME_LENGTH, MAX_SEED
from ..protocol.loader import _BOUNDS, _data_path
from ..yaml_source import YamlDocument, format_path, read_yaml
from .stand_ins import PREFIX as STAND_IN_PREFIX

SCHEMA_VERSION = 1
LIKELIHOODS = {"retention": ("gaussian", "binomial"), "flux_ratio": ("gaussian",),
               "survival": ("censored",), "survival_ratio": ("gaussian",)}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Prior(_Strict):
    kind: Literal["uniform", "normal", "lognormal"] = "uniform"
    mean: str | float | None = None      # normal
    sd: str | float | None = None        # normal
    median: str | float | None = None    # lognormal
    sigma: float | None = Field(default=None, gt=0)  # lognormal, of the natural log


class FitParameter(_Strict):
    name: str = Field(pattern=r"^(network|memory|metabolism)\.[a-z0-9_]+$")
    bounds: tuple[str | float, str | float]
    start: str | float | None = None
    scale: Literal["linear", "log"] | None = None
    prior: Prior = Prior()
    source: str | None = None    # where the bounds and the prior come from (a paper, "assumption")


class DataSet(_Strict):
    kind: Literal["retention", "flux_ratio", "survival", "survival_ratio"]
    file: str
    likelihood: Literal["gaussian", "binomial", "censored"] | None = None
    label: str | None = None
    protocols: list[str] | None = None   # use only the rows of these protocols (default: all)


class ModelSettings(_Strict):
    network: str = "default"            # connectome name/folder, or "stand-in:NAME"
    memory_params: str | None = None
    metabolism_params: str | None = None
    metabolism: bool = True
    readout: Literal["emulator", "spiking"] = "emulator"
    flies: int = Field(default=1, ge=1, le=MAX_COHORT)
    seed: int = Field(default=1, ge=0, le=MAX_SEED)
    rtol: float = Field(default=1e-3, gt=0, lt=1)
    atol: float = Field(default=1e-6, gt=0, lt=1)   # times each variable's typical size
    survival_spread: float = Field(default=0.05, gt=0)   # extra log-sd of death times
    survival_points: Literal[1, 3] = 1                   # 1: delta method, 3: sigma points
    batch_size: int = Field(default=32, ge=1)   # parameter vectors integrated together (one task)


class Optimizer(_Strict):
    restarts: int = Field(default=4, ge=1)              # local polishes after the global search
    max_evaluations: int = Field(default=300, ge=1, le=10_000_000)
    population: int | None = Field(default=None, ge=5, le=100_000)  # default max(8, 4 n)
    seed: int = Field(default=0, ge=0, le=MAX_SEED)


class Posterior(_Strict):
    walkers: int = Field(default=16, ge=4, le=100_000)
    steps: int = Field(default=200, ge=2, le=1_000_000)
    burn: int = Field(default=50, ge=0)
    seed: int = 0


class FitFile(_Strict):
    schema_version: int
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=MAX_NAME_LENGTH)
    description: str = ""
    parameters: list[FitParameter] = Field(min_length=1)
    data: list[DataSet] = Field(min_length=1)
    protocols: dict[str, str] = {}
    model: ModelSettings = ModelSettings()
    optimizer: Optimizer = Optimizer()
    posterior: Posterior = Posterior()


@dataclasses.dataclass(frozen=True)
class FitSpec:
    """A validated fit file with its text, location and line table."""

    file: FitFile
    path: Path
    text: str
    document: YamlDocument

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()

    def where(self, *path) -> dict:
        """file/line/field of a path in the fit file, for InputError."""
        return {"file": str(self.path), "line": self.document.line_of(tuple(path)),
                "field": format_path(tuple(path))}

    def resolve(self, text: str) -> Path:
        """A data or protocol path: ``shared:lab/x.csv`` (shared data folder), absolute, or relative
        to the fit file's folder."""
        from ..paths import shared_data_dir
        if text.startswith("shared:"):
            root = shared_data_dir()
            if not root.is_dir():
                raise InputError(found=f"'{text}' but no shared data folder at {root}",
                                 expected="the shared data folder: set MBSIM_SHARED_DATA to it",
                                 file=str(self.path))
            path = (root / text[len("shared:"):]).resolve()
            if not path.is_relative_to(root.resolve()):
                raise InputError(found=f"'{text}', outside the shared data folder",
                                 expected=f"a path inside {root}", file=str(self.path))
            return path
        path = Path(text)
        return path if path.is_absolute() else self.path.parent / path


def load_fit_file(path: str | Path) -> FitSpec:
    """Read and validate a fit file; one :class:`InputError` with file, line and field on any problem."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(found=f"an unreadable file ({error})", expected="a fit YAML file",
                         file=str(path)) from None
    return parse_fit_text(text, path)


def parse_fit_text(text: str, path: str | Path = "<fit>") -> FitSpec:
    document = read_yaml(text, str(path))
    data = document.data
    if not isinstance(data, dict):
        raise InputError(found="an empty file" if data is None else f"a YAML {type(data).__name__}",
                         expected="a mapping with schema_version, name, parameters, data",
                         file=str(path), line=1)
    if data.get("schema_version") != SCHEMA_VERSION:
        raise InputError(found=f"schema_version {data.get('schema_version')!r}",
                         expected=f"schema_version: {SCHEMA_VERSION}", file=str(path),
                         line=document.line_of(("schema_version",)), field="schema_version")
    try:
        model = FitFile.model_validate(data)
    except ValidationError as error:
        raise _located(error, document, str(path)) from None
    spec = FitSpec(model, Path(path), text, document)
    network = model.model.network
    if ":" in network and not network.startswith(STAND_IN_PREFIX):
        raise InputError(found=f"network '{network}'", expected="a connectome name or folder, or "
                         f"'{STAND_IN_PREFIX}NAME' for a registered stand-in (fit files name "
                         "stand-ins; they do not import code)", **spec.where("model", "network"))
    for index, item in enumerate(model.data):
        allowed = LIKELIHOODS[item.kind]
        if item.likelihood is not None and item.likelihood not in allowed:
            raise InputError(found=f"likelihood '{item.likelihood}' for {item.kind} data",
                             expected="one of " + ", ".join(allowed),
                             **spec.where("data", index, "likelihood"))
    return spec


def _located(error: ValidationError, document: YamlDocument, filename: str) -> InputError:
    """The first pydantic error (in file order; an unknown key before what it misspells) as an
    InputError at its line and field."""
    located = []
    for order, item in enumerate(error.errors()):
        path = _data_path(item["loc"], document.data)
        kind, ctx = item["type"], item.get("ctx") or {}
        if kind == "extra_forbidden":
            found, expected = f"unknown key '{path[-1]}'", "a key of " + _model_keys(path[:-1])
        elif kind == "missing":
            found, expected = f"no '{path[-1]}'", f"the key '{path[-1]}'"
        elif kind in _BOUNDS:
            found, expected = repr(item.get("input")), _BOUNDS[kind].format(**ctx)
        else:
            found, expected = repr(item.get("input")), item["msg"]
        located.append((document.line_of(path), kind != "extra_forbidden", order, path, found,
                        expected))
    line, _, _, path, found, expected = min(located)
    return InputError(found=found, expected=expected, file=filename, line=line,
                      field=format_path(path))


def _model_keys(path: tuple) -> str:
    """Allowed keys at a path of the fit file (for 'unknown key' messages)."""
    model: type[BaseModel] = FitFile
    for part in path:
        if isinstance(part, int):
            continue
        annotation = model.model_fields[part].annotation
        inner = getattr(annotation, "__args__", (annotation,))
        model = next((a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)), model)
    return model.__name__ + " (" + ", ".join(model.model_fields) + ")"
