"""The run's exit status, decided from its stats alone; and secrets kept out of its logs."""

from __future__ import annotations

import subprocess

import pytest

from crawler.outcome import failure_reason
from crawler.redact import redact
from tests.conftest import crawl
from tests.fixture_site import build_site
from tests.server import serve, stop

OK = {"finish_reason": "finished", "downloader/response_status_count/200": 12,
      "newscrawl/pages/listing": 2, "newscrawl/pages/article": 10, "newscrawl/articles/new": 9}


@pytest.mark.parametrize(("changes", "expected"), [
    ({}, None),
    ({"newscrawl/articles/new": 0, "newscrawl/articles/unchanged": 9}, None),
    ({"newscrawl/errors/timeout": 3}, None),                          # 3 of 15: under 25 %
    ({"newscrawl/errors/timeout": 3, "newscrawl/skipped/extract_timeout": 2}, "pages failed"),
    ({"newscrawl/articles/new": 0}, "nothing was stored"),
    ({"newscrawl/articles/new": 0, "newscrawl/pages/article": 0}, None),  # incremental: no news
    ({"finish_reason": "closespider_pagecount"}, "did not finish normally"),
    ({"newscrawl/store/error": "a.db: database or disk is full"}, "could not be written"),
    ({"newscrawl/pages/listing": 0, "newscrawl/pages/article": 0,
      "downloader/response_status_count/200": 0}, "nothing was fetched"),
    ({"newscrawl/pages/listing": 0, "newscrawl/pages/article": 0,
      "newscrawl/robotstxt/disallow_all/server_error": 1}, "RFC 9309"),
    ({"newscrawl/pages/listing": 0, "newscrawl/pages/article": 0,
      "downloader/response_status_count/200": 0, "newscrawl/errors/tls": 1},
     "TLS certificate could not be verified"),
    ({"newscrawl/pages/article": 0, "newscrawl/articles/new": 0,
      "newscrawl/skipped/listing_too_deep": 2}, "2 listing page(s) gave no links"),
])
def test_failure_reason(changes, expected):
    reason = failure_reason({**OK, **changes})
    assert reason is None if expected is None else expected in reason


@pytest.mark.parametrize(("text", "clean"), [
    ("redis://:s3cret@localhost:6379/0", "redis://***@localhost:6379/0"),
    ("http://user:s3cret@proxy:8080", "http://***@proxy:8080"),
    ("b'Proxy-Authorization': [b'Basic dXNlcjpzM2NyZXQ=']", "b'Proxy-Authorization': [b'***']"),
    ("https://www.bjreview.com/World/", "https://www.bjreview.com/World/"),
    ("{'AWS_SECRET_ACCESS_KEY': 'abc'\n                          'def',\n 'BOT_NAME': 'x'}",
     "{'AWS_SECRET_ACCESS_KEY': '***',\n 'BOT_NAME': 'x'}"),
    ('"api-key": "abc", "keywords": "monkey=see"', '"api-key": "***", "keywords": "monkey=see"'),
    ("GET /feed?access_token=abc&page=2", "GET /feed?access_token=***&page=2"),
    ("-s NEWSCRAWL_DB_PASSWORD=hunter2 -s DOWNLOAD_DELAY=0",
     "-s NEWSCRAWL_DB_PASSWORD=*** -s DOWNLOAD_DELAY=0"),
])
def test_redact(text, clean):
    assert redact(text) == clean


def test_secrets_are_redacted_in_messages_and_tracebacks():
    """The real logging path: the record factory rewrites the message and the traceback
    that any handler prints later (here a stream handler with Scrapy's log format)."""
    import io
    import logging

    from crawler.redact import install, remember_secrets

    install()
    secret = "wJalrXUtnFEMI-K7MDENG-bPxRfiCYEXAMPLEKEY"
    remember_secrets([("AWS_SECRET_ACCESS_KEY", secret), ("DOWNLOAD_DELAY", "0.25")])
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(asctime)s [%(name)s] %(levelname)s: %(message)s"))
    log = logging.getLogger("newscrawl.test.redact")
    log.addHandler(handler)
    try:
        try:
            raise ConnectionError(f"proxy http://bob:pa55w0rd@127.0.0.1:3128 refused {secret}")
        except ConnectionError:
            log.exception("Error with key %s", secret)
    finally:
        log.removeHandler(handler)
    text = out.getvalue()
    assert "Traceback" in text and "ConnectionError: proxy http://***@127.0.0.1:3128" in text
    assert secret not in text and "pa55w0rd" not in text
    assert "0.25" not in redact("") and redact("delay 0.25") == "delay 0.25"


# Long enough for Scrapy's pprint of the overridden settings to split it over lines.
SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" * 3


@pytest.fixture(scope="module")
def secret_crawl(tmp_path_factory) -> subprocess.CompletedProcess:
    """One crawl at DEBUG with secrets in its settings, read by the two tests below: a
    credential URL in BOT_NAME (a stand-in for any setting or message that carries one; it
    is logged twice, at start-up and among the overridden settings), an AWS secret and an
    API token."""
    base = tmp_path_factory.mktemp("secrets")
    build_site(base / "site")
    server, base_url = serve(base / "site")
    try:
        return crawl(base_url.rstrip("/"), base / "a.db", "-s", "LOG_LEVEL=DEBUG",
                     "--max-pages", "0", "-s", "BOT_NAME=redis://:s3cret@127.0.0.1:6379/0",
                     "-s", f"AWS_SECRET_ACCESS_KEY={SECRET}",
                     "-s", "NEWSCRAWL_API_TOKEN=tok-1234")
    finally:
        stop(server)


def test_crawl_logs_no_secret_settings(secret_crawl):
    result, secret = secret_crawl, SECRET
    assert result.returncode == 0, result.stderr[-2000:]
    assert "'AWS_SECRET_ACCESS_KEY': '***'" in result.stderr  # named, without its value
    output = result.stderr + result.stdout
    assert not [part for part in (secret[:20], secret[30:50], secret[-20:], "tok-1234")
                if part in output]
    assert "Traceback" not in output


def test_crawl_logs_no_secrets(secret_crawl):
    result = secret_crawl
    assert result.returncode == 0, result.stderr[-2000:]
    assert "redis://***@127.0.0.1:6379/0" in result.stderr  # logged ...
    assert "s3cret" not in result.stderr + result.stdout   # ... without its password
    assert "TelnetConsole" not in result.stderr and "RemoteControl" not in result.stderr


def test_verdict_names_the_host_and_the_failure_in_words():
    from crawler.outcome import judge

    dns = {"finish_reason": "finished", "newscrawl/robotstxt/disallow_all/unreachable": 1,
           "newscrawl/skipped/robots_forbidden": 1,
           "downloader/exception_type_count/scrapy.exceptions.CannotResolveHostError": 3,
           "downloader/exception_type_count/scrapy.exceptions.IgnoreRequest": 1}
    verdict = judge(dns, "www.bjreview.com", "a.db")
    assert verdict.text().splitlines()[0] == "FAILED: www.bjreview.com: DNS lookup failed (3 tries)"
    assert verdict.exit_code == 69 and not verdict.ok

    ok = judge({**OK, "newscrawl/links/known": 20, "newscrawl/listing/stopped": 1},
               "www.bjreview.com", "a.db", mode="incremental")
    assert ok.text() == ("OK: www.bjreview.com: 9 new and 0 updated articles stored "
                         "(incremental run: 20 known links not fetched again, pagination "
                         "stopped early)")
    shaky = judge({**OK, "newscrawl/errors/timeout": 2, "newscrawl/errors/http_503": 1},
                  "h", "a.db")
    assert shaky.status == "OK, with problems" and shaky.exit_code == 0
    assert shaky.reasons == ("3 pages failed: 2 timed out, 1 HTTP 503",)
    assert judge({**OK, "finish_reason": "shutdown"}, "h", "a.db").headline == (
        "h: the crawl did not finish: stopped by a signal (Ctrl-C or SIGTERM)")
    assert judge({"finish_reason": "database_locked"}, "h", "a.db").exit_code == 75
