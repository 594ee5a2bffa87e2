"""Shared fixtures: the fixture news site served over real HTTP on 127.0.0.1, and crawls
run in a subprocess (a Twisted reactor cannot be restarted inside one test process)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

from tests.fixture_site import build_site
from tests.server import serve

ROOT = Path(__file__).resolve().parent.parent
# Local runs need no politeness delays, and a 10-page crawl no 1 s commit window (there for
# a big crawl's throughput; on one this small the run only waits for it before it closes);
# everything else stays as in production.  A test of the flush interval sets its own.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "NEWSCRAWL_FLUSH_SECONDS=0.1",
        "-s", "LOG_LEVEL=INFO"]


@pytest.fixture
def site_dir(tmp_path: Path) -> tuple[Path, dict]:
    """A fresh copy of the fixture site that a test may edit, and its manifest."""
    root = tmp_path / "site"
    manifest = build_site(root)
    return root, manifest


@pytest.fixture
def site_url(site_dir):
    """Base URL (``http://127.0.0.1:PORT``) of the fixture site, served for this test."""
    server, base_url = serve(site_dir[0])
    try:
        yield base_url.rstrip("/")
    finally:
        server.shutdown()
        server.server_close()


def rows(db: Path, sql: str = "select * from articles order by id") -> list[sqlite3.Row]:
    """Rows of a query on a database file, read through its own short-lived connection."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def newscrawl(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    """Run the ``newscrawl`` CLI in a subprocess, as a user or a scheduler would."""
    return subprocess.run([sys.executable, "-m", "crawler.cli", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout, **kwargs)


def crawl(base_url: str, db: Path, *extra: str, timeout: float = 120,
          **kwargs) -> subprocess.CompletedProcess:
    return newscrawl("crawl", "--start-url", f"{base_url}/World/", "--db", str(db), *FAST,
                     *extra, timeout=timeout, **kwargs)


@dataclass(frozen=True)
class CrawledSite:
    """The session's crawl: its database, the site's manifest, where the site is still
    served (unchanged: never edit it) and what the crawl printed."""

    db: Path
    manifest: dict
    base_url: str
    result: subprocess.CompletedProcess


@pytest.fixture(scope="session")
def crawled_site(tmp_path_factory) -> Iterator[CrawledSite]:
    """One real crawl of the fixture site, shared by the whole session, with the site served
    until the session ends: tests read its database, or copy it before changing anything
    (a copy crawled again against ``base_url`` is that crawl's next run)."""
    base = tmp_path_factory.mktemp("crawled")
    manifest = build_site(base / "site")
    server, base_url = serve(base / "site")
    try:
        db = base / "articles.db"
        result = crawl(base_url.rstrip("/"), db)
        assert result.returncode == 0, result.stderr[-3000:]
        yield CrawledSite(db, manifest, base_url.rstrip("/"), result)
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def crawled_db(crawled_site) -> tuple[Path, dict]:
    """A database made by one real crawl of the fixture site, and the site's manifest.

    Shared by the whole session: tests read it, and copy it before changing anything.
    """
    return crawled_site.db, crawled_site.manifest


def query(db: Path, sql: str, params: tuple = ()) -> list[dict]:
    """Rows of ``sql`` on the database file, as dicts (a fresh read-only connection)."""
    import sqlite3

    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def seed(db: Path, base_url: str, ids: tuple[int, ...] = (900, 901)) -> list[dict]:
    """Store a few articles before a faulty run; returns them, to check they stay intact."""
    from pipelines.extract import extract
    from pipelines.store import Store
    from tests.hostile import article_html, article_path

    store = Store(db)
    try:
        for n in ids:
            url = base_url + article_path(n)
            store.save(extract(article_html(n).encode(), url), "bjreview", fetched_url=url)
    finally:
        store.close()
    return query(db, "select * from articles order by id")


def assert_intact(db: Path, before: list[dict]) -> None:
    """Every row stored before is still there, unchanged, and the file is sound."""
    assert query(db, "pragma integrity_check") == [{"integrity_check": "ok"}]
    now = {r["id"]: r for r in query(db, "select * from articles")}
    for row in before:
        assert now.get(row["id"]) == row
