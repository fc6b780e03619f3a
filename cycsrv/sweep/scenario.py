"""Scenarios: the base input with each parameter's XPath set to a value, named by a hash of the result."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
from lxml import etree

import cycsrv.compat  # noqa: F401 - scenarios may use Python archetypes written for Cyclus (client and workers)
from cycsrv.kernel.infile import InputError, SimSpec, load_input
from cycsrv.kernel.simulation import Simulation
from cycsrv.sweep.spec import Parameter, Sweep, SweepError, Value

_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'


@attrs.frozen
class Scenario:
    """One edited input: its parameter values, its text and `run_id` (the text's hash)."""

    run_id: str
    values: Mapping[str, Value]
    text: str


def run_id_of(text: str) -> str:
    """The run id of an input text: the same scenario is always the same run."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def value_text(value: Value) -> str:
    """How a parameter value is written into the input (booleans as Cyclus writes them)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def load_scenario(path: str | os.PathLike[str], base_input: str) -> SimSpec:
    """Read an edited input at `path`; Python archetypes are still found beside the base input."""
    return attrs.evolve(load_input(path), path=base_input)


class Editor:
    """The base input (includes inlined, as the kernel reads it) and each parameter's target nodes."""

    def __init__(self, sweep: Sweep) -> None:
        self.sweep = sweep
        parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_comments=False)
        self.tree = etree.ElementTree(etree.fromstring(load_input(sweep.input).input_text.encode(), parser))
        self.base = {p.name: self._targets(p) for p in sweep.parameters}
        self.original = {name: [_get(t) for t in ts] for name, ts in self.base.items()}

    def _targets(self, param: Parameter) -> list[Any]:
        found: list[Any] = []
        for path in param.paths:
            where = f"parameter {param.name!r}: path {path!r}"
            try:
                result = self.tree.xpath(path)
            except etree.XPathError as exc:
                raise SweepError(self.sweep.file, param.line, f"{where} cannot be evaluated: {exc}") from None
            if not isinstance(result, list):
                raise SweepError(self.sweep.file, param.line,
                                 f"{where} gives {result!r}, not elements or attributes to set")
            if not result:
                raise SweepError(self.sweep.file, param.line, f"{where} matches nothing in {self.sweep.input}")
            for node in result:
                if isinstance(node, etree._Element) and isinstance(node.tag, str):
                    if any(isinstance(child.tag, str) for child in node):
                        raise SweepError(self.sweep.file, param.line,
                                         f"{where} selects <{node.tag}>, which holds elements; "
                                         "a parameter sets one value")
                elif not (isinstance(node, etree._ElementUnicodeResult) and (node.is_attribute or node.is_text)):
                    raise SweepError(self.sweep.file, param.line,
                                     f"{where} selects {node!r}; select elements, attributes or text()")
                found.append(node)
        return found

    def text(self, values: Mapping[str, Value]) -> str:
        """The input with every parameter in `values` set (the others as in the base input)."""
        for name, targets in self.base.items():
            if name in values:
                for t in targets:
                    _set(t, value_text(values[name]))
            else:
                for t, old in zip(targets, self.original[name], strict=True):
                    _set(t, old)
        return _DECLARATION + etree.tostring(self.tree, encoding="unicode") + "\n"

    def scenario(self, values: Mapping[str, Value]) -> Scenario:
        text = self.text(values)
        return Scenario(run_id_of(text), dict(values), text)


def _get(node: Any) -> str | None:
    if isinstance(node, etree._Element):
        return node.text
    parent = node.getparent()
    return parent.get(node.attrname) if node.is_attribute else parent.text


def _set(node: Any, text: str | None) -> None:
    if isinstance(node, etree._Element):
        node.text = text
        return
    parent = node.getparent()
    if node.is_attribute:
        parent.set(node.attrname, text or "")
    else:
        parent.text = text


def make_scenarios(sweep: Sweep, values: Sequence[Mapping[str, Value]]) -> list[Scenario]:
    """The distinct scenarios for `values`, in order (equal edited inputs are one run)."""
    editor = Editor(sweep)
    seen: dict[str, Scenario] = {}
    for v in values:
        s = editor.scenario(v)
        seen.setdefault(s.run_id, s)
    return list(seen.values())


def check_input(path: str | os.PathLike[str], base_input: str) -> None:
    """Build the simulation at `path` as a run would (archetypes, prototypes, initial agents), without running it."""
    Simulation(load_scenario(path, base_input))


def check_scenarios(sweep: Sweep, scenarios: Sequence[Scenario], inputs: Path) -> None:
    """Validate every scenario with the kernel's loader before anything runs.

    Each parameter value is tried alone first, so a bad one is named; then every full scenario,
    written to `inputs/<run_id>.xml`, is checked (it is also what the workers read).
    """
    editor = Editor(sweep)
    with tempfile.TemporaryDirectory(prefix="cycsrv-sweep-") as tmp:
        probe = Path(tmp) / "probe.xml"
        for p in sweep.parameters:
            for value in dict.fromkeys(s.values[p.name] for s in scenarios):
                probe.write_text(editor.text({p.name: value}), encoding="utf-8")
                try:
                    check_input(probe, sweep.input)
                except InputError as exc:
                    raise SweepError(sweep.file, p.line, f"parameter {p.name!r} = {value!r} "
                                     f"({', '.join(p.paths)}) makes the input invalid: {exc.message}") from None
    for s in scenarios:
        path = write_input(inputs, s)
        try:
            check_input(path, sweep.input)
        except InputError as exc:
            shown = ", ".join(f"{k}={v!r}" for k, v in s.values.items())
            raise SweepError(sweep.file, 0, f"scenario {shown} makes the input invalid: {exc}") from None


def write_input(inputs: Path, scenario: Scenario) -> Path:
    """`inputs/<run_id>.xml`, written unless it already holds this text (the name is its hash)."""
    path = inputs / f"{scenario.run_id}.xml"
    if not path.is_file() or path.read_text(encoding="utf-8") != scenario.text:
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(scenario.text, encoding="utf-8")
        os.replace(tmp, path)
    return path
