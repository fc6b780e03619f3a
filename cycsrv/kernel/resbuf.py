"""`ResBuf`: a FIFO buffer of resources with a capacity (Cyclus's toolkit ResBuf)."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable
from typing import Generic, TypeVar

from cycsrv.kernel.resources import UNPACKAGED, Material, Product

R = TypeVar("R", Material, Product)


def squash(resources: list[R]) -> R:
    """Absorb every resource into the first (one history row per absorb)."""
    first = resources[0]
    for r in resources[1:]:
        first.absorb(r)  # type: ignore[arg-type]
    return first


def extract(r: R, qty: float) -> R:
    """Split `qty` off resource `r`."""
    if isinstance(r, Material):
        return r.extract_qty(qty)  # type: ignore[return-value]
    return r.extract(qty)  # type: ignore[return-value]


class ResBuf(Generic[R]):
    """Resources in arrival order; `pop` takes from the front, splitting the last one if needed.

    A `bulk` buffer absorbs every pushed resource into a single one. Unless
    `keep_packaging`, a pushed resource loses its package (becomes "unpackaged"), as in Cyclus.
    """

    def __init__(self, capacity: float = math.inf, *, bulk: bool = False, eps: float = 1e-6,
                 keep_packaging: bool = False) -> None:
        self.capacity = capacity
        self.bulk = bulk
        self.keep_packaging = keep_packaging
        self.eps = eps
        self._items: deque[R] = deque()
        self._present: set[int] = set()
        self._qty = 0.0

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self._items)

    def quantity(self) -> float:
        return self._qty

    def space(self) -> float:
        return max(0.0, self.capacity - self._qty)

    def empty(self) -> bool:
        return not self._items

    def count(self) -> int:
        return len(self._items)

    def push(self, r: R) -> None:
        if r.qty - self.space() > self.eps:
            raise ValueError(f"cannot push {r.qty} into a buffer with {self.space()} of space left")
        if id(r) in self._present:
            raise KeyError("duplicate resource pushed into a buffer")
        if self.bulk and self._items:
            self._items[0].absorb(r)  # type: ignore[arg-type]
        else:
            if not self.keep_packaging and r.package != UNPACKAGED:
                r.package = UNPACKAGED
            self._items.append(r)
            self._present.add(id(r))
        self._qty += r.qty
        self._update_qty()

    def push_all(self, rs: Iterable[R]) -> None:
        for r in rs:
            self.push(r)

    def _update_qty(self) -> None:
        n = len(self._items)
        if n == 0:
            self._qty = 0.0
        elif n == 1:
            self._qty = self._items[0].qty

    def pop_vector(self, qty: float) -> list[R]:
        """Pop `qty` from the front as a list of pieces; the last one is split off if needed."""
        if qty > self._qty + self.eps:
            raise ValueError(f"cannot pop {qty!r} from a buffer holding {self._qty!r}")
        out: list[R] = []
        left = qty
        items = self._items
        while left > 0 and items:
            r = items.popleft()
            quan = r.qty
            if quan > left:
                piece = extract(r, left)
                items.appendleft(r)
                r = piece
            else:
                self._present.discard(id(r))
            self._qty -= r.qty
            out.append(r)
            left -= quan
        self._update_qty()
        return out

    def pop(self, qty: float | None = None, eps: float | None = None) -> R:
        """Pop `qty` from the front as one resource (the front resource when `qty` is None).

        With `eps`, asking for up to `eps` more than the buffer holds returns everything.
        """
        if qty is None:
            return self.pop_front()
        if eps is not None:
            if qty > self._qty + eps:
                raise ValueError(f"cannot pop {qty!r} from a buffer holding {self._qty!r}")
            if qty >= self._qty:
                return squash(self.pop_n(len(self._items)))
        return squash(self.pop_vector(qty))

    def pop_n(self, n: int) -> list[R]:
        if n > len(self._items) or n < 0:
            raise ValueError(f"cannot pop {n} resources from a buffer holding {len(self._items)}")
        out = []
        for _ in range(n):
            r = self._items.popleft()
            self._qty -= r.qty
            self._present.discard(id(r))
            out.append(r)
        self._update_qty()
        return out

    def pop_front(self) -> R:
        if not self._items:
            raise ValueError("cannot pop from an empty buffer")
        r = self._items.popleft()
        self._present.discard(id(r))
        self._qty -= r.qty
        self._update_qty()
        return r

    def pop_back(self) -> R:
        if not self._items:
            raise ValueError("cannot pop from an empty buffer")
        r = self._items.pop()
        self._present.discard(id(r))
        self._qty -= r.qty
        self._update_qty()
        return r

    def peek(self) -> R:
        return self._items[0]

    def peek_back(self) -> R:
        return self._items[-1]

    def items(self) -> list[R]:
        return list(self._items)

    def decay(self, time: int | None = None) -> None:
        """Decay every material held to `time` (default: now), as Cyclus's `ResBuf::Decay`."""
        for r in self._items:
            if not isinstance(r, Material):
                raise TypeError(f"cannot decay resource type {r.resource_type}")
            r.decay(time)
