"""The multi-timescale engine: spiking windows where something happens, the slow layer in between."""

from .recording import Recording
from .run import RunSettings, simulate

__all__ = ["Recording", "RunSettings", "simulate"]
