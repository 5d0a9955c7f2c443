"""``mbsim plot FILE``: draw a figure of a result (the overview, or one kind) to PNG, PDF or SVG."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError

KIND_NAMES = ("overview", "retention", "weights", "spiking", "energy", "flux", "survival", "map")
SUFFIXES = (".png", ".pdf", ".svg")


def register(subparsers) -> None:
    parser = subparsers.add_parser("plot", help="draw figures of a result file",
                                   description="Draw a figure of a result file written by 'mbsim run'.",
                                   epilog="examples:\n  mbsim plot spaced.h5 -o spaced.png\n"
                                          "  mbsim plot spaced.h5 --kind retention --lab-data lab.csv\n"
                                          "  mbsim plot fit.h5 -o fit.pdf",
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", help="result file (.h5)")
    parser.add_argument("-o", "--output", help="figure file, .png, .pdf or .svg (default: FILE_KIND.png)")
    parser.add_argument("--kind", choices=KIND_NAMES, default="overview", help="which figure (default: overview)")
    parser.add_argument("--lab-data", metavar="CSV",
                        help="measured retention to draw over the model: columns time, pi, sem, label")
    parser.set_defaults(handler=run)


def output_path(file: str, kind: str, output: str | None) -> Path:
    path = Path(output) if output else Path(file).with_name(f"{Path(file).stem}_{kind}.png")
    if path.suffix.lower() not in SUFFIXES:
        raise InputError(found=f"output suffix '{path.suffix}'", expected="one of " + ", ".join(SUFFIXES),
                         field="--output", example="result_overview.pdf")
    if not path.parent.is_dir():
        raise InputError(found=f"no folder {path.parent}", expected="an existing folder for the figure",
                         field="--output")
    return path


def run(args) -> int:
    from ..io import load
    from ..fit.output import FORMAT as FIT_FORMAT, file_format, load_fit
    from ..plot import figure, read_lab_data, save_figure
    from ..plot.fit import fit_figure

    path = output_path(args.file, args.kind, args.output)
    if file_format(args.file) == FIT_FORMAT:
        print(save_figure(fit_figure(load_fit(args.file)), path))
        return 0
    lab_data = read_lab_data(args.lab_data) if args.lab_data else None
    tree = load(args.file)
    print(save_figure(figure(args.kind, tree, lab_data), path))
    return 0
