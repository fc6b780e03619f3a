"""A client's unsent messages: its own replies in order, per-step broadcasts conflated.

A page that redraws slowly is a normal client. Broadcasts that repeat (heartbeats, the output
of repeating and initial actions) carry a key; a newer message with the key of one still
unsent replaces it, so the outbox never holds more than one message per stream. Per-step
streams are also paced: the next goes out once the client has read the last (a ping answered),
so a slow reader gets the newest table rather than a backlog sitting in socket buffers. Replies
to the client's own requests are never dropped: past `limit` of them the client is too slow
and is disconnected.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Hashable, Iterator

import attrs
import trio


@attrs.define(eq=False)
class Outbox:
    """One client's queue, drained by its writer task (`get`)."""

    #: replies (and unkeyed broadcasts) that may wait unsent before the client is dropped
    limit: int
    _pending: OrderedDict[Hashable, tuple[str, bool]] = attrs.field(factory=OrderedDict)
    _replies: int = 0
    _seq: Iterator[int] = attrs.field(factory=itertools.count)
    _changed: trio.Event = attrs.field(factory=trio.Event)
    closed: bool = False
    #: `trio.current_time()` when the message being sent started to wait on the client
    sending_since: float | None = None

    def put_nowait(self, message: str, key: Hashable | None = None, *, paced: bool = False) -> bool:
        """Queue a message (keyed: replacing the unsent one of that key); False if it would
        take the unsent replies past `limit` (the message is not queued). A `paced` message
        is sent only once the client has taken the one before (see `get`)."""
        if self.closed:
            return True
        if key is None:
            if self._replies >= self.limit:
                return False
            self._replies += 1
            slot: Hashable = (False, next(self._seq))
        else:
            # an unsent older one is replaced in its place in the queue (a stream that updates
            # often must not be pushed behind the others for ever)
            slot = (True, key)
        self._pending[slot] = (message, paced and key is not None)
        self._changed.set()
        return True

    async def get(self) -> tuple[str, bool]:
        """The oldest unsent message and whether it is paced (the writer then waits until the
        client has read it before sending more); `trio.EndOfChannel` once closed and drained."""
        while not self._pending:
            if self.closed:
                raise trio.EndOfChannel
            self._changed = trio.Event()
            await self._changed.wait()
        (keyed, _), item = self._pending.popitem(last=False)
        if not keyed:
            self._replies -= 1
        return item

    def close(self, *, discard: bool = False) -> None:
        """Take no more messages; `get` drains what is queued (nothing, with `discard`)."""
        self.closed = True
        if discard:
            self._pending.clear()
            self._replies = 0
        self._changed.set()
