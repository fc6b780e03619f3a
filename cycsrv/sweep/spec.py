"""The sweep file: its data shapes and the TOML reader that checks them (errors say FILE:LINE and key)."""

from __future__ import annotations

import math
import os
import re
import sqlite3
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import attrs
from lxml import etree

from cycsrv.kernel.infile import InputError
from cycsrv.sweep.tomlpos import KeyLines, key_lines

Value = int | float | str | bool

#: Columns every summary row has; parameter and metric names may not take them.
FIXED_COLUMNS = ("run_id", "status", "error", "seconds")
SAMPLE_METHODS = ("lhs", "random", "sobol", "halton")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_TOML_POS = re.compile(r"\s*\(at line (\d+), column \d+\)\s*$")


class SweepError(InputError):
    """A problem in a sweep file, or a scenario it makes; ``str()`` is ``FILE:LINE: message``."""


@attrs.frozen
class Range:
    """`start` to `stop` inclusive, every `step`; without a step, any value between (sampling only)."""

    start: int | float
    stop: int | float
    step: int | float | None = None

    @property
    def integer(self) -> bool:
        """True if every bound is an integer, so sampled values are integers too."""
        return all(isinstance(v, int) for v in (self.start, self.stop, self.step) if v is not None)

    def points(self) -> tuple[int | float, ...]:
        """The stepped values, `stop` included when a step lands on it (within rounding)."""
        assert self.step is not None
        count = math.floor((self.stop - self.start) / self.step * (1 + 1e-12) + 1e-9) + 1
        if self.integer:
            return tuple(int(self.start + i * self.step) for i in range(count))
        return tuple(float(self.start + i * self.step) for i in range(count))


@attrs.frozen
class Parameter:
    """One input value to vary: the XPath(s) it sets and the values it takes."""

    name: str
    paths: tuple[str, ...]
    values: tuple[Value, ...] | None
    range: Range | None
    line: int

    def choices(self) -> tuple[Value, ...] | None:
        """The finite set of values this parameter takes, or None for a continuous range."""
        if self.values is not None:
            return self.values
        assert self.range is not None
        return self.range.points() if self.range.step is not None else None


@attrs.frozen
class Sample:
    """Draw `n` scenarios from the parameters' ranges with a scipy.stats.qmc method and `seed`."""

    method: str
    n: int
    seed: int
    line: int


@attrs.frozen
class Metric:
    """One number per run: the first column of the single row `sql` returns on the run's output."""

    name: str
    sql: str
    line: int


@attrs.frozen
class Sweep:
    """A whole sweep file: the base input, the parameters, how to combine them, what to measure."""

    file: str
    input: str
    parameters: tuple[Parameter, ...]
    sample: Sample | None
    metrics: tuple[Metric, ...]

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parameters)

    @property
    def metric_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.metrics)


def load_sweep(path: str | os.PathLike[str]) -> Sweep:
    """Read and check the sweep file at `path`; raises `SweepError` naming file, line and key."""
    file = os.fspath(path)
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SweepError(file, 0, f"cannot read the sweep file: {getattr(exc, 'strerror', None) or exc}") from None
    return parse_sweep(text, file)


def parse_sweep(text: str, file: str) -> Sweep:
    """Check the TOML `text` of the sweep file `file` (used to resolve `input` and in errors)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_POS.search(msg)
        raise SweepError(file, int(m.group(1)) if m else 0, f"not valid TOML: {_TOML_POS.sub('', msg)}") from None
    return _Reader(file, key_lines(text)).sweep(data)


@attrs.define
class _Reader:
    file: str
    lines: KeyLines

    def fail(self, line: int, message: str) -> SweepError:
        return SweepError(self.file, line, message)

    def keys(self, data: Mapping[str, Any], table: str, index: int, allowed: tuple[str, ...],
             required: tuple[str, ...], what: str) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(self.lines.key(table, index, key),
                                f"unknown key {key!r} in {what} (allowed: {', '.join(allowed)})")
        for key in required:
            if key not in data:
                raise self.fail(self.lines.table(table, index), f"{what} has no {key!r}")

    def sweep(self, data: dict[str, Any]) -> Sweep:
        self.keys(data, "", 0, ("input", "parameter", "sample", "metric"), ("input", "parameter"),
                  "the sweep file")
        line = self.lines.key("", 0, "input")
        if not isinstance(data["input"], str) or not data["input"]:
            raise self.fail(line, "key 'input' must be the base input's file name (a string)")
        base = Path(self.file).resolve().parent / data["input"]
        if not base.is_file():
            raise self.fail(line, f"key 'input': no such file {str(base)!r}")
        raw = data["parameter"]
        if not isinstance(raw, list) or not raw or not all(isinstance(p, dict) for p in raw):
            raise self.fail(self.lines.key("", 0, "parameter"), "'parameter' must be one or more [[parameter]] tables")
        params = tuple(self.parameter(i, p) for i, p in enumerate(raw))
        sample = self.sample(data["sample"]) if "sample" in data else None
        raw_metrics = data.get("metric", [])
        if not isinstance(raw_metrics, list) or not all(isinstance(m, dict) for m in raw_metrics):
            raise self.fail(self.lines.key("", 0, "metric"), "'metric' must be [[metric]] tables")
        metrics = tuple(self.metric(i, m) for i, m in enumerate(raw_metrics))
        seen: dict[str, str] = {}
        for what, items in (("parameter", params), ("metric", metrics)):
            for item in items:
                if item.name in FIXED_COLUMNS:
                    raise self.fail(item.line, f"{what} name {item.name!r} is taken by a summary column")
                if item.name in seen:
                    raise self.fail(item.line, f"{what} name {item.name!r} is already used by a {seen[item.name]}")
                seen[item.name] = what
        if sample is None:
            for p in params:
                if p.choices() is None:
                    raise self.fail(self.lines.key("parameter", params.index(p), "range"),
                                    f"parameter {p.name!r}: a range needs a 'step' unless [sample] draws from it")
        return Sweep(self.file, str(base), params, sample, metrics)

    def name(self, data: Mapping[str, Any], table: str, index: int, what: str) -> str:
        name = data["name"]
        if not isinstance(name, str) or not _NAME.match(name):
            raise self.fail(self.lines.key(table, index, "name"),
                            f"{what} name must be an identifier (letters, digits, _), got {name!r}")
        return name

    def parameter(self, index: int, data: dict[str, Any]) -> Parameter:
        what = f"[[parameter]] #{index + 1}"
        self.keys(data, "parameter", index, ("name", "path", "values", "range"), ("name", "path"), what)
        name = self.name(data, "parameter", index, what)
        what = f"parameter {name!r}"
        line = self.lines.key("parameter", index, "path")
        paths = data["path"] if isinstance(data["path"], list) else [data["path"]]
        if not paths or not all(isinstance(p, str) and p for p in paths):
            raise self.fail(line, f"{what}: 'path' must be an XPath (a string) or a list of them")
        for p in paths:
            try:
                etree.XPath(p)
            except etree.XPathSyntaxError as exc:
                raise self.fail(line, f"{what}: 'path' {p!r} is not a valid XPath ({exc})") from None
        if ("values" in data) == ("range" in data):
            raise self.fail(self.lines.table("parameter", index), f"{what} needs either 'values' or 'range'")
        values = rng = None
        if "values" in data:
            values = self.values(data["values"], self.lines.key("parameter", index, "values"), what)
        else:
            rng = self.range(data["range"], self.lines.key("parameter", index, "range"), what)
        return Parameter(name, tuple(paths), values, rng, self.lines.table("parameter", index))

    def values(self, raw: Any, line: int, what: str) -> tuple[Value, ...]:
        if not isinstance(raw, list) or not raw:
            raise self.fail(line, f"{what}: 'values' must be a non-empty list")
        kinds = set()
        for v in raw:
            if isinstance(v, bool):
                kinds.add("boolean")
            elif isinstance(v, int | float):
                if isinstance(v, float) and not math.isfinite(v):
                    raise self.fail(line, f"{what}: 'values' must be finite, got {v!r}")
                kinds.add("number")
            elif isinstance(v, str):
                kinds.add("string")
            else:
                raise self.fail(line, f"{what}: 'values' holds {v!r}; values are numbers, strings or booleans")
        if len(kinds) > 1:
            raise self.fail(line, f"{what}: 'values' mixes {' and '.join(k + 's' for k in sorted(kinds))}; use one kind")
        return tuple(raw)

    def range(self, raw: Any, line: int, what: str) -> Range:
        if not isinstance(raw, dict):
            raise self.fail(line, f"{what}: 'range' must be a table like {{start = 1, stop = 10, step = 1}}")
        for key in raw:
            if key not in ("start", "stop", "step"):
                raise self.fail(line, f"{what}: unknown key {key!r} in 'range' (allowed: start, stop, step)")
        for key in ("start", "stop"):
            if key not in raw:
                raise self.fail(line, f"{what}: 'range' has no {key!r}")
        for key, v in raw.items():
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise self.fail(line, f"{what}: range {key!r} must be a finite number, got {v!r}")
        if raw["stop"] < raw["start"]:
            raise self.fail(line, f"{what}: range stop {raw['stop']!r} is below start {raw['start']!r}")
        step = raw.get("step")
        if step is not None and step <= 0:
            raise self.fail(line, f"{what}: range step must be positive, got {step!r}")
        return Range(raw["start"], raw["stop"], step)

    def sample(self, data: Any) -> Sample:
        line = self.lines.table("sample")
        if not isinstance(data, dict):
            raise self.fail(line, "'sample' must be a [sample] table")
        self.keys(data, "sample", 0, ("method", "n", "seed"), ("method", "n"), "[sample]")
        method = data["method"]
        if method not in SAMPLE_METHODS:
            raise self.fail(self.lines.key("sample", 0, "method"),
                            f"[sample] method must be one of {', '.join(SAMPLE_METHODS)}, got {method!r}")
        for key in ("n", "seed"):
            v = data.get(key, 0)
            if isinstance(v, bool) or not isinstance(v, int) or v < (1 if key == "n" else 0):
                raise self.fail(self.lines.key("sample", 0, key),
                                f"[sample] {key!r} must be a {'positive' if key == 'n' else 'non-negative'} integer, got {v!r}")
        return Sample(method, data["n"], data.get("seed", 0), line)

    def metric(self, index: int, data: dict[str, Any]) -> Metric:
        what = f"[[metric]] #{index + 1}"
        self.keys(data, "metric", index, ("name", "sql"), ("name", "sql"), what)
        name = self.name(data, "metric", index, what)
        line = self.lines.key("metric", index, "sql")
        sql = data["sql"]
        if not isinstance(sql, str) or not sql.strip():
            raise self.fail(line, f"metric {name!r}: 'sql' must be an SQL query (a string)")
        problem = sql_syntax_problem(sql)
        if problem:
            raise self.fail(line, f"metric {name!r}: {problem}")
        return Metric(name, sql, self.lines.table("metric", index))


def sql_syntax_problem(sql: str) -> str | None:
    """Why SQLite cannot even parse `sql` as one statement, or None (missing tables are fine here)."""
    db = sqlite3.connect(":memory:")
    try:
        db.execute("EXPLAIN " + sql)
    except sqlite3.ProgrammingError as exc:
        return f"SQL error: {exc}"
    except sqlite3.Error as exc:
        msg = str(exc)
        if "syntax error" in msg or "incomplete input" in msg or "unrecognized token" in msg:
            return f"SQL error: {msg}"
    finally:
        db.close()
    return None
