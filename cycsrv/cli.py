"""`cycsrv run | serve | validate | archetypes | annotations`: the command-line interface."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from cycsrv import __version__
from cycsrv.server.cli import add_serve_parser
from cycsrv.store.output import default_output
from cycsrv.sweep.cli import add_sweep_parser


class Progress:
    """Prints the time step, simulated date and rate on one refreshed terminal line."""

    def __init__(self, stream: TextIO, duration: int, start_year: int, start_month: int, dt: int) -> None:
        self.stream = stream
        self.duration = duration
        self.start_year = start_year
        self.start_month = start_month
        self.dt = dt
        self.started = time.perf_counter()
        self.last_print = 0.0

    def date(self, t: int) -> str:
        months = round(t * self.dt / 2629850)
        total = self.start_month - 1 + months
        return f"{self.start_year + total // 12:04d}-{total % 12 + 1:02d}"

    def __call__(self, t: int) -> None:
        now = time.perf_counter()
        if now - self.last_print < 0.1 and t + 1 < self.duration:
            return
        self.last_print = now
        elapsed = now - self.started
        rate = (t + 1) / elapsed if elapsed > 0 else 0.0
        self.stream.write(f"\rstep {t + 1}/{self.duration}  {self.date(t)}  {rate:,.0f} steps/s ")
        self.stream.flush()

    def done(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


def cmd_run(args: argparse.Namespace) -> int:
    from cycsrv.kernel.checks import check_references
    from cycsrv.kernel.infile import InputError
    from cycsrv.kernel.simulation import Simulation
    from cycsrv.store.output import OutputError, appending_message, open_output

    output = args.output or default_output(args.input)
    appending = appending_message(output)
    if appending:
        print(f"cycsrv: {appending}", file=sys.stderr)
    problems = check_references(args.input)  # before any agent is built or output opened
    for problem in problems:
        print(f"cycsrv: error: {problem}", file=sys.stderr)
    if problems:
        return 1
    try:
        backend = open_output(output)
    except OutputError as exc:
        print(f"cycsrv: error: {exc}", file=sys.stderr)
        return 1
    try:
        sim = Simulation.from_file(args.input, backends=[backend])
    except InputError as exc:
        backend.close()
        if not appending:
            Path(output).unlink(missing_ok=True)
        print(f"cycsrv: error: {exc}", file=sys.stderr)
        return 1
    c = sim.spec.control
    progress = Progress(sys.stderr, sim.duration, c.startyear, c.startmonth, c.dt) \
        if sys.stderr.isatty() and not args.quiet else None
    try:
        sim.run(progress)
    except Exception as exc:
        if progress:
            progress.done()
        print(f"cycsrv: error at time step {sim.time + 1}: {exc}", file=sys.stderr)
        return 1
    finally:
        sim.close()
    if progress:
        progress.done()
    if sim.duration == 0:
        print(f"cycsrv: {args.input}: <duration> is 0, so no time step ran ({output} holds what loading "
              "records)", file=sys.stderr)
    if sys.stderr.isatty() and not args.quiet:
        print(f"wrote {output}", file=sys.stderr)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from cycsrv.kernel.checks import check_input
    from cycsrv.kernel.infile import load_input

    problems = check_input(args.input)
    for problem in problems:
        print(f"{problem}", file=sys.stderr)
    if problems:
        return 1
    if load_input(args.input).control.duration == 0:
        print(f"{args.input}: valid, but <duration> is 0: a run would do no time step")
    else:
        print(f"{args.input}: valid")
    return 0


def cmd_archetypes(args: argparse.Namespace) -> int:
    from cycsrv.archetypes.registry import list_builtin

    for spec in list_builtin():
        print(spec)
    return 0


def cmd_annotations(args: argparse.Namespace) -> int:
    from cycsrv.archetypes.registry import annotations, annotations_of, load_archetype, split_spec

    try:
        try:
            data = annotations(args.spec)
        except KeyError:  # not built in: a Python archetype module, imported from here
            data = annotations_of(load_archetype(*split_spec(args.spec)))
    except KeyError as exc:
        print(f"cycsrv: error: {exc.args[0]}", file=sys.stderr)
        return 1
    print(json.dumps(data, indent=2, sort_keys=True))
    return 0


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cycsrv", description=__doc__)
    parser.add_argument("--version", action="version", version=f"cycsrv {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("run", help="run a Cyclus input file and write its output tables",
                       description="Run an input to its end and write Cyclus's output tables. Input errors "
                                   "are reported as FILE:LINE: message; the exit status is non-zero on an "
                                   "input error or a failed run.")
    p.add_argument("input", help="Cyclus input file: .xml, .json or .py")
    p.add_argument("-o", "--output", help="output file: .h5 for HDF5, else SQLite (default: <input basename>.sqlite); "
                   "an existing file is appended to")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("validate", help="check an input file without running it",
                       description="Check what can be known before a run: the input's structure and values, "
                                   "the archetypes it names, and the recipes its prototypes refer to. Every "
                                   "problem is printed as FILE:LINE: message; exit status 1 if any.")
    p.add_argument("input", help="Cyclus input file: .xml, .json or .py")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("archetypes", help="list the built-in archetypes",
                       description="Print the spec of every built-in archetype, one a line.")
    p.set_defaults(func=cmd_archetypes)

    p = sub.add_parser("annotations", help="print an archetype's annotations as JSON",
                       description="Print an archetype's variables (types, defaults, units, docs) as JSON, as "
                                   "the agent_annotations event returns them.")
    p.add_argument("spec", help="archetype spec, e.g. :agents:Source")
    p.set_defaults(func=cmd_annotations)

    add_serve_parser(sub)
    add_sweep_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    import cycsrv.compat  # noqa: F401 - inputs may use Python archetypes written for Cyclus
    try:
        status = int(args.func(args))
        sys.stdout.flush()  # here, where a closed pipe can still be caught
        return status
    except BrokenPipeError:
        # `cycsrv annotations ... | head`: the reader left; say nothing more (Python's advice:
        # point stdout at devnull so the flush at exit does not fail again)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
