"""A small HTTP/1.1 server for the dashboard: the package's static files plus `/config.json`.

The dashboard is a static page that talks to the simulation only over the public websocket
protocol, so this server knows nothing about simulations. It answers GET and HEAD for the files
shipped in `cycsrv/server/static/` (looked up in a fixed index built at start, so no request path
can reach anything else) and for `/config.json`, which tells the page where the websocket is.
One request per connection; the request head is bounded in size and in time.
"""

from __future__ import annotations

import hashlib
import importlib.resources
import socket
from collections.abc import Iterator, Sequence
from importlib.resources.abc import Traversable
from urllib.parse import unquote, urlsplit

import attrs
import orjson
import trio

#: Largest request head (request line + headers) accepted, in bytes.
MAX_HEAD_BYTES = 16 * 1024
#: Seconds a client has to send its whole request head.
HEAD_TIMEOUT = 10.0
#: Seconds a client has to take the response before the connection is dropped.
SEND_TIMEOUT = 30.0

CONTENT_TYPES: dict[str, str] = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".LICENSE": "text/plain; charset=utf-8",
}

#: The page loads only its own scripts and styles and connects only to websockets.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
    "style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

REASONS: dict[int, str] = {
    200: "OK",
    304: "Not Modified",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    505: "HTTP Version Not Supported",
}


@attrs.frozen
class StaticFile:
    """One file the server can answer with: its bytes, content type and entity tag."""

    body: bytes
    content_type: str
    etag: str


@attrs.frozen
class Request:
    """The parts of a request head the server looks at."""

    method: str
    path: str
    headers: dict[str, str]


class BadRequest(Exception):
    """A request the server refuses; carries the HTTP status to answer with."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def content_type(name: str) -> str:
    """The Content-Type for a file name, by its extension."""
    for suffix, ctype in CONTENT_TYPES.items():
        if name.endswith(suffix):
            return ctype
    return "application/octet-stream"


def static_root() -> Traversable:
    """The dashboard's static directory inside the installed package."""
    return importlib.resources.files("cycsrv.server").joinpath("static")


def _walk(folder: Traversable, prefix: str) -> Iterator[tuple[str, Traversable]]:
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.startswith(".") or entry.name == "__pycache__":
            continue
        if entry.is_dir():
            yield from _walk(entry, f"{prefix}{entry.name}/")
        elif entry.is_file():
            yield f"{prefix}{entry.name}", entry


def _static_file(body: bytes, name: str) -> StaticFile:
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return StaticFile(body=body, content_type=content_type(name), etag=etag)


def load_site(ws_url: str, root: Traversable | None = None) -> dict[str, StaticFile]:
    """Every URL path the server answers, mapped to its file: the static tree plus `/config.json`.

    Building this index once is what rules out path traversal: a request is a dictionary lookup.
    """
    site = {f"/{name}": _static_file(entry.read_bytes(), name) for name, entry in _walk(root or static_root(), "")}
    if "/index.html" in site:
        site["/"] = site["/index.html"]
    site["/config.json"] = _static_file(orjson.dumps({"ws_url": ws_url}), "config.json")
    return site


def parse_head(head: bytes) -> Request:
    """Parse a request head (without the final blank line); raises `BadRequest` when malformed."""
    try:
        text = head.decode("ascii")
    except UnicodeDecodeError:
        raise BadRequest(400, "request head is not ASCII") from None
    lines = text.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise BadRequest(400, "malformed request line")
    method, target, version = parts
    if not version.startswith("HTTP/1."):
        raise BadRequest(505, f"unsupported version {version!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400, "malformed header line")
        headers[name.lower()] = value.strip()
    if not target.startswith("/"):
        raise BadRequest(400, "request target must be an absolute path")
    return Request(method=method, path=unquote(urlsplit(target).path), headers=headers)


def render_response(status: int, headers: dict[str, str], body: bytes, *, send_body: bool = True) -> bytes:
    """The bytes of a complete response; every response closes the connection."""
    head = [f"HTTP/1.1 {status} {REASONS[status]}"]
    all_headers = {
        **headers,
        "Content-Length": str(len(body)),
        "Connection": "close",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }
    head.extend(f"{name}: {value}" for name, value in all_headers.items())
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + (body if send_body else b"")


def respond(site: dict[str, StaticFile], request: Request) -> bytes:
    """The response to one parsed request."""
    if request.method not in ("GET", "HEAD"):
        return render_response(405, {"Allow": "GET, HEAD", "Content-Type": "text/plain; charset=utf-8"},
                               b"only GET and HEAD are allowed\n")
    found = site.get(request.path)
    if found is None:
        return render_response(404, {"Content-Type": "text/plain; charset=utf-8"}, b"not found\n",
                               send_body=request.method == "GET")
    headers = {
        "Content-Type": found.content_type,
        "ETag": found.etag,
        "Cache-Control": "no-cache",
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    }
    if request.headers.get("if-none-match") == found.etag:
        return render_response(304, headers, b"", send_body=False)
    return render_response(200, headers, found.body, send_body=request.method == "GET")


async def receive_head(stream: trio.abc.Stream) -> bytes:
    """Read up to the blank line ending the request head; raises `BadRequest` past the size limit."""
    buffer = bytearray()
    while True:
        end = buffer.find(b"\r\n\r\n")
        if end > MAX_HEAD_BYTES or (end < 0 and len(buffer) > MAX_HEAD_BYTES):
            raise BadRequest(431, "request head too large")
        if end >= 0:
            return bytes(buffer[:end])
        chunk = await stream.receive_some(4096)
        if not chunk:
            raise BadRequest(400, "connection closed before the request head ended")
        buffer += chunk


async def handle_connection(site: dict[str, StaticFile], stream: trio.abc.Stream) -> None:
    """Answer one request on `stream`, then close it."""
    async with stream:
        try:
            with trio.fail_after(HEAD_TIMEOUT):
                response = respond(site, parse_head(await receive_head(stream)))
        except BadRequest as exc:
            response = render_response(exc.status, {"Content-Type": "text/plain; charset=utf-8"},
                                       f"{exc}\n".encode())
        except trio.TooSlowError:
            response = render_response(408, {"Content-Type": "text/plain; charset=utf-8"}, b"request timeout\n")
        except trio.BrokenResourceError:
            return
        with trio.move_on_after(SEND_TIMEOUT):
            try:
                await stream.send_all(response)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                return


async def serve_dashboard(
    host: str, port: int, ws_url: str, *, sockets: Sequence[socket.socket] = (),
    task_status: trio.TaskStatus[list[trio.SocketListener]] = trio.TASK_STATUS_IGNORED
) -> None:
    """Serve the dashboard on `host:port` (or on listening `sockets` passed by systemd) until
    cancelled; `ws_url` is what `/config.json` tells the page.

    With `nursery.start`, returns the listeners once they accept connections (port 0 picks a free port).
    """
    site = load_site(ws_url)

    async def handler(stream: trio.SocketStream) -> None:
        await handle_connection(site, stream)

    if sockets:
        listeners = [trio.SocketListener(trio.socket.from_stdlib_socket(s)) for s in sockets]
        await trio.serve_listeners(handler, listeners, task_status=task_status)
    else:
        await trio.serve_tcp(handler, port, host=host, task_status=task_status)
