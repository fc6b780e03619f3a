"""Line numbers of the keys in a TOML file, so sweep-file errors can say FILE:LINE (tomllib keeps none)."""

from __future__ import annotations

import re

import attrs

_HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\-\"' ]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"""\s*("(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_\-]+)\s*=""")
_STRINGS = re.compile(r'"""|\'\'\'|"(?:[^"\\]|\\.)*"|\'[^\']*\'|#.*')


@attrs.frozen
class KeyLines:
    """Where each table and key of one TOML document starts.

    Tables are named by their header (`"sample"`, `"parameter"`) and, for arrays of tables,
    their 0-based position; `""` is the top level.
    """

    tables: dict[tuple[str, int], int]
    keys: dict[tuple[str, int, str], int]

    def table(self, name: str, index: int = 0) -> int:
        """The line of `[name]` (or the `index`-th `[[name]]`); 0 if it is not there."""
        return self.tables.get((name, index), 0)

    def key(self, table: str, index: int, key: str) -> int:
        """The line of `key = ...` in that table (or of a top-level `[key]` table), else the table's own line."""
        found = self.keys.get((table, index, key))
        if not found and not table:
            found = self.tables.get((key, 0))
        return found or self.table(table, index)


def key_lines(text: str) -> KeyLines:
    """Scan `text` for table headers and `key =` lines at nesting depth 0."""
    tables: dict[tuple[str, int], int] = {("", 0): 1}
    keys: dict[tuple[str, int, str], int] = {}
    counts: dict[str, int] = {}
    current = ("", 0)
    depth = 0  # open [ and { of multi-line values
    in_string: str | None = None  # the quote of a multi-line string we are inside
    for lineno, line in enumerate(text.splitlines(), start=1):
        rest = line
        if in_string is not None:
            end = rest.find(in_string)
            if end < 0:
                continue
            rest = rest[end + 3:]
            in_string = None
        elif depth == 0:
            header = _HEADER.match(line)
            if header:
                name = header.group(2).replace('"', "").replace("'", "").strip()
                if header.group(1) == "[[":
                    index = counts.get(name, -1) + 1
                    counts[name] = index
                else:
                    index = 0
                current = (name, index)
                tables.setdefault(current, lineno)
                continue
            key = _KEY.match(line)
            if key:
                keys.setdefault((*current, key.group(1).strip("\"'")), lineno)
                rest = line[key.end():]
        depth, in_string = _scan(rest, depth)
    return KeyLines(tables, keys)


def _scan(rest: str, depth: int) -> tuple[int, str | None]:
    """Bracket depth after `rest`, and the quote of a multi-line string left open in it."""
    pos = 0
    while pos < len(rest):
        m = _STRINGS.search(rest, pos)
        chunk = rest[pos:m.start()] if m else rest[pos:]
        depth += chunk.count("[") + chunk.count("{") - chunk.count("]") - chunk.count("}")
        if not m:
            break
        token = m.group(0)
        if token.startswith("#"):
            break
        if token in ('"""', "'''"):
            end = rest.find(token, m.end())
            if end < 0:
                return max(depth, 0), token
            pos = end + 3
            continue
        pos = m.end()
    return max(depth, 0), None
