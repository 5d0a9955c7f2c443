"""ANN-check experiment files: YAML -> validated :class:`AnnExperiment`, or one InputError with file/line/field.

An ANN check says which digits to learn (classes, split), which networks (hidden-layer sizes, 0 for
a perceptron; seeds), how they train (learning rate, batch size, criterion), which strategies to
compare (plastic fractions, caching thresholds) and, optionally, how to measure the rules' hardware
cost. See docs/energy-efficiency.md for every key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from ..connectome.default import KC_RANGE
from ..documents import SourcedDocument, read_document
from ..limits import MAX_NAME_LENGTH, MAX_SEED
from .experiment import EXPERIMENTS_DIR, Energy, Schema, validate_document

Seed = Annotated[int, Field(ge=0, le=MAX_SEED)]


class Data(Schema):
    classes: list[Annotated[int, Field(ge=0, le=9)]] = Field(list(range(10)), min_length=2)
    test_fraction: float = Field(0.3, ge=0.05, le=0.5, description="held-out share of the images")
    split_seed: Seed = 0
    max_train_samples: int | None = Field(None, ge=20, description="first N training images only")

    @field_validator("classes")
    @classmethod
    def _distinct(cls, classes: list[int]) -> list[int]:
        if len(set(classes)) != len(classes):
            raise ValueError("distinct digits")
        return classes


class Network(Schema):
    hidden_sizes: list[Annotated[int, Field(ge=0, le=5000)]] = Field(min_length=1)
    seeds: list[Seed] = Field(min_length=1, max_length=1000)


class Training(Schema):
    learning_rate: float = Field(0.1, gt=0, le=10)
    batch_size: int = Field(32, ge=1, le=1000)
    criterion: float = Field(0.93, gt=0.1, lt=1.0, description="test accuracy to reach")
    max_epochs: int = Field(300, ge=1, le=100_000)
    evaluate_every: int = Field(10, ge=1, le=100_000, description="steps between accuracy checks")


class AnnCaching(Schema):
    thresholds: list[Annotated[float, Field(gt=0, le=10)]] = Field(min_length=1)
    decay_steps: int | None = Field(None, ge=1, description="transient decay time in steps; none: no decay")
    maintenance_cost: float = Field(0.0, ge=0, le=10, description="per step and unit of |transient|^alpha")
    transient_update_cost: float = Field(0.0, ge=0, le=1)
    consolidate_at_end: bool = True


class Strategies(Schema):
    fractions: list[Annotated[float, Field(gt=0, lt=1)]] = Field(min_length=1)
    restricted: list[Literal["random_mask", "top_k", "top_k_per_mbon"]] = [
        "random_mask", "top_k", "top_k_per_mbon"]
    caching: AnnCaching | None = None


class MushroomBodyRules(Schema):
    kc_count: int = Field(500, ge=KC_RANGE[0], le=KC_RANGE[1])
    fraction: float = Field(0.01, gt=0, lt=1)
    threshold: float = Field(0.005, gt=0, le=2)


class Hardware(Schema):
    repeats: int = Field(30, ge=1, le=100_000, description="update steps per measurement")
    mushroom_body: MushroomBodyRules | None = None


class AnnExperiment(Schema, SourcedDocument):
    schema_version: Literal[1]
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=MAX_NAME_LENGTH)
    description: str = ""
    data: Data = Data()
    network: Network
    training: Training = Training()
    strategies: Strategies
    energy: Energy = Energy()
    hardware: Hardware | None = None


def load_ann_experiment(path: str | Path) -> AnnExperiment:
    """Read and validate an ANN-check file (or a shipped one named without ``.yaml``)."""
    text, path = read_document(path, EXPERIMENTS_DIR, "experiment")
    return parse_ann_experiment_text(text, str(path))


def parse_ann_experiment_text(text: str, filename: str = "<experiment>") -> AnnExperiment:
    """Validate ANN-check YAML ``text``; ``filename`` names it in error messages."""
    experiment, _ = validate_document(text, filename, AnnExperiment,
                                      "a mapping with schema_version, name, network, strategies")
    return experiment
