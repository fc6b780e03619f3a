"""Imports point down only: no import cycles in cycsrv, and the kernel reads bottom-up.

Run-time imports count wherever they sit (module level or inside a function); imports under
`if TYPE_CHECKING:` do not, since they never run.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import cycsrv

ROOT = Path(cycsrv.__file__).parent

#: Kernel modules from the bottom up; a module may import (even indirectly) only modules of
#: lower layers. A new kernel module need not be listed: it is checked through whatever
#: imports it, and by the cycle test.
KERNEL_LAYERS: list[set[str]] = [
    {"nucname", "random", "symbolic", "tables", "statevar", "recorder"},
    {"nucdata", "decay", "infile", "snapshot"},
    {"config"},
    {"resources"},
    {"resbuf", "packaging"},
    {"context"},
    {"agent"},
    {"exchange", "inventory"},
    {"timer", "policies"},
    {"simulation"},
]


def module_name(path: Path, root: Path) -> str:
    parts = [root.name, *path.relative_to(root).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(node: ast.AST, package: str, typing: bool = False) -> Iterator[str]:
    """Dotted names a module imports at run time (with `typing`, also under `if TYPE_CHECKING:`),
    `from X import a` giving both `X` and `X.a`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test) and not typing:
            for stmt in child.orelse:
                yield from _imports(stmt, package)
            continue
        if isinstance(child, ast.Import):
            yield from (alias.name for alias in child.names)
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:
                anchor = package.rsplit(".", child.level - 1)[0] if child.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in child.names)
        else:
            yield from _imports(child, package, typing)


def import_graph(root: Path, typing: bool = False) -> dict[str, set[str]]:
    """Each module of the package at `root` -> the package's modules it imports at run time
    (with `typing`, also those imported for type hints only)."""
    paths = {module_name(p, root): p for p in sorted(root.rglob("*.py"))}
    graph: dict[str, set[str]] = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        found = set(_imports(ast.parse(path.read_text(), str(path)), package, typing))
        graph[name] = {m for m in found if m in paths and m != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    """Modules `start` imports, directly or through others."""
    seen: set[str] = set()
    todo = list(graph.get(start, ()))
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo.extend(graph.get(m, ()))
    return seen


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(ROOT)


def test_cycsrv_has_no_import_cycles(graph):
    assert cycles(graph) == []


@pytest.mark.parametrize(("lower", "upper"), [
    ("cycsrv.server.cli", "cycsrv.cli"),
    ("cycsrv.store.schema", "cycsrv.store.arrow"),
    ("cycsrv.kernel.resources", "cycsrv.kernel.context"),
    ("cycsrv.kernel.context", "cycsrv.kernel.agent"),
    ("cycsrv.kernel.agent", "cycsrv.kernel.exchange"),
])
def test_lower_module_does_not_import_upper(graph, lower, upper):
    assert lower in graph and upper in graph
    assert upper not in reachable(graph, lower)


def test_kernel_reads_bottom_up(graph):
    rank = {f"cycsrv.kernel.{m}": i for i, layer in enumerate(KERNEL_LAYERS) for m in layer}
    missing = sorted(m for m in rank if m not in graph)
    assert not missing, f"KERNEL_LAYERS names modules that do not exist: {missing}"
    upward = sorted(
        (m, up) for m, r in rank.items() for up in reachable(graph, m) if rank.get(up, -1) >= r)
    assert upward == []


def test_resources_need_nothing_above_them_even_for_type_hints():
    typed = import_graph(ROOT, typing=True)
    kernel = {m for m in typed["cycsrv.kernel.resources"] if m.startswith("cycsrv.kernel.")}
    assert kernel <= {"cycsrv.kernel.tables", "cycsrv.kernel.nucdata", "cycsrv.kernel.decay", "cycsrv.kernel.recorder"}


def test_kernel_and_store_import_nothing_from_the_front_ends(graph):
    fronts = ("cycsrv.cli", "cycsrv.server", "cycsrv.compat", "cycsrv.sweep")
    bad = sorted(
        (m, up) for m in graph if m.startswith(("cycsrv.kernel", "cycsrv.store"))
        for up in graph[m] if up.startswith(fronts))
    assert bad == []


def test_the_graph_sees_function_imports_and_skips_type_checking_blocks(tmp_path):
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "low.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.high import H\n"
        "def f():\n    from . import mid\n")
    (pkg / "mid.py").write_text("import typing\nif typing.TYPE_CHECKING:\n    import pkg.low\nelse:\n    pass\n")
    (pkg / "high.py").write_text("class H:\n    def g(self):\n        from pkg.low import f\n")
    g = import_graph(pkg)
    assert g == {"pkg": set(), "pkg.low": {"pkg", "pkg.mid"}, "pkg.mid": set(), "pkg.high": {"pkg.low"}}
    typed = import_graph(pkg, typing=True)
    assert typed["pkg.low"] == {"pkg", "pkg.mid", "pkg.high"} and typed["pkg.mid"] == {"pkg.low"}
    assert cycles(g) == []
    g["pkg.mid"].add("pkg.high")
    assert cycles(g) == [["pkg.high", "pkg.low", "pkg.mid"]]
    assert reachable(g, "pkg.low") == {"pkg", "pkg.mid", "pkg.high", "pkg.low"}
