"""``mbsim connectome info SOURCE``: neuron, type and synapse counts of a connectome."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..connectome import Connectome


def register(subparsers) -> None:
    parser = subparsers.add_parser("connectome", help="inspect connectome data",
                                   description="Inspect a connectome: a data folder or 'default'.",
                                   epilog="examples:\n  mbsim connectome info default\n"
                                          "  mbsim connectome info ../shared/data/connectome/"
                                          "flywire_v783_mb --select R",
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    info = actions.add_parser("info", help="counts per class and type, synapses per class pair",
                              formatter_class=argparse.RawDescriptionHelpFormatter,
                              epilog="examples:\n  mbsim connectome info default\n"
                                     "  mbsim connectome info ../shared/data/connectome/"
                                     "hemibrain_v1.2.1_mb")
    add_source_arguments(info)
    info.set_defaults(handler=run_info)
    sparseness = actions.add_parser(
        "sparseness", help="KC sparseness and odor overlap over an odor panel (calibration check)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  mbsim connectome sparseness default\n"
               "  mbsim connectome sparseness ../shared/data/connectome/hemibrain_v1.2.1_mb "
               "--odors hallem_carlson\n"
               "  mbsim connectome sparseness default --panel 'benzaldehyde,ethyl acetate'")
    add_source_arguments(sparseness)
    sparseness.add_argument("--odors", default="synthetic",
                            help="'synthetic', 'hallem_carlson' or a Hallem-Carlson responses.csv")
    sparseness.add_argument("--panel", metavar="ODORS",
                            help="comma-separated odors of the library (default: all of them)")
    sparseness.add_argument("--params", help="network parameter file (default data/params/network.yaml)")
    sparseness.add_argument("--per-odor", action="store_true", help="list each odor's KC fraction")
    sparseness.set_defaults(handler=run_sparseness)


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    """The connectome to read: a folder or 'default', and an optional hemisphere."""
    parser.add_argument("source", metavar="PATH|default",
                        help="a neuPrint, FlyWire Codex or larval export folder, or 'default'")
    parser.add_argument("--select", metavar="R|L|both", default=None,
                        help="keep only the mushroom body neurons of one hemisphere or both")


def selected_connectome(args: argparse.Namespace) -> Connectome:
    """The connectome ``source`` names, reduced to ``--select`` when given."""
    from ..connectome import load, select

    connectome = load(args.source)
    return select(connectome, args.select) if args.select else connectome


def run_info(args: argparse.Namespace) -> int:
    print(describe(selected_connectome(args)))
    return 0


def run_sparseness(args: argparse.Namespace) -> int:
    from ..model import Model
    from ..network.calibration import describe_panel, odor_panel
    from ..parameters import Parameters

    parameters = Parameters.from_files(args.params, None, None, with_metabolism=False)
    network = Model(selected_connectome(args), args.odors, parameters).network.network
    panel = None if args.panel is None else [n.strip() for n in args.panel.split(",") if n.strip()]
    if not args.quiet and not network.is_compiled:
        print("compiling the network (once per structure and parameter set) ...", file=sys.stderr,
              flush=True)
    print(describe_panel(odor_panel(network, panel), per_odor=args.per_odor))
    return 0


def describe(connectome: Connectome) -> str:
    """A plain-text summary: counts per class and type (DANs also per family: PAM, PPL1, PPL2),
    synapses per class pair, gaps."""
    from ..connectome import CELL_CLASSES

    neurons = connectome.neurons
    lines = [f"connectome {connectome.name}", f"source     {connectome.source}",
             f"neurons    {len(neurons)}   connected pairs {len(connectome.pair_weights())}   "
             f"synapses {int(connectome.edges['weight'].sum())}", "", "neurons per class and type:"]
    for cell_class in CELL_CLASSES:
        members = neurons[neurons["cell_class"] == cell_class]
        if members.empty:
            continue
        lines.append(f"  {cell_class:<6} {len(members)}")
        if cell_class == "DAN":
            for family, rows in members.groupby(members["subtype"].replace("", "(no family)")):
                lines.append(f"    {family:<26} {len(rows)}")
                lines += _type_counts(rows["cell_type"], indent=8)
        else:
            lines += _type_counts(members["subtype"] if cell_class == "KC"
                                  else members["cell_type"], indent=6)
    lines += ["", "pairs and synapses per class pair (pre -> post):"]
    if connectome.edges.empty:
        lines.append("  (this data set has no connection table)")
    for row in connectome.synapses_by_class_pair().itertuples():
        lines.append(f"  {row.pre_class + ' -> ' + row.post_class:<16} pairs {row.pairs:>8}   "
                     f"synapses {row.synapses:>9}")
    missing = ", ".join(connectome.missing_edge_classes) or "none"
    lines += ["", f"missing edge classes (absent from the data, not invented): {missing}"]
    return "\n".join(lines)


def _type_counts(names, indent: int) -> list[str]:
    """One line per name with its count, sorted by name; empty names are "(untyped)"."""
    counts = names.replace("", "(untyped)").value_counts().sort_index()
    return [f"{' ' * indent}{name:<{30 - indent}} {count}" for name, count in counts.items()]
