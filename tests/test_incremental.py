"""Scheduled runs against the fixture site, whose files a test changes between runs:
the stop at known articles, new articles, revisits (304, revision, withdrawal), the ledger."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from tests.conftest import crawl, newscrawl
from tests.fixture_site import ARTICLES, build_site

# Distinct article links on the fixture's listing pages, newest first: page 0 has 6, page 1
# adds 2 (the re-post and the video page), page 2 adds 3, page 3 adds 1.
STOP_AFTER = 7


def site_file(tmp_path: Path, **fields: object) -> Path:
    path = tmp_path / "site.toml"
    lines = ['extends = "bjreview"'] + [f"{k} = {json.dumps(v)}" for k, v in fields.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


def query(db: Path, sql: str, params: tuple = ()) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def last_stats(db: Path) -> dict:
    return json.loads(query(db, "select stats from runs order by id desc limit 1")[0]["stats"])


def fetched_paths(stats: dict) -> int:
    return stats.get("downloader/request_count", 0)


def age(db: Path, days: float) -> None:
    """Pretend every stored article was first (and last) seen ``days`` ago."""
    then = (datetime.now(timezone.utc) - timedelta(days=days)).isoformat(timespec="seconds")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("update articles set first_seen = ?, last_seen = ?", [then, then])
    conn.close()


def test_second_run_fetches_only_listing_pages_up_to_the_stop(site_url, tmp_path):
    db, profile = tmp_path / "a.db", site_file(tmp_path, stop_after_known=STOP_AFTER)
    first = crawl(site_url, db, "--site-file", str(profile))
    assert first.returncode == 0, first.stderr[-3000:]
    assert last_stats(db)["newscrawl/pages/listing"] == 4

    second = crawl(site_url, db, "--site-file", str(profile))
    assert second.returncode == 0, second.stderr[-3000:]
    stats = last_stats(db)
    assert stats.get("newscrawl/pages/article", 0) == 0
    assert stats["newscrawl/pages/listing"] == 2
    assert stats["newscrawl/listing/stopped"] == 1
    # robots.txt and the two listing pages, nothing else.
    assert fetched_paths(stats) == 3
    assert "pagination stopped: yes" in second.stdout

    full = crawl(site_url, db, "--site-file", str(profile), "--full")
    assert full.returncode == 0, full.stderr[-3000:]
    stats = last_stats(db)
    assert stats["newscrawl/pages/listing"] == 4
    assert stats.get("newscrawl/pages/article", 0) == 0
    assert query(db, "select count(*) from articles")[0][0] == 10
    modes = [r["mode"] for r in query(db, "select mode from runs order by id")]
    assert modes == ["incremental", "incremental", "full"]


def test_new_articles_are_found_by_the_next_run(site_dir, site_url, tmp_path):
    root, _ = site_dir
    newest = sorted(ARTICLES, key=lambda a: (a.date, a.id), reverse=True)
    build_site(root, newest[2:])  # the site as it was before its two newest stories
    db, profile = tmp_path / "a.db", site_file(tmp_path, stop_after_known=STOP_AFTER)
    assert crawl(site_url, db, "--site-file", str(profile)).returncode == 0
    assert query(db, "select count(*) from articles")[0][0] == 8

    build_site(root)  # two stories published since
    result = crawl(site_url, db, "--site-file", str(profile))
    assert result.returncode == 0, result.stderr[-3000:]
    stats = last_stats(db)
    assert stats["newscrawl/articles/new"] == 2
    assert stats["newscrawl/pages/article"] == 2
    # Page 0 holds the 2 new links and 4 known ones; the 7th known link in a row is on page 2.
    assert stats["newscrawl/pages/listing"] == 3
    stored = {r["url"].removeprefix(site_url) for r in query(db, "select url from articles")}
    assert {a.path for a in newest[:2]} <= stored
    assert len(stored) == 10


def test_revisits_keep_revisions_and_mark_withdrawals(site_dir, site_url, tmp_path):
    root, manifest = site_dir
    db = tmp_path / "a.db"
    assert crawl(site_url, db).returncode == 0
    before = {r["url"].removeprefix(site_url): r for r in query(db, "select * from articles")}
    assert all(r["last_modified"] for r in before.values())

    # Nothing is due right after a run.
    assert crawl(site_url, db).returncode == 0
    assert "newscrawl/revisits/requested" not in last_stats(db)

    edited, removed = manifest["articles"][2], manifest["articles"][3]
    page = root / edited["path"].lstrip("/")
    old_sentence = edited["must_contain"][1]
    page.write_text(page.read_text().replace(old_sentence, "The summit ended a day early."))
    future = time.time() + 60  # a newer Last-Modified than the one stored
    os.utime(page, (future, future))
    (root / removed["path"].lstrip("/")).unlink()
    age(db, 2)  # the 1-day revisit is due for every article

    result = crawl(site_url, db)
    assert result.returncode == 0, result.stderr[-3000:]
    stats = last_stats(db)
    assert stats["newscrawl/revisits/requested"] == 10
    assert stats["newscrawl/articles/updated"] == 1
    assert stats["newscrawl/articles/withdrawn"] == 1
    assert stats["newscrawl/articles/not_modified"] == 8  # answered 304 to If-Modified-Since
    assert stats["downloader/response_status_count/304"] == 8
    assert "updated 1, unchanged 0, not modified 8, withdrawn 1" in result.stdout

    after = {r["url"].removeprefix(site_url): r for r in query(db, "select * from articles")}
    assert len(after) == 10
    changed = after[edited["path"]]
    assert "The summit ended a day early." in changed["text"]
    assert old_sentence not in changed["text"]
    versions = query(db, "select * from versions")
    assert len(versions) == 1
    assert versions[0]["article_id"] == changed["id"]
    assert old_sentence in versions[0]["text"]
    assert versions[0]["content_hash"] == before[edited["path"]]["content_hash"]
    assert versions[0]["replaced_at"] == changed["changed_at"]

    gone = after[removed["path"]]
    assert gone["withdrawn_at"] and gone["text"] == before[removed["path"]]["text"]
    assert gone["withdrawn_reason"] == "HTTP 404"
    untouched = after[manifest["articles"][0]["path"]]
    assert untouched["withdrawn_at"] is None
    assert untouched["last_seen"] > before[manifest["articles"][0]["path"]]["last_seen"]
    assert untouched["content_hash"] == before[manifest["articles"][0]["path"]]["content_hash"]

    run = query(db, "select * from runs order by id desc limit 1")[0]
    assert (run["updated"], run["not_modified"], run["withdrawn"]) == (1, 8, 1)

    # The 7-day revisit is not due yet, and withdrawn articles are not revisited.
    assert crawl(site_url, db).returncode == 0
    assert "newscrawl/revisits/requested" not in last_stats(db)


def test_runs_command_prints_the_ledger(crawled_site, tmp_path):
    db = tmp_path / "a.db"
    shutil.copy(crawled_site.db, db)  # the session's first crawl; its site is still served
    assert crawl(crawled_site.base_url, db).returncode == 0
    table = newscrawl("runs", "--db", str(db))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:6] == ["run", "site", "started", "finished", "reason", "mode"]
    assert len(lines) == 4 and "finished" in lines[2] and "finished" in lines[3]

    records = [json.loads(line) for line in newscrawl("runs", "--db", str(db), "--json",
                                                      "-n", "1").stdout.splitlines()]
    assert len(records) == 1 and records[0]["id"] == 2
    assert records[0]["listing_pages"] == 4 and records[0]["articles_fetched"] == 0
    assert records[0]["duplicates_by_kind"] == {}

    first = json.loads(newscrawl("runs", "--db", str(db), "--json").stdout.splitlines()[0])
    assert (first["new"], first["articles_fetched"]) == (10, 12)
    assert first["duplicates_by_kind"] == {"exact": 1}
    # A page without an article is a skip, as the crawl's summary says, not an error.
    assert first["skipped_by_kind"] == {"no_body": 1} and first["skipped"] == 1
    assert first["errors_by_kind"] == {} and first["errors"] == 0

    missing = newscrawl("runs", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 1 and "crawl first" in missing.stderr


def test_unwritable_database_exits_73(site_url, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    result = crawl(site_url, blocker / "a.db")
    assert result.returncode == 73, result.stderr[-2000:]
    assert "cannot write the database" in result.stdout
    assert "downloader/request_count" not in result.stderr  # closed before any request
