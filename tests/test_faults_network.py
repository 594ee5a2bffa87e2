"""Network and protocol faults, each created for real by tests/hostile.py on 127.0.0.1.

One crawl meets every fault at once (a subprocess: the Twisted reactor cannot restart), so
the test also shows that each fault is contained: the good pages are still stored.
"""

from __future__ import annotations

import json
import time

from tests.conftest import FAST, assert_intact, newscrawl, query, seed
from tests.hostile import (article_html, article_path as a, bomb, drip, endless, hang, hostile,
                           html, listing, lying_length, meta_refresh, redirect, reset,
                           self_signed_tls, sequence, status)

# Small bounds so the faults end fast; the mechanisms are the production ones.
BOUNDS = ["-s", "DOWNLOAD_TIMEOUT=2", "-s", "RETRY_TIMES=1", "-s", "NEWSCRAWL_RETRY_BACKOFF=0.1",
          "-s", "NEWSCRAWL_RETRY_AFTER_MAX=5", "-s", f"DOWNLOAD_MAXSIZE={1024 * 1024}"]

GOOD = (1, 2, 3)
FAULTS = {
    # never answers / drips / resets / lies about Content-Length
    10: hang, 11: drip(), 12: reset, 13: lying_length(),
    # compression bombs of 64 MiB against a 1 MiB cap; oversized plain bodies
    20: bomb("gzip"), 21: bomb("deflate"), 22: bomb("br"), 23: bomb("zstd"),
    24: endless(declare=50 * 1024 * 1024), 25: endless(),
    # redirects: loop, self, too long a chain, offsite, private, other schemes
    30: redirect(a(31)), 31: redirect(a(30)), 32: redirect(a(32)),
    **{n: redirect(a(n + 1)) for n in range(40, 48)},
    33: redirect("http://example.org/World/202506/t20250601_1.html"),
    34: redirect("http://10.1.2.3/World/202506/t20250601_1.html"),
    35: redirect("file:///etc/passwd"), 36: redirect("ftp://127.0.0.1/x.html"),
    # 429 with a Retry-After we honour, one we refuse, a 5xx storm
    50: sequence(status(429, {"Retry-After": "1"}), html(article_html(50))),
    51: status(429, {"Retry-After": "3600"}),
    52: status(503),
    # not HTML
    60: html(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", content_type="application/pdf"),
    61: html(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", content_type="image/png"),
    62: html(article_html(62), content_type=None),
}
LINKED = [*GOOD, 10, 11, 12, 13, 20, 21, 22, 23, 24, 25, 30, 32, 40, 33, 34, 35, 36, 50, 51, 52,
          60, 61, 62]
OFFSITE_LINKS = ["http://example.org/World/202506/t20250601_7.html", "file:///etc/passwd",
                 "ftp://example.org/a.html", "data:text/html,<p>hi</p>",
                 "http://10.0.0.1/World/202506/t20250601_8.html"]


def routes() -> dict:
    pages = {a(n): html(article_html(n)) for n in GOOD}
    pages.update({a(n): b for n, b in FAULTS.items()})
    pages["/World/"] = html(listing([a(n) for n in LINKED] + OFFSITE_LINKS))
    pages["/robots.txt"] = html("User-agent: *\nAllow: /\n", content_type="text/plain")
    return pages


def test_network_faults_are_bounded_counted_and_contained(tmp_path):
    db = tmp_path / "a.db"
    with hostile(routes()) as (server, base):
        before = seed(db, base)
        started = time.monotonic()
        result = newscrawl("crawl", "--start-url", f"{base}/World/", "--db", str(db), *FAST,
                           *BOUNDS, timeout=120)
        elapsed = time.monotonic() - started
    log = result.stderr
    (tmp_path / "log.txt").write_text(log)
    stats = json.loads(query(db, "select stats from runs order by id desc limit 1")[0]["stats"])
    errors = {k.removeprefix("newscrawl/"): v for k, v in stats.items()
              if k.startswith("newscrawl/")}

    # Bounded: every fault ended within its deadline, well before the subprocess timeout.
    assert elapsed < 60, elapsed
    # More than a quarter of the pages failed: the run says so and exits non-zero.
    assert result.returncode == 1
    assert "pages failed" in result.stdout and "NEWSCRAWL_MAX_FAILURE_RATIO" in result.stdout

    stored = {r["url"].removeprefix(base) for r in query(db, "select url from articles")}
    assert stored == {a(n) for n in (*GOOD, 50, 900, 901)}
    assert_intact(db, before)

    assert errors["errors/timeout"] == 2                      # hang, drip
    assert errors["errors/data_loss"] + errors.get("errors/connection_failed", 0) == 2
    assert errors["errors/too_large"] == 6                    # 4 bombs, 2 oversized bodies
    assert errors["redirects/loop"] == 2                      # 30 -> 31 -> 30, 32 -> 32
    assert errors["errors/redirect_limit"] == 1               # 40 -> ... -> 48
    assert errors["redirects/offsite"] == 1
    assert errors["redirects/private"] == 1
    assert errors["redirects/refused_scheme/file"] == 1
    assert errors["redirects/refused_scheme/ftp"] == 1
    assert errors["retry/after_honoured"] == 1
    assert errors["retry/after_too_long"] == 1
    assert errors["errors/http_429"] == 1 and errors["errors/http_503"] == 1
    assert errors["skipped/not_html"] == 3
    assert errors["links/offsite"] == 2
    assert {k for k in errors if k.startswith("links/refused_scheme/")} == {
        "links/refused_scheme/file", "links/refused_scheme/ftp", "links/refused_scheme/data"}

    # Retry-After: 1 was waited for; the 5xx storm was retried RETRY_TIMES times, no more.
    first, second = server.hit_times(a(50))
    assert second - first >= 1.0
    assert len(server.hit_times(a(52))) == 2
    assert len(server.hit_times(a(51))) == 1
    # Nothing off the site was ever requested (the server only sees its own host anyway,
    # so check that the refusals happened before any connection: no hits for 7 or 8).
    assert not server.hit_times(a(7)) and not server.hit_times(a(8))
    # The reason of each refusal is in the log, named.
    assert "Refused redirect (loop)" in log and "Refused redirect (private)" in log


def test_redirect_to_another_port_of_the_same_host_is_offsite(tmp_path):
    """A host is a host and a port: 127.0.0.1:A redirecting to 127.0.0.1:B leaves the site,
    by a 3xx status or a meta refresh, and B is never asked."""
    db = tmp_path / "a.db"
    other_routes = {a(n): html(article_html(n)) for n in range(1, 100)}
    with hostile(other_routes) as (other, other_base):
        faults = {70 + i: redirect(f"{other_base}{a(70 + i)}", code)
                  for i, code in enumerate((301, 302, 303, 307, 308))}
        faults[75] = meta_refresh(f"{other_base}{a(75)}")
        faults[76] = meta_refresh(a(1).replace("_1.", "_2."))  # same site: followed
        pages = {a(n): html(article_html(n)) for n in (1, 2)} | {a(n): b for n, b in faults.items()}
        pages["/World/"] = html(listing([a(1), *(a(n) for n in faults), f"{other_base}{a(77)}"]))
        pages["/robots.txt"] = html("User-agent: *\nAllow: /\n", content_type="text/plain")
        with hostile(pages) as (_server, base):
            before = seed(db, base)
            result = newscrawl("crawl", "--start-url", f"{base}/World/", "--db", str(db),
                               *FAST, *BOUNDS)
    stats = json.loads(query(db, "select stats from runs order by id desc limit 1")[0]["stats"])
    assert not other.hits, other.hits
    assert stats["newscrawl/redirects/offsite"] == 6
    assert stats["newscrawl/links/offsite"] == 1  # the direct link to the other port
    stored = {r["url"].removeprefix(base) for r in query(db, "select url from articles")}
    assert stored == {a(n) for n in (1, 2, 900, 901)}
    assert_intact(db, before)
    assert result.stderr.count("Refused redirect (offsite)") == 6
    assert "Traceback" not in result.stderr
    assert result.returncode == 0  # a refusal is policy, not a failed fetch


def test_tls_certificates_are_verified_by_default(tmp_path):
    """An HTTPS site on 127.0.0.1 with a self-signed certificate made here: refused and
    counted by default (robots.txt and pages alike); -s or the site profile accepts it."""
    db = tmp_path / "a.db"
    profile = tmp_path / "trusted.toml"
    profile.write_text('extends = "bjreview"\nverify_certificates = false\n')
    pages = {a(n): html(article_html(n)) for n in GOOD}
    pages["/World/"] = html(listing([a(n) for n in GOOD]))
    pages["/robots.txt"] = html("User-agent: *\nAllow: /\n", content_type="text/plain")
    with hostile(pages, tls=self_signed_tls(tmp_path)) as (server, base):
        before = seed(db, base)

        def crawl(*extra: str):
            result = newscrawl("crawl", "--start-url", f"{base}/World/", "--db", str(db),
                               *FAST, *BOUNDS, *extra)
            assert "Traceback" not in result.stderr
            run = query(db, "select stats from runs order by id desc limit 1")[0]
            return result, json.loads(run["stats"])

        refused, stats = crawl()
        assert refused.returncode == 69, refused.stderr[-2000:]
        assert stats["newscrawl/errors/tls"] == 1
        assert "certificate verify failed" in refused.stderr
        assert "DOWNLOAD_VERIFY_CERTIFICATES=False" in refused.stderr
        assert not server.hits  # no HTTP request got past the handshake
        assert server.failed_handshakes == 1  # and a refused certificate is not retried
        no_robots, stats = crawl("-s", "ROBOTSTXT_OBEY=False")
        assert no_robots.returncode == 69 and stats["newscrawl/errors/tls"] == 1
        assert "Failed " + f"{base}/World/ (tls): certificate verify failed" in no_robots.stderr
        assert not server.hits
        assert_intact(db, before)
        one_off = newscrawl("extract", "--allow-private", f"{base}{a(1)}")
        assert one_off.returncode == 1 and "certificate verify failed" in one_off.stderr
        assert "Traceback" not in one_off.stderr

        accepted, _stats = crawl("-s", "DOWNLOAD_VERIFY_CERTIFICATES=False")
        assert accepted.returncode == 0, accepted.stderr[-2000:]
        stored = {r["url"].removeprefix(base) for r in query(db, "select url from articles")}
        assert stored == {a(n) for n in (*GOOD, 900, 901)}
        by_profile, stats = crawl("--site-file", str(profile), "--full")
        assert by_profile.returncode == 0, by_profile.stderr[-2000:]
        assert stats["newscrawl/pages/listing"] == 1 and not stats.get("newscrawl/errors/tls")
