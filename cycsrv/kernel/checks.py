"""Input checks a run would otherwise only fail at its first time steps, with file and line.

`check_input(path)` is what `cycsrv validate` reports and what `cycsrv serve` refuses to
start on: the input's structure and values (by loading it, with no output), then the names
it refers to across prototypes — today, recipes. An archetype says which of its parameters
name a recipe through the `uitype` of its `StateVar` (``recipe``, ``inrecipe``,
``outrecipe``, also inside containers: ``["oneormore", "inrecipe"]``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from cycsrv.archetypes.registry import load_archetype
from cycsrv.kernel.agent import Agent
from cycsrv.kernel.config import _element_name, read_config
from cycsrv.kernel.infile import InputError, PrototypeSpec, SimSpec, load_input, location_of
from cycsrv.kernel.simulation import Simulation
from cycsrv.kernel.statevar import CyclusType, StateVar

RECIPE_UITYPES = frozenset({"recipe", "inrecipe", "outrecipe"})
_SEQUENCES = ("std::vector", "std::list", "std::set")


def check_input(path: str | os.PathLike[str]) -> list[InputError]:
    """Every problem found in the input at `path` before a run (empty: it is good to run):
    the references (`check_references`), then whatever building the initial agents finds."""
    problems = check_references(path)
    if problems:
        return problems
    try:
        Simulation.from_file(path).close()
    except InputError as exc:
        return [exc]
    except Exception as exc:  # an archetype refusing its configuration when built
        return [InputError(str(path), 0, f"building the initial agents failed: {exc}")]
    return []


def check_references(path: str | os.PathLike[str]) -> list[InputError]:
    """The input's structure and values, and the names its prototypes refer to, without
    building any agent (an archetype may refuse an unknown recipe as it is built)."""
    try:
        spec = load_input(path)
        base = Path(spec.path).resolve().parent
        archetypes = {}
        for ref in spec.archetypes:
            try:
                archetypes[ref.spec] = load_archetype(ref.path, ref.lib, ref.name, base_dir=base)
            except KeyError as exc:
                loc = ref.location
                raise InputError(loc.file if loc else spec.path, loc.line if loc else 0, str(exc.args[0])) from None
        return undefined_recipes(spec, archetypes)
    except InputError as exc:
        return [exc]


def undefined_recipes(spec: SimSpec, archetypes: Mapping[str, type[Agent]]) -> list[InputError]:
    """A located error for each recipe name a prototype's parameters use that `spec` lacks."""
    defined = {r.name for r in spec.recipes}
    problems = []
    for proto in spec.prototypes:
        cls = archetypes[spec.archetype_ref(proto.archetype).spec]
        values = read_config(proto, cls.state_vars)
        for name, var in cls.state_vars.items():
            if name not in values:
                continue
            for recipe in recipe_names(values[name], var.type, var.uitype):
                if recipe not in defined:
                    problems.append(_located(proto, name, var, recipe, defined))
    return problems


def recipe_names(value: Any, t: CyclusType, uitype: Any) -> Iterator[str]:
    """The non-empty recipe names in a variable's value, by the positions its `uitype` marks."""
    if isinstance(t, str):
        if uitype in RECIPE_UITYPES and isinstance(value, str) and value:
            yield value
        return
    marks = [uitype] if isinstance(uitype, str) or uitype is None else list(uitype)
    marks += [None] * (len(t) - len(marks))
    head = t[0]
    if head in _SEQUENCES:
        for item in value:
            yield from recipe_names(item, t[1], marks[1])
    elif head == "std::pair":
        yield from recipe_names(value[0], t[1], marks[1])
        yield from recipe_names(value[1], t[2], marks[2])
    elif head == "std::map":
        for key, item in value.items():
            yield from recipe_names(key, t[1], marks[1])
            yield from recipe_names(item, t[2], marks[2])


def _located(proto: PrototypeSpec, name: str, var: StateVar, recipe: str, defined: set[str]) -> InputError:
    """The error at the element holding `recipe` (the prototype's, for a default value)."""
    loc = proto.location
    tag = _element_name(var.alias, name)
    for holder in proto.config.iter(tag):
        for el in holder.iter():
            if len(el) == 0 and (el.text or "").strip() == recipe:
                loc = location_of(el)
                break
        break
    known = ", ".join(repr(r) for r in sorted(defined)) or "none"
    return InputError(loc.file, loc.line, f"prototype {proto.name!r}: {name} names recipe {recipe!r}, which "
                                          f"the input does not define (recipes defined: {known})")
