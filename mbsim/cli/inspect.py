"""``mbsim inspect FILE``: a readable summary of a result, fit, energy-sweep or meta-learning file (what made it,
and its retention, energy and survival, its estimates, or its optimal strategies)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

import numpy as np

from ..report import retention_table
from ..units import format_amount, format_time

if TYPE_CHECKING:
    import xarray as xr

PROVENANCE_KEYS = ("protocol_file", "protocol_sha256", "connectome_name", "connectome_source", "n_kc", "seed",
                   "cohort", "mbsim_version", "git_commit", "created_by", "start_time", "end_time",
                   "platform", "python_version", "brian2_version", "numpy_version")


def register(subparsers) -> None:
    parser = subparsers.add_parser("inspect", help="summarize a result, fit or energy-sweep file",
                                   description="Print a summary of a file written by 'mbsim run', "
                                               "'mbsim fit' or 'mbsim energy-sweep'.",
                                   epilog="examples:\n  mbsim inspect spaced.h5\n"
                                          "  mbsim inspect fit.h5\n"
                                          "  mbsim inspect spaced.h5 > spaced_summary.txt",
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="result file (.h5)")
    parser.set_defaults(handler=run)


def _group(tree: xr.DataTree, name: str) -> xr.Dataset | None:
    return tree[name].to_dataset(inherit=False) if name in tree.children else None


def _size(n_bytes: int) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n_bytes < 1024 or unit == "GiB":
            return f"{n_bytes:.0f} {unit}" if unit == "B" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return ""


def provenance_lines(tree: xr.DataTree) -> list[str]:
    lines = [f"result: {tree.attrs.get('title') or tree.attrs.get('protocol_name', '(untitled)')}",
             f"protocol: {tree.attrs.get('protocol_name', '?')}"]
    lines += [f"  {key}: {tree.attrs[key]}" for key in PROVENANCE_KEYS if key in tree.attrs]
    if "parameters" in tree.attrs:
        try:
            sections = json.loads(tree.attrs["parameters"])
            lines.append("  parameters: " + ", ".join(f"{k} ({len(v)} values)" for k, v in sections.items()))
        except (ValueError, TypeError, AttributeError):
            lines.append("  parameters: (not JSON)")
    return lines


def energy_lines(energy: xr.Dataset) -> list[str]:
    """ATP per cause in readable units (nmol, pmol, ...) with its share, then M0 and M1 per phase."""
    atp = energy["atp"].sum("compartment")
    total = float(atp.sum())
    unit = energy["atp"].attrs.get("units", "mol")
    lines = [f"energy: ATP consumed over the run (mean per fly), total {format_amount(total, unit)}"]
    lines += [f"  {str(cause):<20} {format_amount(float(value), unit):>12}  ({100 * float(value) / total:.2g} %)"
              for cause, value in zip(atp["cause"].values, atp.values)] if total > 0 else []
    for name in ("M0", "M1"):
        if name in energy:
            values = energy[name].transpose("phase", "compartment")
            lines.append(f"  {name} per phase (sum over compartments): " + ", ".join(
                f"{phase} {float(row.sum()):.3g}" for phase, row in zip(values["phase"].values, values.values)))
    return lines


def survival_lines(survival: xr.Dataset) -> list[str]:
    median = survival.attrs.get("median_survival_s")
    start = survival.attrs.get("starve_from_s")
    censored = int(np.sum(survival["censored"].values))
    median_text = (f"{float(median) / 86400:.2f} d" if median is not None and np.isfinite(median)
                   else "not reached")
    interval = survival.attrs.get("median_survival_ci95_s")
    if interval is not None and median_text != "not reached":
        low, high = (float(v) / 86400 for v in np.ravel(interval))
        median_text += f" (95% CI {low:.2f}-" + (f"{high:.2f} d)" if np.isfinite(high) else "not reached)")
    start_text = f" (starvation from {format_time(float(start))})" if start is not None else ""
    return [f"survival: median {median_text} after starvation starts{start_text}; "
            f"{survival['death_time'].size} flies, {censored} censored"]


def summary(tree: xr.DataTree, file_size: int | None = None) -> str:
    """The text that ``mbsim inspect`` prints."""
    lines = provenance_lines(tree)
    if file_size is not None:
        lines.append(f"  file size: {_size(file_size)}")
    lines.append("  groups: " + ", ".join(f"/{name}" for name in tree.children))
    lines += ["", retention_table(tree) if "retention" in tree.children
              else "retention: (not in this result)"]    # the table `mbsim run` prints
    for name, describe in (("energy", energy_lines), ("survival", survival_lines)):
        dataset = _group(tree, name)
        lines += [""] + (describe(dataset) if dataset is not None else [f"{name}: (not in this result)"])
    return "\n".join(lines)


def other_summary(tree: xr.DataTree, file_size: int) -> str:
    """The summary of a fit, energy-sweep, ANN-check or meta-learning file: what made it, then its
    table."""
    from .ann_check import summary_table as ann_summary
    from .energy_sweep import summary_table
    from .fit import summary as fit_summary
    from .meta_learn import summary_table as front_table
    tables = {"mbsim-fit": fit_summary, "mbsim-meta-learning": front_table,
              "mbsim-ann-check": ann_summary}
    kind = str(tree.attrs.get("format", "")).split("/")[0]
    lines = [f"{kind} file: {tree.attrs.get('title') or tree.attrs.get('name', '')}".rstrip()]
    lines += [f"  {key}: {tree.attrs[key]}" for key in ("created_by", "mbsim_version", "git_commit",
                                                       "start_time", "end_time") if key in tree.attrs]
    lines += [f"  file size: {_size(file_size)}",
              "  groups: " + ", ".join(f"/{name}" for name in tree.children), ""]
    lines.append(tables.get(kind, summary_table)(tree))
    return "\n".join(lines)


def run(args) -> int:
    from ..io import check_result_file, load

    path = check_result_file(args.file, kind=None)
    tree = load(path, kind=None)
    size = path.stat().st_size
    is_result = str(tree.attrs.get("format", "")).startswith("mbsim-result/")
    print(summary(tree, size) if is_result else other_summary(tree, size))
    return 0
