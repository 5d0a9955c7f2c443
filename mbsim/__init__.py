"""mbsim: a spiking and metabolic simulator of the Drosophila mushroom body."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("mbsim")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

#: Public names -> the module that defines them (imported on first use: ``import mbsim`` stays cheap).
_EXPORTS = {"Model": "model", "Simulation": "simulation", "Result": "simulation",
            "RunSettings": "engine.run", "Parameters": "parameters",
            "load_protocol": "protocol", "load": "io", "save": "io"}
_SUBPACKAGES = ("connectome", "protocol", "parameters", "metabolism", "network", "fit", "plot",
                "nwb")

__all__ = ["__version__", *_EXPORTS, *_SUBPACKAGES]


def __getattr__(name: str):
    """The objects users hold (``mbsim.Model``, ``mbsim.Simulation``, ...), result files
    (``mbsim.load``, ``mbsim.save``) and subpackages (``mbsim.connectome.load``)."""
    from importlib import import_module
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    if name in _SUBPACKAGES:
        return import_module(f".{name}", __name__)
    raise AttributeError(f"module 'mbsim' has no attribute {name!r}")
