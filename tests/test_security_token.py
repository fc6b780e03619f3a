"""The shared token over real websockets, in each form a client can send it: the
`Authorization: Bearer` header (scripts), the `cycsrv.token.<base64url>` subprotocol (the
dashboard) and the `?token=` query; and clients written for the original server without one."""

from __future__ import annotations

import logging
import re
import urllib.parse

import pytest
import trio
from server_helpers import options, request, send, start
from trio_websocket import ConnectionRejected, open_websocket

from cycsrv.server.security import SUBPROTOCOL, AccessPolicy, token_subprotocol

HOST = "127.0.0.1"
TOKEN = "s3cret+/= token~"  # characters a subprotocol cannot carry as they are


def header(token: str) -> dict[str, object]:
    return {"extra_headers": [("Authorization", f"Bearer {token}")]}


def query(token: str) -> dict[str, object]:
    return {"resource": "/?token=" + urllib.parse.quote(token, safe="")}


def subprotocol(token: str) -> dict[str, object]:
    return {"subprotocols": [SUBPROTOCOL, token_subprotocol(token)]}


FORMS = [header, query, subprotocol]


async def connect_status(port: int, **kw: object) -> int:
    """200 if the handshake is accepted, else the HTTP status it was rejected with."""
    resource = kw.pop("resource", "/")
    try:
        async with open_websocket(HOST, port, resource, use_ssl=False, **kw):  # type: ignore[arg-type]
            return 200
    except ConnectionRejected as rejected:
        return rejected.status_code


async def shut_down(port: int) -> None:
    async with open_websocket(HOST, port, "/", use_ssl=False, **header(TOKEN)) as ws:
        await send(ws, "shutdown", {"when": "now"})


@pytest.mark.parametrize("form", FORMS, ids=lambda f: f.__name__)
async def test_each_form_lets_the_right_token_in_and_keeps_a_wrong_one_out(nursery, tmp_path, form):
    port = await start(nursery, options(tmp_path, access=AccessPolicy(token=TOKEN)))
    assert await connect_status(port, **form("wrong")) == 403
    assert await connect_status(port, **form(TOKEN[:-1])) == 403
    assert await connect_status(port, **form(TOKEN + "x")) == 403
    assert await connect_status(port) == 401
    assert await connect_status(port, subprotocols=[SUBPROTOCOL]) == 401
    kw = form(TOKEN)
    resource = str(kw.pop("resource", "/"))
    async with open_websocket(HOST, port, resource, use_ssl=False, **kw) as ws:  # type: ignore[arg-type]
        assert (await request(ws, "echo", {"s": form.__name__}))["data"] == form.__name__
        await send(ws, "shutdown", {"when": "now"})


async def test_the_server_selects_the_plain_subprotocol_never_the_token(nursery, tmp_path):
    """Browsers need a selected subprotocol; the one selected must not echo the token back."""
    port = await start(nursery, options(tmp_path, access=AccessPolicy(token=TOKEN)))
    async with open_websocket(HOST, port, "/", use_ssl=False, **subprotocol(TOKEN)) as ws:
        assert ws.subprotocol == SUBPROTOCOL
    # a client that offers only the token subprotocol is let in, with no subprotocol selected
    async with open_websocket(HOST, port, "/", use_ssl=False, subprotocols=[token_subprotocol(TOKEN)]) as ws:
        assert ws.subprotocol is None
    await shut_down(port)


@pytest.mark.parametrize("garbled", ["cycsrv.token.", "cycsrv.token.!!!!", "cycsrv.token.gA", "cycsrv.token.x"])
async def test_a_garbled_token_subprotocol_is_a_wrong_token(nursery, tmp_path, garbled):
    port = await start(nursery, options(tmp_path, access=AccessPolicy(token=TOKEN)))
    assert await connect_status(port, subprotocols=[SUBPROTOCOL, garbled]) == 403
    await shut_down(port)


async def test_a_non_ascii_token_travels_in_the_subprotocol_and_the_query(nursery, tmp_path):
    """A token file may hold any text; a header cannot carry it, the page's forms can."""
    token = "clé-\u2603"
    port = await start(nursery, options(tmp_path, access=AccessPolicy(token=token)))
    assert await connect_status(port, **subprotocol(token)) == 200
    assert await connect_status(port, **query(token)) == 200
    assert await connect_status(port, **subprotocol("cle-\u2603")) == 403
    async with open_websocket(HOST, port, "/", use_ssl=False, **subprotocol(token)) as ws:
        await send(ws, "shutdown", {"when": "now"})


async def test_the_header_wins_over_the_other_forms(nursery, tmp_path):
    """One token is checked per handshake: a right subprotocol does not rescue a wrong header."""
    port = await start(nursery, options(tmp_path, access=AccessPolicy(token=TOKEN)))
    assert await connect_status(port, **header("wrong"), **subprotocol(TOKEN)) == 403
    assert await connect_status(port, **header(TOKEN), subprotocols=[SUBPROTOCOL, token_subprotocol("no")]) == 200
    await shut_down(port)


async def test_without_a_token_file_clients_of_the_original_server_connect_as_before(nursery, tmp_path):
    port = await start(nursery, options(tmp_path))
    async with open_websocket(HOST, port, "/", use_ssl=False) as ws:
        assert ws.subprotocol is None
        assert (await request(ws, "echo", {"s": "plain"}))["data"] == "plain"
    # a page that still holds a token from an earlier server gets in too
    async with open_websocket(HOST, port, "/", use_ssl=False, **subprotocol("old")) as ws:
        assert ws.subprotocol == SUBPROTOCOL
        await send(ws, "shutdown", {"when": "now"})


async def test_a_token_does_not_let_a_foreign_origin_in(nursery, tmp_path):
    dashboard = "http://127.0.0.1:4243"
    port = await start(nursery, options(tmp_path, access=AccessPolicy(token=TOKEN, origins=(dashboard,))))
    evil = [("Origin", "http://evil.example")]
    assert await connect_status(port, extra_headers=evil, **subprotocol(TOKEN)) == 403
    assert await connect_status(port, extra_headers=[("Origin", dashboard)]) == 401
    assert await connect_status(port, extra_headers=[("Origin", dashboard)], **subprotocol(TOKEN)) == 200
    await shut_down(port)


def test_token_subprotocol_is_a_valid_websocket_subprotocol():
    """RFC 6455 subprotocols are HTTP tokens; browsers throw on anything else."""
    for token in (TOKEN, "a" * 300, "\u2603", "plain"):
        assert re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", token_subprotocol(token))


async def test_logs_name_the_dashboard_and_never_the_token(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="cycsrv.server")
    async with trio.open_nursery() as nursery:  # exits once the server has stopped
        port = await start(nursery, options(tmp_path, access=AccessPolicy(token=TOKEN), http_port=0))
        for form in FORMS:
            await connect_status(port, **form("wrong"))
            await connect_status(port, **form(TOKEN))
        await connect_status(port)
        await shut_down(port)
    lines = caplog.text
    assert "server stopped" in lines
    assert re.search(r"dashboard at http://127\.0\.0\.1:\d+/ \(this server needs a token: open "
                     r"http://127\.0\.0\.1:\d+/#token=<the token in --token-file>\)", lines)
    assert "refused (401)" in lines and "refused (403)" in lines
    for secret in (TOKEN, urllib.parse.quote(TOKEN, safe=""), token_subprotocol(TOKEN), "s3cret"):
        assert secret not in lines
