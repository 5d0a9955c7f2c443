"""``mbsim plot FILE``: draw a figure of a run result, a fit or an energy sweep to PNG, PDF or SVG."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import InputError

#: Figure kinds per kind of file (the first of each is its default).
KIND_NAMES = {"mbsim-result": ("overview", "retention", "weights", "spiking", "energy", "flux", "survival",
                               "map"),
              "mbsim-fit": ("fit",),
              "mbsim-energy-sweep": ("fraction", "optimal", "savings"),
              "mbsim-meta-learning": ("front", "rules")}
ALL_KINDS = tuple(kind for kinds in KIND_NAMES.values() for kind in kinds)
SUFFIXES = (".png", ".pdf", ".svg")
EXAMPLES = """examples:
  mbsim plot spaced.h5 -o spaced.png                       # the overview of a run
  mbsim plot spaced.h5 --kind retention --lab-data ../shared/data/lab/retention.csv
  mbsim plot spaced.h5 --kind energy -o energy.pdf
  mbsim plot survival_spaced.h5 survival_massed.h5 --kind survival   # with the log-rank test
  mbsim plot fit.h5 -o fit.pdf
  mbsim plot sweep.h5 --kind savings
  mbsim plot meta.h5 --kind rules

kinds: run results: """ + ", ".join(KIND_NAMES["mbsim-result"]) + """; fits: fit;
energy sweeps: """ + ", ".join(KIND_NAMES["mbsim-energy-sweep"]) + """; meta-learning: """ + \
    ", ".join(KIND_NAMES["mbsim-meta-learning"])


def register(subparsers) -> None:
    parser = subparsers.add_parser("plot", help="draw figures of a result, fit, energy-sweep or "
                                   "meta-learning file",
                                   description="Draw a figure of a file written by 'mbsim run', 'mbsim fit', "
                                               "'mbsim energy-sweep' or 'mbsim meta-learn'.",
                                   epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", nargs="+",
                        help="result file (.h5); several run results only with --kind survival")
    parser.add_argument("-o", "--output", help="figure file, .png, .pdf or .svg (default: FILE_KIND.png)")
    parser.add_argument("--kind", choices=ALL_KINDS, metavar="KIND",
                        help="which figure (default: overview for runs, fit for fits, fraction for "
                        "sweeps, front for meta-learning)")
    parser.add_argument("--lab-data", metavar="CSV",
                        help="measured retention to draw over the model: columns time, pi, sem, label or "
                             "source, protocol (rows of the result's protocol are drawn)")
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


def chosen_kind(file_kind: str, kind: str | None, n_files: int) -> str:
    """The figure kind for a file of ``file_kind`` (its default when None); one located error otherwise."""
    kinds = KIND_NAMES[file_kind]
    kind = kind or kinds[0]
    if kind not in kinds:
        raise InputError(found=f"--kind {kind} for {file_kind.removeprefix('mbsim-')} file",
                         expected="one of " + ", ".join(kinds), field="--kind")
    if n_files > 1 and kind != "survival":
        raise InputError(found=f"{n_files} files with --kind {kind}",
                         expected="one file, or several run results with --kind survival", field="file")
    return kind


def run(args) -> int:
    from ..io import check_result_file, load
    from ..plot import figure, read_lab_data, save_figure
    from ..plot.efficiency import SWEEP_KINDS
    from ..plot.fit import FIT_KINDS
    from ..plot.meta_learning import META_KINDS
    from ..plot.overview import survival_figure

    trees = [load(check_result_file(file, kind=None), kind=None) for file in args.file]
    file_kinds = [str(tree.attrs["format"]).split("/")[0] for tree in trees]
    if len(set(file_kinds)) > 1:
        raise InputError(found="files of kinds " + ", ".join(file_kinds), expected="files of one kind",
                         field="file")
    kind = chosen_kind(file_kinds[0], args.kind, len(trees))
    path = output_path(args.file[0], kind, args.output)
    if file_kinds[0] == "mbsim-fit":
        made = FIT_KINDS[kind](trees[0])
    elif file_kinds[0] == "mbsim-energy-sweep":
        made = SWEEP_KINDS[kind](trees[0])
    elif file_kinds[0] == "mbsim-meta-learning":
        made = META_KINDS[kind](trees[0])
    elif len(trees) > 1:
        made = survival_figure(trees)
    else:
        made = figure(kind, trees[0], read_lab_data(args.lab_data) if args.lab_data else None)
    print(save_figure(made, path))
    return 0
