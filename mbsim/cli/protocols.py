"""``mbsim protocols``: list the shipped protocols with one-line descriptions."""

from __future__ import annotations

import argparse

from ..protocol import load_protocol, shipped_protocols


def register(subparsers) -> None:
    parser = subparsers.add_parser("protocols", help="list the shipped protocols",
                                   description="List the protocols shipped in protocols/; run one "
                                               "by name or copy its file to make a new one.",
                                   epilog="examples:\n  mbsim protocols\n"
                                          "  mbsim run aversive_spaced_10x -o spaced.h5",
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(handler=run_protocols)


def run_protocols(args: argparse.Namespace) -> int:
    protocols = [load_protocol(path) for path in shipped_protocols()]
    width = max(len(protocol.name) for protocol in protocols)
    for protocol in protocols:
        print(f"{protocol.name:<{width}}  {first_sentence(protocol.description)}")
    return 0


def first_sentence(text: str) -> str:
    """The first sentence of ``text``: the protocol's one-line summary."""
    return text.split(". ")[0].rstrip(".")
