"""robots.txt policy (RFC 9309) and crawler traps, against tests/hostile.py on 127.0.0.1."""

from __future__ import annotations

import json
import socket

import pytest

from tests.conftest import FAST, assert_intact, newscrawl, query, seed
from tests.hostile import (article_html, article_path as a, hang, hostile, html, listing, reset,
                           status)

ARTICLES = (1, 2)


def site(robots) -> dict:
    routes = {a(n): html(article_html(n)) for n in ARTICLES}
    routes["/World/"] = html(listing([a(n) for n in ARTICLES]))
    routes["/robots.txt"] = robots
    return routes


def run(routes: dict, db, *extra: str):
    with hostile(routes) as (server, base):
        result = newscrawl("crawl", "--start-url", f"{base}/World/", "--db", str(db), *FAST,
                           "-s", "RETRY_TIMES=1", "-s", "NEWSCRAWL_RETRY_BACKOFF=0.1", *extra)
    stats = json.loads(query(db, "select stats from runs order by id desc limit 1")[0]["stats"])
    return result, stats, server, base


PAD = "# " + "x" * 98 + "\n"


@pytest.mark.parametrize(("robots", "stat", "stored"), [
    (status(503), "newscrawl/robotstxt/disallow_all/server_error", 0),
    (reset, "newscrawl/robotstxt/disallow_all/unreachable", 0),
    (html("User-agent: *\nDisallow: /World/202506/\n", content_type="text/plain"),
     "robotstxt/forbidden", 0),
    (status(404), "newscrawl/robotstxt/allow_all/not_found", 2),
    # 600 KiB of comments, then a Disallow past the 500 KiB RFC 9309 parse limit.
    (html(PAD * 6000 + "User-agent: *\nDisallow: /\n", content_type="text/plain"),
     "newscrawl/robotstxt/truncated", 2),
], ids=["5xx", "unreachable", "disallowing", "404", "huge"])
def test_robots_policy(tmp_path, robots, stat, stored):
    result, stats, server, _base = run(site(robots), tmp_path / "a.db")
    assert stats.get(stat), sorted(stats)
    assert len(query(tmp_path / "a.db", "select id from articles")) == stored
    if not stored:
        # No article was requested, and the run says why it failed.
        assert not {p for p, _t in server.hits} - {"/robots.txt", "/World/"}
        assert result.returncode != 0
    else:
        assert result.returncode == 0, result.stderr[-2000:]
    if "disallow_all" in stat:
        assert "RFC 9309" in result.stderr


def test_crawler_traps_are_bounded_and_the_reason_recorded(tmp_path):
    def trap(path: str):
        # Endless pagination (index_N links to index_N+1), plus session-id, print and
        # calendar variants that the site's URL patterns do not match.
        if path.startswith("/World/index_"):
            n = int(path.removeprefix("/World/index_").removesuffix(".html"))
            return html(listing([f"/World/index_{n + 1}.html", a(n) + "?sessionid=abc",
                                 a(n) + ";jsessionid=1", f"/World/print/{n}.html",
                                 f"/World/calendar/2025/{n}/", a(n)]))
        if path.startswith("/World/202506/"):
            return html(article_html(int(path.rsplit("_", 1)[1].split(".")[0])))
        return None
    routes = {"/World/": html(listing(["/World/index_1.html"]))}
    with hostile(routes, fallback=trap) as (server, base):
        result = newscrawl("crawl", "--start-url", f"{base}/World/", "--db",
                           str(tmp_path / "a.db"), "--max-pages", "1000", *FAST,
                           "-s", "CLOSESPIDER_PAGECOUNT=12")
    paths = [p for p, _t in server.hits]
    assert not [p for p in paths if "print" in p or "calendar" in p or ";" in p]
    assert len([p for p in paths if p.startswith("/World/index_")]) < 20
    run = query(tmp_path / "a.db", "select finish_reason from runs")[0]
    assert run["finish_reason"] == "closespider_pagecount"
    assert result.returncode == 1 and "closespider_pagecount" in result.stdout


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("fault", ["refused", "dns", "timeout"])
def test_unreachable_robots_is_one_log_line_without_traceback(tmp_path, fault):
    db = tmp_path / "a.db"
    with hostile(site(hang)) as (server, base):
        before = seed(db, base)
        start = {"refused": f"http://127.0.0.1:{free_port()}/World/",
                 # RFC 6761: .invalid never resolves, so no host outside 127.0.0.1 is asked.
                 "dns": "http://robots-fault.invalid/World/",
                 "timeout": f"{base}/World/"}[fault]
        result = newscrawl("crawl", "--start-url", start, "--db", str(db), *FAST,
                           "-s", "RETRY_TIMES=1", "-s", "NEWSCRAWL_RETRY_BACKOFF=0.1",
                           "-s", "DOWNLOAD_TIMEOUT=1")
    stats = json.loads(query(db, "select stats from runs order by id desc limit 1")[0]["stats"])
    assert stats["newscrawl/robotstxt/disallow_all/unreachable"] == 1
    assert result.returncode == 69, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    assert "[scrapy.downloadermiddlewares.robotstxt] ERROR" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if "robots.txt of" in line]
    assert len(lines) == 1 and "unreachable" in lines[0] and "RFC 9309" in lines[0], lines
    assert not {p for p, _t in server.hits} - {"/robots.txt"}
    assert_intact(db, before)
