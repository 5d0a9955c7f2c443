"""``mbsim migrate PROTOCOL``: rewrite a schema-version-1 protocol file as version 2."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..documents import read_document
from ..paths import PROTOCOLS_DIR
from ..protocol.migrate import migrate_text


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "migrate", help="rewrite a version-1 protocol as version 2",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Rewrite a protocol of schema version 1 as version 2 (same schedule, same "
                    "numbers); print it, or write it with -o.",
        epilog="examples:\n  mbsim migrate aversive_1x\n  mbsim migrate old.yaml -o new.yaml")
    parser.add_argument("protocol", metavar="PROTOCOL",
                        help="a protocol YAML file, or the name of a shipped protocol")
    parser.add_argument("-o", "--output", type=Path, help="file to write (default: print)")
    parser.set_defaults(handler=run_migrate)


def run_migrate(args: argparse.Namespace) -> int:
    text, path = read_document(args.protocol, PROTOCOLS_DIR, "protocol")
    migrated = migrate_text(text, str(path))
    if args.output is None:
        print(migrated, end="")
        return 0
    from ..io import check_destination, write_atomically   # xarray: only when writing
    destination = check_destination(args.output)
    write_atomically(destination, lambda temporary: temporary.write_text(migrated, encoding="utf-8"))
    print(f"wrote {destination}")
    return 0
