"""``mbsim cache info|clear``: where the compiled networks are kept, how big they are, removing them."""

from __future__ import annotations

import argparse

EXAMPLES = "examples:\n  mbsim cache info\n  mbsim cache clear\n  MBSIM_CACHE=/scratch/mbsim mbsim cache info"


def register(subparsers) -> None:
    parser = subparsers.add_parser("cache", help="show or clear the compiled-network cache",
                                   description="The folder of compiled networks (MBSIM_CACHE "
                                   "overrides it). Damaged entries are rebuilt automatically.",
                                   epilog=EXAMPLES,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    info = actions.add_parser("info", help="where the cache is, its entries and their size",
                              epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    info.set_defaults(handler=run_info)
    clear = actions.add_parser("clear", help="remove every compiled network (rebuilt on next use)",
                               epilog=EXAMPLES,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
    clear.set_defaults(handler=run_clear)


def run_info(args: argparse.Namespace) -> int:
    from ..network.compiled import cache_entries
    from ..paths import cache_dir
    entries = cache_entries()
    print(f"cache folder  {cache_dir()}")
    print(f"networks      {len(entries)}, {_mib(sum(e.size for e in entries))}")
    for entry in entries:
        state = "intact" if not entry.damage else f"damaged: {entry.damage}"
        print(f"  {entry.directory.name}  {_mib(entry.size):>9}  {state}")
    return 0


def run_clear(args: argparse.Namespace) -> int:
    from ..network.compiled import clear_cache
    freed = clear_cache()
    if not args.quiet:
        print(f"removed the compiled networks ({_mib(freed)})")
    return 0


def _mib(size: int) -> str:
    return f"{size / 2**20:.1f} MiB"
