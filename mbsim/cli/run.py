"""``mbsim run`` and ``mbsim rerun``: simulate a protocol and write its result file."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import InputError
from ..parallel import available_cores

EXAMPLES = """examples:
  mbsim run protocols/aversive_spaced_10x.yaml -o spaced.h5
  mbsim run aversive_1x --cohort 16 --jobs 2 --seed 3
  mbsim run aversive_1x --set memory.tau_labile="2 h" --odors hallem_carlson
  mbsim run aversive_1x --record KC,MBON,DAN --record-windows "test at *" --record-flies 0-3
"""
RERUN_EXAMPLES = """examples:
  mbsim rerun spaced.h5 -o spaced_again.h5
  mbsim rerun spaced.h5 --jobs 4
"""


def register(subparsers) -> None:
    run = subparsers.add_parser("run", help="simulate a protocol and write an HDF5 result",
                                epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    run.add_argument("protocol", help="protocol file, or the name of a shipped protocol")
    run.add_argument("-o", "--output", help="result file (.h5); default: <protocol name>.h5")
    run.add_argument("--connectome", default="default", help="'default' or a connectome folder")
    run.add_argument("--params", help="network parameter file (default data/params/network.yaml)")
    run.add_argument("--memory-params", help="memory-phase parameter file")
    run.add_argument("--metabolism-params", help="metabolism parameter file")
    run.add_argument("--no-metabolism", action="store_true",
                     help="gate LTM by feeding state instead of the metabolic model")
    run.add_argument("--readout", choices=("auto", "graded", "spiking"), default="auto",
                     help="how test windows are read: graded (MBON rates emulated from the KC "
                     "drive, continuous in the efficacy) or spiking (MBON spike counts); auto: "
                     "graded unless network.recurrent > 0 (docs/model.md)")
    run.add_argument("--odors", default="synthetic",
                     help="'synthetic', 'hallem_carlson' or a Hallem-Carlson responses.csv")
    run.add_argument("--set", action="append", default=[], metavar="GROUP.NAME=VALUE",
                     help="change one parameter, e.g. --set memory.tau_labile='2 h' (repeatable)")
    run.add_argument("--cohort", type=int, help="number of virtual flies (overrides the protocol)")
    run.add_argument("--seed", type=int, help="random seed (overrides the protocol)")
    run.add_argument("--jobs", type=int, default=available_cores(),
                     help="cores for the cohort: windows of a batch on threads, batches on Dask "
                     "workers (default: the cores this process may use, here %(default)s)")
    run.add_argument("--scheduler", help="address of a Dask scheduler to run the cohort on")
    run.add_argument("--tubes", type=int, default=8,
                     help="lab-like replicate tubes per test (default 8, as the lab data's n)")
    run.add_argument("--tube-size", type=int, default=100, help="flies per lab-like tube")
    run.add_argument("--alpha", type=float, default=0.5, help="exponent of the M_alpha energy")
    run.add_argument("--batch-size", type=int, default=32,
                     help="flies integrated together as columns of one slow layer (default 32)")
    record = run.add_argument_group("spike recording (kept under /spikes; default: only the first "
                                    "fly's KC raster of the first training window)")
    record.add_argument("--record", metavar="CLASSES", default="",
                        help="cell classes whose spike trains are kept: some of PN, KC, MBON, DAN, "
                        "or 'all'")
    record.add_argument("--record-windows", metavar="PATTERNS", default="*",
                        help="window labels or shell patterns, comma-separated, e.g. "
                        "'training trial 1,test at *' (default: every window)")
    record.add_argument("--record-flies", metavar="INDICES", default="0",
                        help="flies of the cohort, e.g. 0,2-4 (default 0)")
    run.set_defaults(handler=run_command)
    rerun = subparsers.add_parser("rerun", help="re-run a result file from its own provenance",
                                  epilog=RERUN_EXAMPLES,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    rerun.add_argument("result", help="an mbsim result file")
    rerun.add_argument("-o", "--output", help="where to write the new result")
    rerun.add_argument("--jobs", type=int, default=available_cores(),
                       help="cores for the cohort (default: the cores this process may use)")
    rerun.set_defaults(handler=rerun_command)


def planned_size(cohort: int) -> int:
    """Bytes to find free before a run of ``cohort`` flies."""
    from ..io import RESULT_BYTES
    fixed, per_fly = RESULT_BYTES
    return fixed + per_fly * cohort


def check_counts(args) -> None:
    for name in ("cohort", "jobs", "batch_size", "tubes", "tube_size"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            raise InputError(found=f"--{name.replace('_', '-')} {value}",
                             expected="a positive integer")


def parameter_changes(assignments: list[str]) -> dict[str, str]:
    """``["memory.tau_labile=2 h", ...]`` -> ``{"memory.tau_labile": "2 h", ...}``."""
    changes = {}
    for text in assignments:
        name, equals, value = text.partition("=")
        if not equals or not name.strip() or not value.strip():
            raise InputError(found=f"--set {text!r}", expected="GROUP.NAME=VALUE",
                             example="--set memory.tau_labile='2 h'")
        changes[name.strip()] = value.strip()
    return changes


def run_command(args) -> int:
    from ..engine import RunSettings, simulate
    from ..engine.recording import parse_recording
    from ..io import check_destination
    from ..model import Model
    from ..parameters import Parameters
    from ..protocol import load_protocol
    check_counts(args)
    protocol = load_protocol(args.protocol)
    parameters = Parameters.from_files(args.params, args.memory_params, args.metabolism_params,
                                       with_metabolism=not args.no_metabolism)
    model = Model(args.connectome, args.odors,
                  parameters.updated(parameter_changes(args.set)), readout=args.readout)
    settings = RunSettings(cohort=args.cohort, seed=args.seed, alpha=args.alpha,
                           batch_size=args.batch_size, tubes=args.tubes,
                           tube_size=args.tube_size, record=parse_recording(args.record, args.record_windows,
                                                  args.record_flies))
    output = Path(args.output or f"{protocol.name}.h5")
    recorded = announce_recording(settings, protocol, model, args.quiet)
    check_destination(output, planned_size(settings.cohort or protocol.cohort) + recorded)
    tree = simulate(model, protocol, settings, jobs=args.jobs, scheduler=args.scheduler,
                    progress=not args.quiet, command="mbsim " + " ".join(sys.argv[1:]))
    finish(tree, output, args.quiet)
    return 0


def rerun_command(args) -> int:
    from ..engine import RunSettings, simulate
    from ..io import check_destination, load
    from ..model import Model
    from ..protocol import parse_protocol_text
    check_counts(args)
    attrs = load(args.result).attrs
    if "model" not in attrs:
        raise InputError(found="a result file without a 'model' description (written by an "
                         "older mbsim)", expected="a result file of this version", file=args.result)
    protocol = parse_protocol_text(attrs["protocol_text"], attrs.get("protocol_file") or args.result)
    model = Model.from_description(json.loads(attrs["model"]), args.result)
    settings = RunSettings(**json.loads(attrs["settings"]))
    output = Path(args.output or Path(args.result).with_suffix(".rerun.h5"))
    recorded = announce_recording(settings, protocol, model, args.quiet)
    check_destination(output, planned_size(settings.cohort or protocol.cohort) + recorded)
    tree = simulate(model, protocol, settings, jobs=args.jobs, progress=not args.quiet,
                    command="mbsim " + " ".join(sys.argv[1:]))
    finish(tree, output, args.quiet)
    return 0


def announce_recording(settings, protocol, model, quiet: bool) -> int:
    """Print what the spike recording keeps and its estimated size; return the bytes."""
    from ..engine.recording import window_labels
    record = settings.record
    if not record.classes:
        return 0
    schedule = protocol.schedule()
    cohort = settings.cohort or schedule.cohort
    structure = model.network.network.structure
    size = record.estimated_bytes(schedule, {c: structure.size(c) for c in record.classes}, cohort)
    windows = record.windows_of(schedule)
    flies = sorted(f for f in set(record.flies) if f < cohort)
    if not windows:
        labels = ", ".join(repr(label) for label, _ in window_labels(schedule))
        raise InputError(found=f"--record-windows {','.join(record.windows)!r}, which matches "
                         "none of the protocol's windows", expected=f"some of {labels}",
                         example="--record-windows 'test at *'")
    if not flies:
        raise InputError(found=f"--record-flies {','.join(map(str, record.flies))}",
                         expected=f"flies of the cohort of {cohort}: 0 to {cohort - 1}")
    if not quiet:
        print(f"recording {', '.join(record.classes)} spikes in {len(windows)} windows of "
              f"{len(flies)} flies: about {size / 1e6:.1f} MB before compression", file=sys.stderr)
    return size


def finish(tree, output: Path, quiet: bool) -> None:
    """Write the result atomically and print the retention table."""
    from ..io import save
    from ..report import retention_table
    save(tree, output)
    if not quiet:
        print(retention_table(tree))
        timing = json.loads(tree.attrs["timing"])
        print(f"{tree.attrs['cohort']} flies in {timing['total_s']:.1f} s (compile or load "
              f"{timing['compile_or_load_s']:.1f} s)", file=sys.stderr)
    print(f"wrote {output}")
