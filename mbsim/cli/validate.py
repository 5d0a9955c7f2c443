"""``mbsim validate PROTOCOL...``: check protocol files against the schema without simulating."""

from __future__ import annotations

import argparse
import sys

from ..errors import InputError
from ..protocol import load_protocol
from ..units import format_time


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "validate", help="check protocol files", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Check protocol files (schema, units, times); exit code 2 if any is bad.",
        epilog="examples:\n  mbsim validate my_protocol.yaml\n  mbsim validate aversive_spaced_10x")
    parser.add_argument("protocols", nargs="+", metavar="PROTOCOL",
                        help="a protocol YAML file, or the name of a shipped protocol")
    parser.set_defaults(handler=run_validate)


def run_validate(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.protocols:
        try:
            protocol = load_protocol(path)
        except InputError as error:
            print(f"mbsim: error: {error}", file=sys.stderr)
            failed += 1
            continue
        schedule = protocol.schedule()
        print(f"OK {protocol.source_file}: {protocol.name}, {len(schedule.trials)} trial(s), training "
              f"{format_time(schedule.training_end)}, {len(schedule.tests)} test(s)")
    return 2 if failed else 0
