"""Checkpoints of a fit: every finished evaluation (coordinates -> log posterior, predictions,
pointwise log likelihood),
kept in shard files beside the output and written atomically, so ``--resume`` replays the
deterministic optimizer and sampler and takes finished evaluations from disk instead of recomputing.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from ..errors import InputError
from .problem import Evaluation


def key_of(x) -> bytes:
    return np.asarray(x, dtype=np.float64).tobytes()


class Checkpoint:
    """Evaluations of one fit; ``folder`` is ``<output>.checkpoint``. ``shard`` names this writer."""

    def __init__(self, folder: str | Path | None, shard: str = "main"):
        self.folder = Path(folder) if folder is not None else None
        self.shard = shard
        self.memo: dict[bytes, Evaluation] = {}
        self.order: list[bytes] = []      # evaluations this writer added, in order

    def load(self) -> "Checkpoint":
        """Read every shard in the folder (finished evaluations of earlier or parallel writers)."""
        if self.folder is None or not self.folder.is_dir():
            return self
        for path in sorted(self.folder.glob("*.npz")):
            try:
                with np.load(path) as data:
                    rows = list(zip(data["x"], data["log_posterior"], data["predictions"],
                                    data["log_likelihood"]))
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as error:
                raise InputError(found=f"a damaged checkpoint file ({type(error).__name__}: "
                                 f"{error})", expected="checkpoint shards written by mbsim fit; "
                                 "delete the file (its evaluations are recomputed) or run "
                                 "without --resume", file=path) from None
            for x, logp, pred, pointwise in rows:
                key = key_of(x)
                self.memo.setdefault(key, Evaluation(float(logp), pred, pointwise))
                if path.stem == self.shard and key not in self.order:
                    self.order.append(key)  # keep this writer's earlier evaluations on disk
        return self

    def get(self, x) -> Evaluation | None:
        return self.memo.get(key_of(x))

    def add(self, x, evaluation: Evaluation) -> None:
        key = key_of(x)
        if key in self.order:
            return
        self.memo[key] = evaluation
        self.order.append(key)

    def save(self) -> None:
        """Write this writer's evaluations to its shard, atomically (temporary file + rename)."""
        if self.folder is None or not self.order:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        x = np.array([np.frombuffer(k, dtype=np.float64) for k in self.order])
        evaluations = [self.memo[k] for k in self.order]
        target = self.folder / f"{self.shard}.npz"
        temporary = self.folder / f".{self.shard}.{os.getpid()}.tmp.npz"
        np.savez(temporary, x=x, log_posterior=[e.log_posterior for e in evaluations],
                 predictions=np.array([e.predictions for e in evaluations]),
                 log_likelihood=np.array([e.log_likelihood for e in evaluations]))
        os.replace(temporary, target)
