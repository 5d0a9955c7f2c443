"""The ``mbsim`` command line: one subcommand per module in this package.

Exit codes: 0 success, 2 bad input (an :class:`~mbsim.errors.InputError`, printed without a
traceback), 1 any other failure. ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from .. import __version__
from ..errors import InputError, MbsimError

#: Modules of this package that define ``register(subparsers)``; each adds one subcommand.
COMMANDS = ("connectome", "run", "validate", "protocols", "inspect", "plot", "energy_sweep",
            "ann_check", "meta_learn", "fit", "cache", "export", "migrate")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mbsim",
        description="Simulate the Drosophila mushroom body: connectome -> spiking network -> "
                    "memory kinetics, energy and survival.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"mbsim {__version__}")
    add_global_options(parser, False)
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").register(subparsers)
    for subparser in _subcommands(parser):
        add_global_options(subparser, argparse.SUPPRESS)   # before or after the subcommand
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    """Every subcommand's parser, nested ones (``connectome info``) included."""
    found = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += [child, *_subcommands(child)]
    return found


def add_global_options(parser: argparse.ArgumentParser, default) -> None:
    """--debug, -q and -v; on subcommands with a suppressed default, so that a flag given before
    the subcommand is not reset by the subcommand's parser."""
    parser.add_argument("--debug", action="store_true", default=default,
                        help="show tracebacks on errors")
    verbosity = parser.add_mutually_exclusive_group()
    verbosity.add_argument("-q", "--quiet", action="store_true", default=default,
                           help="print only results and errors")
    verbosity.add_argument("-v", "--verbose", action="store_true", default=default,
                           help="say what the run is doing: compile or cache hit, batches and "
                           "workers, windows simulated and reused after each trial and test, "
                           "solver steps of every slow-layer interval")


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    logging.basicConfig(level=logging.ERROR if args.quiet else logging.WARNING,
                        format="mbsim: %(message)s")
    # mbsim's own details with -v (other libraries stay at warnings); set on every call, so that
    # one verbose call does not leave a long-lived process verbose
    logging.getLogger("mbsim").setLevel(logging.DEBUG if args.verbose else logging.NOTSET)
    try:
        return int(args.handler(args) or 0)
    except InputError as error:
        if args.debug:
            raise
        print(f"mbsim: error: {error}", file=sys.stderr)
        return 2
    except (MbsimError, OSError) as error:
        if args.debug:
            raise
        print(f"mbsim: failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("mbsim: interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug: say so briefly, the traceback is behind --debug
        if args.debug:
            raise
        print(f"mbsim: internal error: {type(error).__name__}: {error} "
              "(run with --debug for the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
