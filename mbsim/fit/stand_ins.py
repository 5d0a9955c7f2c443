"""Stand-in networks a fit may run on instead of a connectome's (``model.network: stand-in:NAME``).

A fit file names a stand-in; it never names code. Stand-ins are registered in Python
(:func:`register_stand_in`) or, so that Dask workers and other processes find them too, through the
environment: ``MBSIM_STAND_INS="name=module:factory,..."`` (set by whoever runs the fit, like
``PYTHONPATH``). A factory takes no arguments and returns an object with the engine's network
methods (see ``tests/analytic_network.py``).
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable

from ..errors import InputError

PREFIX = "stand-in:"
ENVIRONMENT = "MBSIM_STAND_INS"
_REGISTRY: dict[str, Callable[[], object]] = {}


def register_stand_in(name: str, factory: Callable[[], object]) -> None:
    """Make ``stand-in:<name>`` available to fit files in this process."""
    _REGISTRY[name] = factory


def registered() -> dict[str, Callable[[], object] | str]:
    """Stand-ins by name: registered factories, then ``module:factory`` texts from the environment."""
    found: dict[str, Callable[[], object] | str] = {}
    for item in filter(None, os.environ.get(ENVIRONMENT, "").split(",")):
        name, equals, target = item.partition("=")
        if equals and ":" in target:
            found[name.strip()] = target.strip()
    return found | _REGISTRY


def stand_in(name: str, field: str = "model.network"):
    """A new instance of the stand-in ``name``; an InputError listing the known ones otherwise."""
    known = registered()
    if name not in known:
        names = ", ".join(sorted(known)) or f"none (register one, or set {ENVIRONMENT})"
        raise InputError(found=f"stand-in '{name}'", expected=f"a registered stand-in: {names}",
                         field=field)
    factory = known[name]
    if isinstance(factory, str):
        module, attribute = factory.split(":", 1)
        try:
            factory = getattr(importlib.import_module(module), attribute)
        except (ImportError, AttributeError) as error:
            raise InputError(found=f"stand-in '{name}' = {known[name]} ({error})",
                             expected=f"an importable module:factory in {ENVIRONMENT}",
                             field=field) from None
    return factory()
