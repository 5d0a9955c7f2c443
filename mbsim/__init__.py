"""mbsim: a spiking and metabolic simulator of the Drosophila mushroom body."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mbsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
