"""``mbsim export nwb RESULT -o OUT.nwb``: a result file as Neurodata Without Borders;
``mbsim export params FIT.h5 -o FOLDER``: a fit's values as parameter files."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    from ..nwb import DEFAULT_AGE, INSTALL_HINT
    parser = subparsers.add_parser("export", help="write a result in another format (NWB, "
                                   "parameter files)",
                                   description="Write a result file in another format.",
                                   epilog="examples:\n  mbsim export nwb run.h5 -o run.nwb\n"
                                          "  mbsim export params fit.h5 -o fitted/",
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    formats = parser.add_subparsers(dest="format", metavar="FORMAT", required=True)
    nwb = formats.add_parser(
        "nwb", help="Neurodata Without Borders: units with spike times, windows as epochs, "
                    "stimuli as intervals, retention and metabolism as processing modules",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  mbsim run aversive_1x --record KC,MBON,DAN -o run.h5\n"
               f"  mbsim export nwb run.h5 -o run.nwb\n\nneeds pynwb: {INSTALL_HINT}")
    nwb.add_argument("result", help="an mbsim result file (.h5)")
    nwb.add_argument("-o", "--output", help="NWB file to write; default: RESULT with .nwb")
    nwb.add_argument("--age", default=DEFAULT_AGE,
                     help="the flies' age after eclosion, ISO 8601 (default %(default)s)")
    nwb.set_defaults(handler=run_nwb)
    params = formats.add_parser(
        "params", help="a fit's values as parameter files (network.yaml, memory.yaml, "
                       "metabolism.yaml: the defaults with each fitted value and its source)",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  mbsim fit data/fits/calibration.yaml -o fit.h5 --posterior\n"
               "  mbsim export params fit.h5 -o fitted/\n"
               "  mbsim run aversive_1x --memory-params fitted/memory.yaml -o run.h5")
    params.add_argument("result", help="an mbsim fit result (.h5)")
    params.add_argument("-o", "--output", required=True, help="folder to write the files into")
    params.add_argument("--statistic", choices=("median", "estimate"), default="median",
                        help="posterior median (needs a fit with --posterior; default) or the "
                             "maximum a posteriori estimate")
    params.set_defaults(handler=run_params)


def run_nwb(args: argparse.Namespace) -> int:
    from ..nwb import export_nwb
    output = Path(args.output or Path(args.result).with_suffix(".nwb"))
    print(f"wrote {export_nwb(args.result, output, args.age)}")
    return 0


def run_params(args: argparse.Namespace) -> int:
    from ..fit import load_fit
    from ..fit.apply import write_parameter_files
    for path in write_parameter_files(load_fit(args.result), args.output, args.statistic):
        print(f"wrote {path}")
    return 0
