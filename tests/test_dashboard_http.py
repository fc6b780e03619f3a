"""The dashboard's static HTTP server, exercised over a real socket."""

from __future__ import annotations

import re

import orjson
import pytest
import trio

from cycsrv.server import http
from cycsrv.server.http import serve_dashboard

WS_URL = "ws://127.0.0.1:4242"


@pytest.fixture
async def port(nursery):
    listeners = await nursery.start(serve_dashboard, "127.0.0.1", 0, WS_URL)
    return listeners[0].socket.getsockname()[1]


async def exchange(port: int, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw request bytes, read until the server closes; returns status, headers, body."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(raw)
        data = bytearray()
        while chunk := await stream.receive_some(65536):
            data += chunk
    head, _, body = bytes(data).partition(b"\r\n\r\n")
    lines = head.decode("ascii").split("\r\n")
    status = int(lines[0].split(" ")[1])
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return status, headers, body


async def get(port: int, path: str, method: str = "GET", extra: str = "") -> tuple[int, dict[str, str], bytes]:
    return await exchange(port, f"{method} {path} HTTP/1.1\r\nHost: x\r\n{extra}\r\n".encode())


async def test_index_page_is_served_at_root(port):
    status, headers, body = await get(port, "/")
    assert status == 200
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert int(headers["content-length"]) == len(body)
    assert b"<title>cycsrv" in body
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"
    assert (await get(port, "/index.html"))[2] == body


async def test_config_json_gives_the_websocket_url(port):
    status, headers, body = await get(port, "/config.json")
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert orjson.loads(body) == {"ws_url": WS_URL}


async def test_every_asset_the_page_references_is_served_with_its_type(port):
    _, _, page = await get(port, "/")
    refs = re.findall(rb'(?:src|href)="([^"#]+)"', page)
    assert refs, "the page references its scripts and styles"
    expected = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".LICENSE": "text/plain"}
    for ref in refs:
        path = "/" + ref.decode().lstrip("./")
        status, headers, body = await get(port, path)
        assert status == 200, path
        assert body
        suffix = path[path.rfind("."):]
        assert headers["content-type"].startswith(expected[suffix]), path


async def test_module_imports_resolve(port):
    """Every `import ... from "./x.js"` in the page's modules names a file the server has."""
    site = http.load_site(WS_URL)
    scripts = [p for p in site if p.startswith("/js/")]
    assert scripts
    for path in scripts:
        for target in re.findall(rb'from\s+"\./([^"]+)"', site[path].body):
            status, _, _ = await get(port, "/js/" + target.decode())
            assert status == 200, (path, target)


async def test_vendored_plotting_library_ships_with_its_license(port):
    status, headers, body = await get(port, "/vendor/uPlot.iife.min.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript")
    assert b"uPlot" in body
    status, _, license_text = await get(port, "/vendor/uPlot.LICENSE")
    assert status == 200 and b"MIT License" in license_text


async def test_head_sends_headers_without_body(port):
    _, get_headers, get_body = await get(port, "/config.json")
    status, headers, body = await get(port, "/config.json", method="HEAD")
    assert status == 200
    assert body == b""
    assert headers["content-length"] == str(len(get_body)) == get_headers["content-length"]


async def test_etag_revalidation_answers_not_modified(port):
    _, headers, _ = await get(port, "/")
    status, _, body = await get(port, "/", extra=f"If-None-Match: {headers['etag']}\r\n")
    assert status == 304 and body == b""


async def test_query_string_is_ignored(port):
    assert (await get(port, "/config.json?v=3"))[0] == 200


async def test_unknown_path_is_404(port):
    assert (await get(port, "/nope.html"))[0] == 404


@pytest.mark.parametrize("path", [
    "/../http.py",
    "/%2e%2e/http.py",
    "/js/../../http.py",
    "/..%2fhttp.py",
    "/static/index.html",
    "//etc/passwd",
    "/%2fetc%2fpasswd",
    "/vendor/",
    "/js",
])
async def test_paths_outside_the_static_files_are_not_served(port, path):
    status, _, body = await get(port, path)
    assert status == 404
    assert b"import" not in body


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "OPTIONS"])
async def test_other_methods_are_refused(port, method):
    status, headers, _ = await get(port, "/", method=method)
    assert status == 405
    assert headers["allow"] == "GET, HEAD"


@pytest.mark.parametrize("raw, expected", [
    (b"GET /\r\n\r\n", 400),
    (b"GET / HTTP/2.0\r\n\r\n", 505),
    (b"GET http://evil/ HTTP/1.1\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nno colon here\r\n\r\n", 400),
    (b"GET /\xff HTTP/1.1\r\n\r\n", 400),
])
async def test_malformed_requests_get_an_error_status(port, raw, expected):
    assert (await exchange(port, raw))[0] == expected


async def test_oversized_request_head_is_refused(port):
    raw = b"GET / HTTP/1.1\r\n" + b"X-Pad: " + b"a" * (http.MAX_HEAD_BYTES + 10) + b"\r\n\r\n"
    assert (await exchange(port, raw))[0] == 431


async def test_client_that_stalls_is_timed_out(port, autojump_clock):
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    async with stream:
        await stream.send_all(b"GET / HTTP/1.1\r\n")
        data = bytearray()
        while chunk := await stream.receive_some(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 408 ")


async def test_server_keeps_serving_after_a_bad_client(port):
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    await stream.send_all(b"GET / HT")
    await stream.aclose()
    assert (await get(port, "/"))[0] == 200


def test_content_types():
    assert http.content_type("a.html").startswith("text/html")
    assert http.content_type("a/b.js").startswith("text/javascript")
    assert http.content_type("x.json") == "application/json"
    assert http.content_type("blob.bin") == "application/octet-stream"
