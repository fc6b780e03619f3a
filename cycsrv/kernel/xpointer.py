"""XPointer for xi:include: which parts of an included document go in (as libxml2, Cyclus's parser, reads them).

A pointer is a bare name (the element whose ``xml:id`` or ``id`` is that name) or a sequence of
scheme parts tried in order until one selects something: ``xmlns(p=uri)`` binds a prefix for
the parts after it, ``element(/1/2)`` / ``element(name/3)`` walks element children by position,
``xpointer(expr)`` and ``xpath1(expr)`` evaluate an XPath 1.0 expression
(``xpointer(//source_w_archetype/*)``). Parts of an unknown scheme are skipped, as the XPointer
framework says. ``^`` escapes ``(``, ``)`` and ``^`` inside a part.
"""

from __future__ import annotations

import re
from typing import Any

from lxml import etree

_NAME = re.compile(r"[A-Za-z_][\w.\-]*(?::[A-Za-z_][\w.\-]*)?")


class XPointerError(ValueError):
    """A pointer that cannot be read or evaluated; the message says why."""


def split_parts(pointer: str) -> list[tuple[str, str]]:
    """``"xmlns(a=u) xpointer(//a:x)"`` -> ``[("xmlns", "a=u"), ("xpointer", "//a:x")]``."""
    parts: list[tuple[str, str]] = []
    pos, n = 0, len(pointer)
    while pos < n:
        if pointer[pos].isspace():
            pos += 1
            continue
        m = _NAME.match(pointer, pos)
        if m is None or m.end() >= n or pointer[m.end()] != "(":
            raise XPointerError(f"expected scheme(...) at {pointer[pos:]!r}")
        scheme, pos, depth, data = m.group(), m.end() + 1, 1, []
        while True:
            if pos >= n:
                raise XPointerError(f"unbalanced parentheses in {scheme}(...)")
            c = pointer[pos]
            if c == "^":
                if pos + 1 >= n or pointer[pos + 1] not in "()^":
                    raise XPointerError(f"'^' must escape '(', ')' or '^' in {scheme}(...)")
                data.append(pointer[pos + 1])
                pos += 2
                continue
            if c == "(":
                depth += 1
            elif c == ")":
                depth -= 1
                if depth == 0:
                    pos += 1
                    break
            data.append(c)
            pos += 1
        parts.append((scheme, "".join(data)))
    if not parts:
        raise XPointerError("empty xpointer")
    return parts


def _by_id(root: Any, name: str) -> list[Any]:
    return root.xpath("//*[@xml:id=$n or @id=$n]", n=name)[:1]


def _element_scheme(root: Any, data: str) -> list[Any]:
    steps = data.split("/")
    if steps[0]:
        node = next(iter(_by_id(root, steps[0])), None)
        if node is None:
            return []
        children: list[Any] = [node]
    else:
        node, children = None, [root]  # the document: its one child is the root element
    for step in steps[1:]:
        if not step.isdigit() or int(step) < 1:
            raise XPointerError(f"element({data}): {step!r} is not a child position (1, 2, ...)")
        if node is not None:
            children = [c for c in node if isinstance(c.tag, str)]
        if int(step) > len(children):
            return []
        node = children[int(step) - 1]
    return [] if node is None else [node]


def _xpath(root: Any, expr: str, namespaces: dict[str, str]) -> list[Any]:
    try:
        result = root.getroottree().xpath(expr, namespaces=namespaces)
    except etree.XPathError as exc:
        raise XPointerError(f"bad XPath {expr!r}: {exc}") from None
    if isinstance(result, (bool, float)):
        raise XPointerError(f"XPath {expr!r} gives a {type(result).__name__}, not nodes")
    if isinstance(result, str):
        return [str(result)]
    return list(result)


def select(root: Any, pointer: str) -> list[Any]:
    """The nodes of the document whose root element is `root` that `pointer` names, in order.

    Elements (and comments) are the document's own nodes; text results (``text()``,
    attributes) are strings. An empty list means nothing was selected.
    """
    if _NAME.fullmatch(pointer.strip()) and ":" not in pointer:
        nodes = _by_id(root, pointer.strip())
    else:
        nodes = []
        namespaces: dict[str, str] = {}
        for scheme, data in split_parts(pointer):
            if scheme == "xmlns":
                prefix, eq, uri = data.partition("=")
                if not eq or not prefix.strip():
                    raise XPointerError(f"xmlns({data}) must be xmlns(prefix=uri)")
                namespaces[prefix.strip()] = uri.strip()
            elif scheme == "element":
                nodes = _element_scheme(root, data)
            elif scheme in ("xpointer", "xpath1"):
                nodes = _xpath(root, data, namespaces)
            else:
                continue
            if nodes:
                break
    out: list[Any] = []
    for node in nodes:
        if isinstance(node, str):
            out.append(str(node))
        elif isinstance(node, etree._Element):
            out.append(node)
        else:
            raise XPointerError(f"xpointer {pointer!r} selects a {type(node).__name__}, which cannot be included")
    return out
