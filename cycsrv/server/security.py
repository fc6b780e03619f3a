"""Access control for the websocket: a shared token, allowed origins, TLS, per-client rate limit.

Allowed origins stop other web pages, opened in a browser on this machine, from talking to the
server (cross-site websocket hijacking); a client that sends no `Origin` (not a browser) is let
through to the token check.

The token is compared in constant time. It may come as `Authorization: Bearer <token>` (scripts),
as the subprotocol `cycsrv.token.<base64url of the token>` (the dashboard: a browser cannot set
headers on a websocket, but it can offer subprotocols, and these are not written to access logs
the way URLs are), or as a `?token=` query parameter. A missing token is 401, a wrong one or a
foreign `Origin` is 403.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ssl
import urllib.parse
from collections.abc import Sequence
from pathlib import Path

import attrs
import trio
from trio_websocket import WebSocketRequest

HTTP_UNAUTHORIZED = 401
HTTP_FORBIDDEN = 403

#: The subprotocol the server selects when a client offers it. A browser fails a handshake in
#: which it offered subprotocols and the server selected none, so the dashboard offers this one
#: next to its token subprotocol (which is never selected, so never sent back).
SUBPROTOCOL = "cycsrv"
#: Start of the subprotocol that carries the token: `cycsrv.token.<base64url(token), no padding>`.
TOKEN_SUBPROTOCOL_PREFIX = "cycsrv.token."


@attrs.frozen
class AccessPolicy:
    """Who may open a websocket: holders of `token` (if set), from `origins` (if any)."""

    token: str | None = None
    origins: tuple[str, ...] = ()

    def refusal(self, request: WebSocketRequest) -> int | None:
        """The HTTP status to reject `request` with, or None to accept it."""
        headers = {k.lower(): v for k, v in request.headers}
        origin = headers.get(b"origin")
        # browsers always send Origin; other clients do not, and the token is what guards them
        if self.origins and origin is not None and origin.decode("latin-1") not in self.origins:
            return HTTP_FORBIDDEN
        if self.token is not None:
            given = _token_of(request.path, headers, request.proposed_subprotocols)
            if given is None:
                return HTTP_UNAUTHORIZED
            if not hmac.compare_digest(given.encode(), self.token.encode()):
                return HTTP_FORBIDDEN
        return None


def selected_subprotocol(request: WebSocketRequest) -> str | None:
    """The subprotocol to accept `request` with: `cycsrv` if offered, else none (as before)."""
    return SUBPROTOCOL if SUBPROTOCOL in request.proposed_subprotocols else None


def token_subprotocol(token: str) -> str:
    """The subprotocol that carries `token` (what the dashboard offers; for clients and tests)."""
    return TOKEN_SUBPROTOCOL_PREFIX + base64.urlsafe_b64encode(token.encode()).decode("ascii").rstrip("=")


def _token_of(path: str, headers: dict[bytes, bytes], subprotocols: Sequence[str]) -> str | None:
    """The token a handshake carries (header, then subprotocol, then query), or None."""
    auth = headers.get(b"authorization", b"").decode("latin-1")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    for protocol in subprotocols:
        if protocol.startswith(TOKEN_SUBPROTOCOL_PREFIX):
            encoded = protocol[len(TOKEN_SUBPROTOCOL_PREFIX):]
            try:
                return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode()
            except (binascii.Error, UnicodeDecodeError):
                return ""  # a token was sent but is garbled: wrong (403), not missing (401)
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    tokens = query.get("token")
    return tokens[0] if tokens else None


def read_token_file(path: str) -> str:
    """The token in `path` (surrounding whitespace dropped); an empty file is an error."""
    token = Path(path).read_text().strip()
    if not token:
        raise ValueError(f"token file {path} is empty")
    return token


def server_ssl_context(certfile: str, keyfile: str | None) -> ssl.SSLContext:
    """A TLS server context (TLS 1.2 or later) for `--certfile/--keyfile`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(certfile, keyfile)
    return context


@attrs.define
class RateLimiter:
    """A token bucket: `rate` messages per second on average, bursts of up to `burst`.

    `allow()` takes one token. A client that keeps sending with an empty bucket is cut off:
    `exhausted` becomes True once more than `burst` messages were refused since the bucket
    was last full.
    """

    rate: float
    burst: int
    tokens: float = attrs.field(init=False)
    refused: int = 0
    stamp: float = attrs.field(init=False, factory=trio.current_time)

    def __attrs_post_init__(self) -> None:
        self.tokens = float(self.burst)

    def allow(self) -> bool:
        now = trio.current_time()
        self.tokens = min(float(self.burst), self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= self.burst:
            self.refused = 0
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        self.refused += 1
        return False

    @property
    def exhausted(self) -> bool:
        return self.refused > self.burst
