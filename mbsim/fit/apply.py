"""A fit's values as parameter files: each group's file with the fitted values and their sources.

The text of the base file (by default the group's default file) is kept, comments and layout
included; only the ``value`` and ``source`` of each fitted parameter are replaced. The value is the
posterior median (``statistic="median"``, needs ``--posterior``) or the point estimate
(``"estimate"``), written in the unit the base file used; the source says which fit, which
statistic, the 95% interval and the prior with its source (the fit file's ``source`` of that
parameter). ``mbsim export params FIT.h5 -o FOLDER`` writes the files; ``mbsim run
--memory-params FOLDER/memory.yaml ...`` runs with them.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import yaml

from ..errors import InputError
from ..io import write_atomically
from ..parameters import ParameterSet
from ..parameters.collection import declarations_of
from ..paths import PROJECT_ROOT
from ..units import parse_unit

STATISTICS = ("median", "estimate")
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*(?P<unit>.*)$")


def fitted_values(tree, statistic: str = "median") -> dict[str, tuple[float, float, float]]:
    """``{"memory.tau_labile": (value, lower_95, upper_95)}`` in SI from a fit result."""
    if statistic not in STATISTICS:
        raise InputError(found=f"statistic '{statistic}'", expected=" or ".join(STATISTICS),
                         field="statistic")
    estimates = tree["estimates"].to_dataset()
    names = [str(name) for name in estimates["parameter"].values]
    if statistic == "median":
        if "posterior" not in tree:
            raise InputError(found="a fit without a posterior sample",
                             expected="a fit run with --posterior, or the statistic 'estimate'",
                             field="statistic")
        posterior = tree["posterior"].to_dataset()
        central = [float(np.median(posterior[name].values)) for name in names]
    else:
        central = [float(v) for v in estimates["estimate"].values]
    lower, upper = estimates["lower_95"].values, estimates["upper_95"].values
    return {name: (value, float(low), float(high))
            for name, value, low, high in zip(names, central, lower, upper)}


def parameter_texts(tree, statistic: str = "median", base_files: dict | None = None) -> dict[str, str]:
    """The text of each group's parameter file with the fit's values, ``{group: text}`` (only
    groups the fit changed). ``base_files``: ``{group: path}`` (default: the default files)."""
    values = fitted_values(tree, statistic)
    priors = {entry["name"]: entry for entry in yaml.safe_load(tree.attrs["fit_text"])["parameters"]}
    fit_file = tree.attrs["fit_file"]
    texts = {}
    for group in dict.fromkeys(name.split(".", 1)[0] for name in values):
        declarations = declarations_of(group)
        path = Path((base_files or {}).get(group) or declarations.default_file)
        text = path.read_text(encoding="utf-8")
        edits = []
        for name, (value, low, high) in values.items():
            if name.split(".", 1)[0] != group:
                continue
            key = name.split(".", 1)[1]
            value_node, source_node = _entry_nodes(text, key, path)
            unit = _unit_of(value_node.value)
            factor = parse_unit(unit)[0] if unit else 1.0
            shown = f"{value / factor:.3g}" + (f" {unit}" if unit else "")
            interval = f"{low / factor:.3g}-{high / factor:.3g}" + (f" {unit}" if unit else "")
            how = "posterior median" if statistic == "median" else "maximum a posteriori"
            source = (f"fitted: {_relative(fit_file)} ({how}, 95% interval {interval}); "
                      f"prior: {_prior_text(priors.get(name, {}))}")
            edits += [(value_node, shown), (source_node, json.dumps(source))]
        for node, replacement in sorted(edits, key=lambda e: -e[0].start_mark.index):
            text = text[:node.start_mark.index] + replacement + text[node.end_mark.index:]
        texts[group] = text
    return texts


def write_parameter_files(tree, folder: str | Path, statistic: str = "median") -> list[Path]:
    """Write each changed group's file (``network.yaml``, ``memory.yaml``, ``metabolism.yaml``)
    into ``folder``, atomically and only once it loads as a parameter file; returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for group, text in parameter_texts(tree, statistic).items():
        declarations = declarations_of(group)

        def write(temporary: Path, text=text, declarations=declarations) -> None:
            temporary.write_text(text, encoding="utf-8")
            ParameterSet.from_file(declarations, temporary)

        written.append(write_atomically(folder / declarations.default_file.name, write))
    return written


def _entry_nodes(text: str, key: str, path: Path) -> tuple[yaml.ScalarNode, yaml.ScalarNode]:
    """The ``value`` and ``source`` scalar nodes of parameter ``key`` in a parameter file."""
    root = yaml.compose(text)
    top = {k.value: v for k, v in root.value}
    entry = {k.value: v for k, v in top["parameters"].value}.get(key)
    fields = {k.value: v for k, v in entry.value} if isinstance(entry, yaml.MappingNode) else {}
    if not isinstance(fields.get("value"), yaml.ScalarNode) or "source" not in fields:
        raise InputError(found=f"no scalar value and source of '{key}'",
                         expected="a '{value, source}' entry to replace", file=path, field=key)
    return fields["value"], fields["source"]


def _unit_of(spelled: str) -> str:
    match = _NUMBER.match(str(spelled))
    return match.group("unit").strip() if match else ""


def _prior_text(entry: dict) -> str:
    prior = entry.get("prior") or {"kind": "uniform"}
    kind = prior.get("kind", "uniform")
    bounds = "-".join(str(b) for b in entry.get("bounds", ()))
    if kind == "lognormal":
        shape = f"lognormal, median {prior['median']}, sigma {prior['sigma']}"
    elif kind == "normal":
        shape = f"normal, mean {prior['mean']}, sd {prior['sd']}"
    else:
        shape = "uniform"
    return f"{shape} within {bounds}" + (f" ({entry['source']})" if entry.get("source") else "")


def _relative(fit_file: str) -> str:
    """The fit file's path from the project root when it lies inside it."""
    try:
        return str(Path(fit_file).resolve().relative_to(PROJECT_ROOT))
    except ValueError:
        return str(fit_file)
