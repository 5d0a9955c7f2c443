"""Figures of whole results: the multi-panel overview, and one standalone figure per kind."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import xarray as xr

from ._common import new_figure, result_title, save_figure, styled
from .compartment_map import plot_compartment_map
from .energy import (plasticity_per_compartment, plot_atp_flux, plot_energy_by_cause, plot_energy_by_compartment,
                     plot_plasticity_energy, plot_pyruvate)
from .retention import plot_retention
from .spiking import plot_raster, plot_sparseness
from .survival import plot_survival
from .weights import plot_weights, plot_weights_by_phase


def description_line(tree: xr.DataTree, with_protocol: bool = True) -> str:
    """What made the result, without machine paths or commit hashes: protocol, connectome, cohort, seed,
    mbsim version."""
    attrs = tree.attrs
    parts = [f"protocol {attrs['protocol_name']}" if with_protocol and "protocol_name" in attrs else "",
             f"connectome {attrs['connectome_name']}" if "connectome_name" in attrs else "",
             f"{attrs['n_kc']} KCs" if "n_kc" in attrs else "",
             f"cohort {attrs['cohort']}" if "cohort" in attrs else "",
             f"seed {attrs['seed']}" if "seed" in attrs else "",
             f"mbsim {attrs['mbsim_version']}" if "mbsim_version" in attrs else ""]
    return " · ".join(part for part in parts if part)


@styled
def overview_figure(tree: xr.DataTree, lab_data: pd.DataFrame | None = None):
    """A 3 x 3 summary: retention, weights, ATP by cause; raster, sparseness, ATP of plasticity;
    mitochondrial flux, compartment map, survival."""
    figure, axes = new_figure(3, 3, figsize=(19, 14))
    plot_retention(tree, axes[0, 0], lab_data=lab_data)
    plot_weights(tree, axes[0, 1])
    plot_energy_by_cause(tree, axes[0, 2])
    plot_raster(tree, axes[1, 0])
    plot_sparseness(tree, axes[1, 1])
    plot_plasticity_energy(tree, axes[1, 2])
    plot_atp_flux(tree, axes[2, 0])
    plot_compartment_map(tree, axes[2, 1])
    plot_survival(tree, axes[2, 2])
    title = result_title(tree)
    figure.suptitle(f"{title}\n{description_line(tree, title != tree.attrs.get('protocol_name'))}", fontsize=12)
    return figure


def overview(tree: xr.DataTree, path: str | Path, lab_data: pd.DataFrame | None = None) -> Path:
    """Write the overview figure of a result to ``path`` (.png, .pdf or .svg)."""
    return save_figure(overview_figure(tree, lab_data), path)


def _single(plot, figsize=(7.5, 4.5)):
    @styled
    def make(tree, lab_data=None):
        figure, ax = new_figure(figsize=figsize)
        plot(tree, ax)
        return figure
    return make


@styled
def _retention(tree, lab_data=None):
    figure, ax = new_figure(figsize=(8.5, 4.5))
    plot_retention(tree, ax, lab_data=lab_data)
    return figure


@styled
def _energy(tree, lab_data=None):
    figure, axes = new_figure(2, 2, figsize=(15, 8.5))
    plot_energy_by_cause(tree, axes[0, 0])
    plot_plasticity_energy(tree, axes[0, 1])
    plot_energy_by_compartment(tree, axes[1, 0])
    plastic = plasticity_per_compartment(tree)
    if plastic is None:
        plot_compartment_map(tree, axes[1, 1])
    else:
        plot_compartment_map(tree, axes[1, 1], values=plastic[0], label=plastic[1])
        axes[1, 1].set_title("ATP spent on plasticity per compartment (schematic)")
    return figure


@styled
def _flux(tree, lab_data=None):
    figure, axes = new_figure(1, 2, figsize=(15, 4.5))
    plot_atp_flux(tree, axes[0])
    plot_pyruvate(tree, axes[1])
    return figure


@styled
def _spiking(tree, lab_data=None):
    figure, axes = new_figure(1, 2, figsize=(12, 4.5), width_ratios=(2, 1))
    plot_raster(tree, axes[0])
    plot_sparseness(tree, axes[1])
    return figure


@styled
def _weights(tree, lab_data=None):
    figure, axes = new_figure(1, 3, figsize=(16, 4.5), sharey=True)
    plot_weights_by_phase(tree, axes)
    return figure


#: Figure kinds of ``mbsim plot --kind`` for run results: name -> function(tree, lab_data) -> Figure.
KINDS = {
    "overview": overview_figure,
    "retention": _retention,
    "weights": _weights,
    "spiking": _spiking,
    "energy": _energy,
    "flux": _flux,
    "survival": _single(plot_survival),
    "map": _single(plot_compartment_map, figsize=(6.5, 5.5)),
}


@styled
def survival_figure(results):
    """Kaplan-Meier curves of several results on one panel, with the log-rank test for two."""
    made, ax = new_figure(figsize=(7.5, 4.8))
    plot_survival(results, ax)
    return made


def figure(kind: str, tree: xr.DataTree, lab_data: pd.DataFrame | None = None):
    """The figure of one ``kind`` (see :data:`KINDS`) for a result, titled with what the result is."""
    made = KINDS[kind](tree, lab_data)
    if kind != "overview":
        made.suptitle(description_line(tree) or result_title(tree), fontsize=9)
    return made
