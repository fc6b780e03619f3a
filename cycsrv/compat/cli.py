"""`cycsrv-cyclus` / `python -m cycsrv.compat`: Cyclus's own command line, on cycsrv.

Scripts and test suites written for the `cyclus` executable call it with Cyclus's flags
(``cyclus -j 2 -o out.h5 --input-file in.xml``). This entry accepts every flag Cyclus 1.6
has. Each is either honoured or refused with an error saying why (nothing is silently
dropped): cycsrv has no C++ install tree, no RelaxNG schemas and no restart from snapshots.
It never installs a command named ``cyclus``; a test harness may put a wrapper by that name
on its own PATH (see ``scripts/cyclus_suite.py``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sqlite3
import sys
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from cycsrv import CYCLUS_VERSION, __version__

USAGE = "cycsrv-cyclus [opts] [input-file]"
#: Cyclus's output file when no -o is given.
DEFAULT_OUTPUT = "cyclus.sqlite"
#: Cyclus's log levels by name (`-v LEV_INFO2` or `-v 3`), and the Python level each maps to.
LOG_LEVELS = ("LEV_ERROR", "LEV_WARN", "LEV_INFO1", "LEV_INFO2", "LEV_INFO3", "LEV_INFO4", "LEV_INFO5",
              "LEV_DEBUG1", "LEV_DEBUG2", "LEV_DEBUG3", "LEV_DEBUG4", "LEV_DEBUG5")
DEFAULT_WARN_LIMIT = 42

#: Flags cycsrv cannot honour, and why; giving one is an error (exit 1).
REFUSED = {
    "restart": "cycsrv cannot restart a simulation from a snapshot in an output file",
    "rng_print": "cycsrv checks inputs with its own rules, not a RelaxNG schema, so it has none to print",
    "schema": "cycsrv checks inputs with its own rules, not a RelaxNG schema, so it has none to print",
    "schema_path": "cycsrv checks inputs with its own rules, not a RelaxNG schema, so it reads none",
    "rng_schema": "cycsrv checks inputs with its own rules, not a RelaxNG schema",
    "new_file": "the new input template Cyclus writes points at a RelaxNG grammar, which cycsrv does not have",
    "path": "cycsrv has no CYCLUS_PATH: Python archetypes are imported from the input file's directory, "
            "then the Python path",
    "include": "cycsrv has no C++ headers",
    "install_path": "cycsrv is a Python package with no Cyclus install tree",
    "cmake_module_path": "cycsrv has no CMake modules",
    "build_path": "cycsrv has no build directory",
    "nuc_data": "cycsrv has no cyclus_nuc_data.h5: its nuclear data ship inside the cycsrv package",
}


class _Parser(argparse.ArgumentParser):
    """Argument errors as Cyclus reports them: the problem and the usage, exit status 1."""

    def error(self, message: str) -> NoReturn:
        print(f"Invalid arguments: {message}\nUsage: {USAGE}\n", file=sys.stderr)
        raise SystemExit(1)


def make_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="cycsrv-cyclus", usage=USAGE, add_help=False,
                description="Cyclus's command line, running cycsrv (flags as in Cyclus 1.6).")
    g = p.add_argument_group("general")
    g.add_argument("-h", "--help", action="store_true", help="show this help and exit")
    g.add_argument("-V", "--version", action="store_true", help="print versions and exit")
    g.add_argument("-j", "--nthreads", type=int, help="threads Cyclus would use; cycsrv runs one, "
                   "which gives the same tables")
    g.add_argument("--restart", metavar="DB:SIMID:TIME", help="refused: " + REFUSED["restart"])
    g = p.add_argument_group("output verbosity")
    g.add_argument("-v", "--verb", metavar="LEVEL", help="log level, 0 (errors) to 11, or LEV_ERROR ... LEV_DEBUG5")
    g.add_argument("--no-agent", action="store_true", help="log only the kernel's messages, not archetypes'")
    g.add_argument("--no-mem", action="store_true", help="no memory messages in the log (cycsrv logs none)")
    g.add_argument("--warn-limit", type=int, metavar="N", help=f"warnings shown per kind (default {DEFAULT_WARN_LIMIT})")
    g.add_argument("--warn-as-error", action="store_true", help="a warning stops the run as an error")
    g.add_argument("--rng-print", action="store_true", help="refused: " + REFUSED["rng_print"])
    g = p.add_argument_group("files")
    g.add_argument("input", nargs="?", help="input file (.xml, .json or .py)")
    g.add_argument("-i", "--input-file", help="input file, or the input itself as a string")
    g.add_argument("-o", "--output-path", help=f"output file: .h5 for HDF5, else SQLite (default {DEFAULT_OUTPUT}); "
                   "an existing file is appended to")
    g.add_argument("-f", "--format", default="none", choices=("none", "xml", "json", "py"),
                   help="format of an input given as a string")
    g.add_argument("--flat-schema", action="store_true", help="read the input with the flat schema")
    g.add_argument("-n", "--new-file", metavar="FILE", help="refused: " + REFUSED["new_file"])
    g = p.add_argument_group("archetypes")
    g.add_argument("--agent-annotations", metavar="SPEC", help="print an archetype's annotations as JSON")
    g.add_argument("--agent-version", metavar="SPEC", help="print an archetype's version")
    g.add_argument("-l", "--agent-listing", metavar="PATH:LIB", help="list the archetypes of a built-in library")
    g.add_argument("-a", "--all-agent-listing", action="store_true", help="list every built-in archetype")
    g.add_argument("--agent-schema", metavar="SPEC", help="print an archetype's RelaxNG snippet (from its annotations)")
    g.add_argument("-m", "--metadata", action="store_true",
                   help="print every built-in archetype's spec, annotations and schema as JSON")
    g = p.add_argument_group("input conversions (each prints the converted FILE)")
    from cycsrv.compat.formats import CONVERSIONS

    for kind in CONVERSIONS:
        src = kind.split("-")[0]
        g.add_argument(f"--{kind}", metavar="FILE", help=f"*.{src} input file")
    g = p.add_argument_group("configuration (refused: cycsrv has no Cyclus install tree)")
    g.add_argument("--schema", action="store_true", help="refused: " + REFUSED["schema"])
    g.add_argument("--schema-path", metavar="PATH", help="refused: " + REFUSED["schema_path"])
    for flag, short in (("path", "-p"), ("include", None), ("install-path", None), ("cmake-module-path", None),
                        ("build-path", None), ("rng-schema", None), ("nuc-data", None)):
        names = [f"--{flag}", short] if short else [f"--{flag}"]
        g.add_argument(*names, action="store_true", help="refused: " + REFUSED[flag.replace("-", "_")])
    return p


def version_text() -> str:
    """`--version`: the Cyclus version reproduced, then the libraries doing its dependencies' jobs.

    One name and version per line, as Cyclus prints them (``-1`` where there is none).
    """
    from importlib import metadata

    import h5py
    from lxml import etree

    highs = metadata.version("highspy")
    optimiser = f"HiGHS-{highs}" if _has_optimiser() else "-1"
    lines = [
        f"Cyclus Core {CYCLUS_VERSION} (cycsrv {__version__})",
        "",
        "Dependencies:",
        "   Boost    -1",
        f"   Coin-Cbc {optimiser}",
        f"   Coin-Clp {optimiser}",
        f"   Hdf5     {h5py.version.hdf5_version}",
        f"   Sqlite3  {sqlite3.sqlite_version}",
        f"   xml2     {'.'.join(map(str, etree.LIBXML_VERSION))}",
        "   xml++    -1",
        f"   HiGHS    {highs}",
        f"   h5py     {h5py.version.version}",
    ]
    return "\n".join(lines) + "\n"


def _has_optimiser() -> bool:
    """Whether inputs asking for Cyclus's coin-or optimiser are solved as an optimisation (on HiGHS)."""
    import importlib.util

    return importlib.util.find_spec("cycsrv.kernel.solvers.highs") is not None


def _log_level(text: str) -> int:
    if text.upper() in LOG_LEVELS:
        index = LOG_LEVELS.index(text.upper())
    else:
        try:
            index = int(text)
        except ValueError:
            raise ValueError(f"-v/--verb: {text!r} is not 0..11 or one of {', '.join(LOG_LEVELS)}") from None
        if not 0 <= index < len(LOG_LEVELS):
            raise ValueError(f"-v/--verb: {index} is outside 0..11")
    return logging.ERROR if index == 0 else logging.WARNING if index == 1 else \
        logging.INFO if index <= 6 else logging.DEBUG


class _KernelOnly(logging.Filter):
    """`--no-agent`: keep cycsrv's own messages, drop archetypes'."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.name.startswith("cycsrv.") and not record.name.startswith("cycsrv.archetypes")


def _setup_logging(args: argparse.Namespace) -> None:
    level = _log_level(args.verb) if args.verb is not None else logging.ERROR
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)s(%(name)s): %(message)s"))
    if args.no_agent:
        handler.addFilter(_KernelOnly())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "cycsrv_cyclus", False)]:
        root.removeHandler(old)  # main() called again in one process
    handler.cycsrv_cyclus = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level)


def _setup_warnings(args: argparse.Namespace) -> None:
    """`--warn-as-error` turns warnings into errors; `--warn-limit` caps how many of each kind show."""
    if args.warn_as_error:
        warnings.simplefilter("error")
        return
    limit = DEFAULT_WARN_LIMIT if args.warn_limit is None else args.warn_limit
    if limit < 0:
        raise ValueError("--warn-limit must be 0 or more")
    warnings.simplefilter("always")
    shown: dict[type[Warning], int] = {}
    show = warnings.showwarning

    def limited(message: Any, category: type[Warning], *rest: Any, **kw: Any) -> None:
        shown[category] = shown.get(category, 0) + 1
        if shown[category] <= limit:
            show(message, category, *rest, **kw)

    warnings.showwarning = limited


def _raw_input(text: str, fmt: str, workdir: Path) -> Path:
    """An input given as a string (Cyclus accepts one for --input-file), written to a file."""
    stripped = text.lstrip()
    if fmt == "none":
        fmt = "xml" if stripped.startswith("<") else "json" if stripped.startswith("{") else ""
    if not fmt:
        raise FileNotFoundError(f"input file {text!r} not found (and it is not XML or JSON text)")
    path = workdir / f"input.{fmt}"
    path.write_text(text)
    return path


def _archetype_class(spec: str) -> Any:
    from cycsrv.archetypes.registry import load_archetype, split_spec

    path, lib, name = split_spec(spec)
    return load_archetype(path, lib, name, base_dir=Path.cwd())


def _print_listing(spec: str) -> int:
    from cycsrv.archetypes.registry import builtin_libraries, make_spec

    path, _, lib = spec.rpartition(":")
    libs = builtin_libraries()
    if path or lib not in libs:
        print(f"cycsrv-cyclus: error: -l lists the built-in libraries ({', '.join(sorted(libs))}); "
              f"{spec!r} is not one", file=sys.stderr)
        return 1
    for name in sorted(libs[lib]):
        print(make_spec("", lib, name))
    return 0


def _refused(args: argparse.Namespace) -> str | None:
    for dest, why in REFUSED.items():
        if getattr(args, dest) not in (None, False):
            return f"--{dest.replace('_', '-')}: {why}"
    return None


def _info(args: argparse.Namespace) -> int | None:
    """Flags that print something and exit, as Cyclus handles them before any run."""
    from cycsrv.compat.formats import CONVERSIONS, convert
    from cycsrv.kernel.infile import InputError

    if args.help:
        make_parser().print_help()
        return 0
    if args.version:
        sys.stdout.write(version_text())
        return 0
    if args.agent_annotations or args.agent_version or args.agent_schema:
        from cycsrv.archetypes.registry import annotations_of
        from cycsrv.compat.schema import agent_schema

        try:
            cls = _archetype_class(args.agent_annotations or args.agent_version or args.agent_schema)
        except KeyError as exc:
            print(f"cycsrv-cyclus: error: {exc.args[0]}", file=sys.stderr)
            return 1
        if args.agent_version:
            print(cls.version)
        elif args.agent_schema:
            print(agent_schema(annotations_of(cls)))
        else:
            print(json.dumps(annotations_of(cls), indent=1, sort_keys=True))
        return 0
    if args.metadata:
        from cycsrv.archetypes.registry import annotations, list_builtin
        from cycsrv.compat.schema import agent_schema

        specs = list_builtin()
        found = {spec: annotations(spec) for spec in specs}
        print(json.dumps({"specs": specs, "annotations": found,
                          "schema": {spec: agent_schema(ann) for spec, ann in found.items()}}, indent=1))
        return 0
    if args.agent_listing:
        return _print_listing(args.agent_listing)
    if args.all_agent_listing:
        from cycsrv.archetypes.registry import list_builtin

        print("\n".join(list_builtin()))
        return 0
    for kind in CONVERSIONS:
        path = getattr(args, kind.replace("-", "_"))
        if path:
            try:
                sys.stdout.write(convert(kind, path))
            except InputError as exc:
                print(f"cycsrv-cyclus: error: {exc}", file=sys.stderr)
                return 1
            return 0
    return None


def _run(args: argparse.Namespace) -> int:
    from cycsrv.kernel.infile import InputError, load_input
    from cycsrv.kernel.simulation import Simulation
    from cycsrv.store.output import OutputError, appending_message, open_output

    given = args.input_file or args.input
    if given is None:
        print(f"No input file specified.\nUsage: {USAGE}\n", file=sys.stderr)
        return 1
    if args.input_file and args.input and args.input_file != args.input:
        print("cycsrv-cyclus: error: give the input once, as --input-file or positionally", file=sys.stderr)
        return 1
    output = args.output_path or DEFAULT_OUTPUT
    with tempfile.TemporaryDirectory(prefix="cycsrv-input-") as tmp:
        try:
            path = Path(given) if os.path.isfile(given) else _raw_input(given, args.format, Path(tmp))
            spec = load_input(path, flat_schema=args.flat_schema)
        except (FileNotFoundError, InputError) as exc:
            print(f"cycsrv-cyclus: error: {exc}", file=sys.stderr)
            return 1
        appending = appending_message(output)
        if appending:
            print(appending)
        try:
            backend = open_output(output)
        except OutputError as exc:
            print(f"cycsrv-cyclus: error: {exc}", file=sys.stderr)
            return 1
        try:
            sim = Simulation(spec, backends=[backend])
        except InputError as exc:
            backend.close()
            if not appending:
                Path(output).unlink(missing_ok=True)
            print(f"cycsrv-cyclus: error: {exc}", file=sys.stderr)
            return 1
        print(f"cycsrv {__version__}, running as Cyclus {CYCLUS_VERSION}", flush=True)
        try:
            sim.run(None)
        except Exception as exc:
            print(f"cycsrv-cyclus: error at time step {sim.time + 1}: {exc}", file=sys.stderr)
            return 1
        finally:
            sim.close()
    print()
    print("Status: simulation finished")
    print(f"Output location: {output}")
    print(f"Simulation ID: {sim.recorder.sim_id}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = make_parser().parse_args(argv)
    refused = _refused(args)
    if refused:
        print(f"cycsrv-cyclus: error: {refused}", file=sys.stderr)
        return 1
    try:
        _setup_logging(args)
        _setup_warnings(args)
    except ValueError as exc:
        print(f"cycsrv-cyclus: error: {exc}", file=sys.stderr)
        return 1
    done = _info(args)
    if done is not None:
        return done
    # as Cyclus does: an error raised in a Python archetype's hook is printed and the run goes on
    from cycsrv.compat.agents import set_hook_errors

    set_hook_errors("report")
    try:
        return _run(args)
    finally:
        set_hook_errors("raise")
