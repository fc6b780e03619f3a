"""The dashboard in headless Chromium against `cycsrv serve --token-file`: opened as
`/#token=...` it connects and shows time advancing; without the token it says the server needs
one and connects once it is typed in. Skips like test_dashboard_browser.py without Chromium;
each test has its own server, so any subset runs alone."""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
import trio
from test_dashboard_browser import WAIT_MS, free_port, start_server, step, stop_server
from trio_websocket import ConnectionRejected, open_websocket

#: Characters a subprotocol cannot carry as they are, and one a header cannot.
TOKEN = "dash+b/o=ard tok\u00e9n~"


class TokenSite:
    """A server that needs TOKEN, with its dashboard."""

    def __init__(self, workdir: Path) -> None:
        token_file = workdir / "token"
        token_file.write_text(TOKEN + "\n")
        self.ws_port, self.http_port = free_port(), free_port()
        self.proc = start_server(workdir, self.ws_port, self.http_port,
                                 extra_args=["--token-file", str(token_file)])
        self.url = f"http://127.0.0.1:{self.http_port}/"
        self.page_errors: list[str] = []

    def open_page(self, browser, fragment: str = ""):
        """A page in a fresh context (its own sessionStorage)."""
        page = browser.new_context(viewport={"width": 1400, "height": 1000}).new_page()
        page.set_default_timeout(WAIT_MS)
        page.on("pageerror", lambda exc: self.page_errors.append(str(exc)))
        page.goto(self.url + fragment)
        return page


@pytest.fixture
def site(tmp_path: Path) -> Iterator[TokenSite]:
    site = TokenSite(tmp_path)
    yield site
    stop_server(site.proc)


def test_page_opened_with_the_token_connects_and_time_advances(browser, site):
    page = site.open_page(browser, "#token=" + urllib.parse.quote(TOKEN, safe=""))
    page.wait_for_selector("#conn[data-state='open']")
    assert "token" not in page.url  # taken out of the address bar
    assert page.is_hidden("#token-prompt")
    page.click("#btn-load")
    page.wait_for_function("() => Number(document.querySelector('#time-step').textContent) >= 2")
    first = step(page)
    page.wait_for_function(f"() => Number(document.querySelector('#time-step').textContent) > {first}")
    # a reload (no fragment now) finds the token kept in this tab
    page.reload()
    page.wait_for_selector("#conn[data-state='open']")
    page.wait_for_function("() => Number(document.querySelector('#time-step').textContent) >= 0")
    assert page.is_hidden("#token-prompt")
    # the kept token belongs to that websocket URL: a page told to use another one never sends it
    page.goto(f"{site.url}?ws=ws://127.0.0.1:{site.ws_port}/elsewhere")
    page.wait_for_selector("#token-prompt:not([hidden])")
    assert page.text_content("#token-message") == "This server needs a token."
    page.context.close()
    assert site.page_errors == []


def test_page_without_the_token_asks_for_it_and_refuses_a_wrong_one(browser, site):
    page = site.open_page(browser)
    page.wait_for_selector("#token-prompt:not([hidden])")
    assert page.text_content("#token-message") == "This server needs a token."
    assert page.get_attribute("#conn", "data-state") == "refused"
    assert page.text_content("#conn-detail") == "needs a token"
    page.fill("#token-input", "not the token")
    page.click("#token-submit")
    page.wait_for_selector("#token-message:has-text('The server refused this token.')")
    page.wait_for_selector("#token-prompt:not([hidden])")
    assert page.text_content("#conn-detail") == "wrong token"
    page.fill("#token-input", TOKEN)
    page.click("#token-submit")
    page.wait_for_selector("#conn[data-state='open']")
    assert page.is_hidden("#token-prompt")
    page.wait_for_selector("#heartbeat[data-state='ok']")
    page.context.close()
    assert site.page_errors == []


def test_the_server_log_tells_how_to_open_the_page_and_never_holds_the_token(site):
    async def knock(resource: str) -> int:
        with pytest.raises(ConnectionRejected) as refused:
            async with open_websocket("127.0.0.1", site.ws_port, resource, use_ssl=False):
                pass
        return refused.value.status_code

    assert trio.run(knock, "/") == 401  # no token
    assert trio.run(knock, "/?token=wrong") == 403
    stop_server(site.proc)
    log = site.proc.stderr.read()
    assert f"dashboard at {site.url} (this server needs a token: open {site.url}#token=" in log
    assert "refused (401)" in log and "refused (403)" in log
    for secret in (TOKEN, urllib.parse.quote(TOKEN, safe=""), "dash+b"):
        assert secret not in log
