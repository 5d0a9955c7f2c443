"""mbsim: a spiking and metabolic simulator of the Drosophila mushroom body."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mbsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__", "load", "save"]


def __getattr__(name: str):
    """``mbsim.load`` and ``mbsim.save`` (result files), imported on first use to keep ``import mbsim`` cheap."""
    if name in ("load", "save"):
        from . import io
        return getattr(io, name)
    raise AttributeError(f"module 'mbsim' has no attribute {name!r}")
