"""``newscrawl extract URL``: the one-off fetch against hostile servers on 127.0.0.1."""

from __future__ import annotations

import time

import pytest

from crawler.fetch import FetchError, fetch, guarded_pool_manager
from tests.conftest import newscrawl
from tests.hostile import (article_html, bomb, drip, endless, hostile, html, redirect)

ROUTES = {
    "/ok.html": html(article_html(1)),
    "/loop": redirect("/loop"),
    "/to-private": redirect("http://10.0.0.1/x.html"),
    "/to-file": redirect("file:///etc/passwd"),
    "/slow": drip(total=5000, interval=0.2),
    "/huge": endless(),
    "/bomb": bomb("gzip"),
    "/pdf": html(b"%PDF-1.7", content_type="application/pdf"),
}


@pytest.fixture(scope="module")
def base():
    with hostile(ROUTES) as (_server, base_url):
        yield base_url


def test_loopback_refused_unless_allowed(base):
    with pytest.raises(FetchError, match="not a public address.*--allow-private"):
        fetch(f"{base}/ok.html")
    assert fetch(f"{base}/ok.html", allow_private=True).status == 200


def test_the_connected_peer_is_checked_not_only_the_resolution(base):
    # No pre-resolution here: the connection itself refuses 127.0.0.1 before sending a byte,
    # which is what stops a DNS-rebinding host whose second answer is loopback.
    with pytest.raises(FetchError, match="not a public address"):
        guarded_pool_manager(allow_private=False).request("GET", f"{base}/ok.html")


@pytest.mark.parametrize(("path", "kwargs", "message"), [
    ("/loop", {}, "more than 5 redirects"),
    ("/to-file", {}, "only http and https"),
    ("/slow", {"deadline": 1.0}, "longer than 1 s|no answer within|timed out"),
    ("/huge", {"max_bytes": 1024 * 1024}, "larger than 1 MiB"),
    ("/bomb", {"max_bytes": 1024 * 1024}, "larger than 1 MiB"),
    ("/pdf", {}, "not an HTML page"),
])
def test_hostile_targets_end_in_a_clear_error(base, path, kwargs, message):
    started = time.monotonic()
    with pytest.raises(FetchError, match=message):
        fetch(f"{base}{path}", allow_private=True, **kwargs)
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(("url", "message"), [
    ("http://example.org/\x07bell", "control characters"),
    ("http://example.org/" + "a" * 3000, "longer than 2048"),
    ("ftp://example.org/a.html", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
])
def test_bad_urls_rejected_with_a_message(url, message):
    result = newscrawl("extract", url)
    assert result.returncode == 1
    assert message in result.stderr
