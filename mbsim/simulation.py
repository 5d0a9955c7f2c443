"""A model paired with a protocol, run for a cohort: :class:`Simulation` -> :class:`Result`."""

from __future__ import annotations

from dataclasses import replace

from .engine.run import RunSettings, simulate
from .model import Model


class Simulation:
    """A protocol to run on a model.

    ``protocol``: a :class:`~mbsim.protocol.Protocol` or the name or path of a protocol file.
    ``settings``: how to run (:class:`~mbsim.engine.RunSettings`); ``run`` may override its cohort
    and seed.
    """

    def __init__(self, model: Model | None = None, protocol="aversive_spaced_10x",
                 settings: RunSettings | None = None):
        from .protocol import Protocol, load_protocol
        self.model = model if model is not None else Model()
        self.protocol = protocol if isinstance(protocol, Protocol) else load_protocol(protocol)
        self.settings = settings or RunSettings()
        self.model.network.validate_schedule(self.protocol.schedule(), self.protocol)

    def run(self, cohort: int | None = None, seed: int | None = None, *, jobs: int = 1,
            scheduler: str | None = None, progress: bool = False) -> "Result":
        """Simulate the cohort; ``jobs`` and ``scheduler`` never change the numbers."""
        settings = replace(self.settings, **{k: v for k, v in (("cohort", cohort), ("seed", seed))
                                             if v is not None})
        return Result(simulate(self.model, self.protocol, settings, jobs=jobs,
                               scheduler=scheduler, progress=progress))


class Result:
    """A run's result tree (:class:`xarray.DataTree`, layout in docs/output-format.md) with the
    views a user asks for first."""

    def __init__(self, tree):
        self.tree = tree

    @classmethod
    def load(cls, path) -> "Result":
        from .io import load
        return cls(load(path))

    @property
    def retention(self):
        """Performance index per retention time [s] (rows) and memory phase (columns)."""
        return self.tree["retention"]["pi"].to_pandas()

    def __getitem__(self, group: str):
        return self.tree[group]

    def save(self, path) -> None:
        """Write the result atomically (HDF5; an older file is replaced only when done)."""
        from .io import save
        save(self.tree, path)

    def plot(self, kind: str = "overview", path=None, lab_data=None):
        """A figure of the result (kinds as ``mbsim plot --kind``); saved when ``path`` is given."""
        from .plot import figure, save_figure
        made = figure(kind, self.tree, lab_data)
        if path is not None:
            save_figure(made, path)
        return made

    def __repr__(self) -> str:
        return f"Result({self.tree.attrs.get('title', 'mbsim run')!r})"
