"""Every built-in archetype documents itself and each of its variables, in Cyclus's annotation shape.

Input-file writers read these docs through `cycsrv annotations` and the `agent_annotations`
event; a variable without a doc, or a doc naming a variable that does not exist, misleads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from cycsrv.archetypes.registry import annotations, list_builtin

SPECS = list_builtin()
#: Keys Cyclus gives every state variable, and every resource buffer, in its annotations.
VAR_KEYS = {"alias", "doc", "index", "shape", "tooltip", "type", "uilabel"}
BUFFER_KEYS = {"capacity", "doc", "index", "shape", "type"}
#: snake_case words that are not variable names: the symbols of FuelFab's weight formula.
SYMBOLS = {"sigma_f", "sigma_a"}
#: a snake_case word standing alone (not part of `<prototype>_life_<n>` or `dormant_buying_*`)
SNAKE = re.compile(r"(?<![\w<>*])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w*<>])")


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def _first(value: Any) -> str:
    return next(_strings(value), "")


@pytest.fixture(scope="module")
def all_annotations() -> dict[str, dict[str, Any]]:
    return {spec: annotations(spec) for spec in SPECS}


def test_every_builtin_archetype_is_covered():
    assert len(SPECS) >= 19 and ":cycamore:Reactor" in SPECS and ":agents:Source" in SPECS


@pytest.mark.parametrize("spec", SPECS)
def test_the_archetype_has_a_doc(all_annotations, spec):
    doc = all_annotations[spec]["doc"]
    assert len(doc.split()) >= 5 and doc.endswith("."), doc


@pytest.mark.parametrize("spec", SPECS)
def test_every_variable_has_a_doc_and_cyclus_keys(all_annotations, spec):
    for name, var in all_annotations[spec]["vars"].items():
        if var["type"][0] == "cyclus::toolkit::ResBuf":
            assert BUFFER_KEYS <= set(var), name
            assert var["doc"].strip(), f"{spec} buffer {name} has no doc"
            continue
        assert VAR_KEYS <= set(var), name
        assert var["doc"].strip().endswith("."), f"{spec} {name}: {var['doc']!r}"
        assert _first(var["tooltip"]).strip() and _first(var["uilabel"]).strip(), f"{spec} {name}"


def test_docs_name_only_variables_that_exist(all_annotations):
    # names a doc may use: any built-in variable (docs point across archetypes, e.g. a Reactor's
    # power_name), the element names of container aliases, and categorical values
    known = set(SYMBOLS)
    for ann in all_annotations.values():
        for name, var in ann["vars"].items():
            known.add(name)
            known.update(_strings(var.get("alias")))
            known.update(_strings(var.get("categorical")))
    stale = set()
    for spec, ann in all_annotations.items():
        texts = [ann["doc"], *(v["doc"] for v in ann["vars"].values())]
        stale.update((spec, word) for text in texts for word in SNAKE.findall(text) if word not in known)
    assert sorted(stale) == []


def test_a_doc_naming_a_missing_variable_is_caught():
    assert SNAKE.findall("Uses in_commods and reorder_pointt; see dormant_buying_* and <p>_life_<n>.") == [
        "in_commods", "reorder_pointt"]
