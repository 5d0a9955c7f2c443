"""``mbsim export nwb RESULT -o OUT.nwb``: a result file as Neurodata Without Borders."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers) -> None:
    from ..nwb import DEFAULT_AGE, INSTALL_HINT
    parser = subparsers.add_parser("export", help="write a result in another format (NWB)",
                                   description="Write a result file in another format.",
                                   epilog="examples:\n  mbsim export nwb run.h5 -o run.nwb",
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


def run_nwb(args: argparse.Namespace) -> int:
    from ..nwb import export_nwb
    output = Path(args.output or Path(args.result).with_suffix(".nwb"))
    print(f"wrote {export_nwb(args.result, output, args.age)}")
    return 0
