"""The multi-timescale engine: spiking windows where something happens, the slow layer in between."""

from .run import RunSettings, simulate

__all__ = ["RunSettings", "simulate"]
