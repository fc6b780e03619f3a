"""The wire protocol of `cyclus.server`: event names, parameter shapes, JSON encoding.

Messages are JSON objects with an `event` name, optional `params` and `data`. Replies keep
the original server's key order (`event`, `params`, `data`); heartbeats keep its spaced form.
A message that cannot be understood becomes an `error` event, never a closed connection.
"""

from __future__ import annotations

import math
import typing
from typing import Any, Literal

import attrs
import cattrs
import orjson

#: Events a client may send, handled by the action consumer.
ACTION_EVENTS = frozenset({
    "agent_annotations", "deregister_tables", "echo", "load", "pause", "register_tables",
    "registry_request", "sleep", "table_data", "table_names_request",
})
#: Events handled by the monitor, so they never wait behind a paused or busy action queue.
MONITOR_EVENTS = frozenset({"unpause", "shutdown"})
EVENTS = ACTION_EVENTS | MONITOR_EVENTS

ORIENTS = ("split", "records", "index", "columns", "values", "table")
MAX_SLEEP = 3600.0


class ProtocolError(Exception):
    """A message the server cannot act on; becomes an `error` event."""

    def __init__(self, message: str, params: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


@attrs.frozen
class TablesParams:
    tables: list[str]


@attrs.frozen
class ShutdownParams:
    when: Literal["empty", "now"] = "empty"


@attrs.frozen
class SpecParams:
    spec: str


@attrs.frozen
class EchoParams:
    s: str


@attrs.frozen
class SleepParams:
    n: float = attrs.field()

    @n.validator
    def _check(self, _attr: Any, value: float) -> None:
        if not (0 <= value <= MAX_SLEEP) or math.isnan(value):
            raise ValueError(f"n must be between 0 and {MAX_SLEEP:g} seconds, got {value!r}")


@attrs.frozen
class TableDataParams:
    table: str
    conds: list[list[Any]] | None = None
    orient: str = attrs.field(default="split")

    @orient.validator
    def _check(self, _attr: Any, value: str) -> None:
        if value not in ORIENTS:
            raise ValueError(f"orient must be one of {', '.join(ORIENTS)}, got {value!r}")


#: Parameter model of each event (None: the event takes no parameters).
PARAMS: dict[str, type | None] = {
    "agent_annotations": SpecParams,
    "deregister_tables": TablesParams,
    "echo": EchoParams,
    "load": None,
    "pause": None,
    "register_tables": TablesParams,
    "registry_request": None,
    "shutdown": ShutdownParams,
    "sleep": SleepParams,
    "table_data": TableDataParams,
    "table_names_request": None,
    "unpause": None,
}

_converter = cattrs.Converter(forbid_extra_keys=True)


def _strict_str(value: Any, _type: Any) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {json_type(value)}")
    return value


def _strict_float(value: Any, _type: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"expected a number, got {json_type(value)}")
    return float(value)


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {int: "a number", float: "a number", str: "a string", list: "an array", dict: "an object"}.get(
        type(value), type(value).__name__)


def _strict_list(type_: Any) -> Any:
    (item,) = typing.get_args(type_) or (Any,)

    def structure(value: Any, _type: Any) -> list[Any]:
        if not isinstance(value, list):
            raise TypeError(f"expected an array, got {json_type(value)}")
        return [v if item is Any else _converter.structure(v, item) for v in value]

    return structure


_converter.register_structure_hook(str, _strict_str)
_converter.register_structure_hook(float, _strict_float)
_converter.register_structure_hook_factory(lambda t: typing.get_origin(t) is list, _strict_list)


@attrs.frozen
class Request:
    """A parsed client (or CLI) event: its name, validated params, and the params as sent."""

    event: str
    params: Any
    raw_params: Any


def _describe(exc: BaseException) -> str:
    """The leaf messages of a (possibly grouped) validation error."""
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(e) for e in exc.exceptions)
    if isinstance(exc, KeyError):
        return f"missing {exc.args[0]!r}"
    notes = getattr(exc, "__notes__", None)
    where = f" ({notes[0]})" if notes else ""
    return f"{exc}{where}"


def make_request(event: Any, raw_params: Any) -> Request:
    """Validate an event name and its params; ProtocolError says what is wrong."""
    if not isinstance(event, str):
        raise ProtocolError(f"'event' must be a string naming one of: {', '.join(sorted(EVENTS))}", raw_params)
    if event not in EVENTS:
        raise ProtocolError(f"unknown event {event!r}; known events: {', '.join(sorted(EVENTS))}", raw_params)
    model = PARAMS[event]
    if model is None:
        if raw_params not in (None, {}):
            raise ProtocolError(f"event {event!r} takes no params", raw_params)
        return Request(event, None, raw_params)
    if raw_params is None and event == "shutdown":
        raw_params = {}
    if not isinstance(raw_params, dict):
        raise ProtocolError(f"event {event!r} needs 'params' as an object", raw_params)
    try:
        params = _converter.structure(raw_params, model)
    except (cattrs.BaseValidationError, ValueError, TypeError) as exc:
        raise ProtocolError(f"bad params for {event!r}: {_describe(exc)}", raw_params) from None
    return Request(event, params, raw_params)


def parse_message(text: str | bytes) -> Request:
    """Parse one websocket message into a `Request`."""
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(f"message is not valid JSON: {exc}") from None
    if not isinstance(obj, dict):
        raise ProtocolError("message must be a JSON object with an 'event' key")
    if "event" not in obj:
        raise ProtocolError("message has no 'event' key", obj.get("params"))
    return make_request(obj["event"], obj.get("params"))


def _json(value: Any) -> str:
    return orjson.dumps(value).decode()


def encode(event: str, params: Any = None, data: Any = None, *, raw_data: str | None = None) -> str:
    """`{"event":...,"params":...,"data":...}`; `raw_data` is JSON text inserted as is."""
    body = raw_data if raw_data is not None else _json(data)
    return f'{{"event":{_json(event)},"params":{_json(params)},"data":{body}}}'


def heartbeat(period: float) -> str:
    """The heartbeat event; `data` is the time to the next one, in seconds."""
    value = int(period) if float(period).is_integer() else period
    return f'{{"event": "heartbeat", "data": {_json(value)}}}'


def error(message: str, params: Any = None, event: str | None = None) -> str:
    """An `error` event: what went wrong, with the params that were sent."""
    data: dict[str, Any] = {"message": message}
    if event is not None:
        data["event"] = event
    return encode("error", params, data)
