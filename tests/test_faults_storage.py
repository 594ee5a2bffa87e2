"""Storage faults, each for real: SIGKILL mid-transaction, a read-only file, a full disk
(RLIMIT_FSIZE on the writer), a second writer, readers during a crawl, wrong types."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from pipelines.extract import extract
from pipelines.store import Store
from tests.conftest import ROOT, assert_intact, crawl, newscrawl, query, seed
from tests.hostile import article_html

WRITER = """
import sys
from pipelines.extract import extract
from pipelines.store import Store
from tests.hostile import article_html
store = Store(sys.argv[1], batch_size=5)
n = 0
while True:
    url = f"https://www.bjreview.com/World/202506/t20250601_{n}.html"
    page = article_html(n).replace("Paragraph", f"Item {n} paragraph")
    store.save(extract(page.encode(), url), "bjreview", fetched_url=url)
    n += 1
    if store.pending == 0:
        print(f"committed {n}", flush=True)
"""


def test_sigkill_mid_transaction_loses_only_the_open_batch(tmp_path):
    db = tmp_path / "a.db"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    reported = 0
    try:
        for line in writer.stdout:
            reported = int(line.split()[1])
            if reported >= 20:
                time.sleep(0.05)  # well inside the next batch
                break
    finally:
        os.kill(writer.pid, signal.SIGKILL)
        writer.wait()
    assert writer.returncode == -signal.SIGKILL
    assert query(db, "pragma integrity_check") == [{"integrity_check": "ok"}]
    urls = {r["url"] for r in query(db, "select url from articles")}
    assert len(urls) % 5 == 0, "a partial batch was committed"
    assert len(urls) >= reported
    for n in range(reported):
        assert f"https://www.bjreview.com/World/202506/t20250601_{n}.html" in urls


def _immutable(path: Path, on: bool) -> bool:
    """Root ignores file modes: make the file immutable instead (ext4/xfs/tmpfs support)."""
    if os.geteuid() != 0:
        return True
    return subprocess.run(["chattr", "+i" if on else "-i", str(path)],
                          capture_output=True).returncode == 0


def test_read_only_database_stops_with_a_clear_message(site_url, tmp_path):
    db = tmp_path / "a.db"
    before = seed(db, site_url)
    for extra in (Path(f"{db}-wal"), Path(f"{db}-shm")):
        extra.unlink(missing_ok=True)
    db.chmod(0o444)
    if not _immutable(db, True):
        pytest.skip("running as root on a filesystem without chattr +i")
    try:
        result = crawl(site_url, db)
    finally:
        _immutable(db, False)
        db.chmod(0o644)
    assert result.returncode == 73  # EXIT_DATABASE
    assert "cannot write the database" in result.stdout
    assert "readonly" in result.stdout or "read-only" in result.stdout
    assert "Articles: new 0, updated 0, unchanged 0" in result.stdout
    assert_intact(db, before)


def test_disk_full_stops_and_reports_only_what_was_stored(site_url, tmp_path):
    # A size cap (PRAGMA max_page_count) makes SQLite fail with SQLITE_FULL, the error a full
    # disk gives; RLIMIT_FSIZE would also cap the language model's temporary file.
    db = tmp_path / "a.db"
    before = seed(db, site_url)
    limit = db.stat().st_size + 96 * 1024
    result = crawl(site_url, db, "-s", "NEWSCRAWL_FLUSH_ROWS=2",
                   "-s", f"NEWSCRAWL_DB_MAX_BYTES={limit}")
    assert result.returncode == 73  # EXIT_DATABASE
    assert "cannot write the database" in result.stdout
    assert "database or disk is full" in result.stdout
    new = int(re.search(r"Articles: new (\d+)", result.stdout).group(1))
    stored = len(query(db, "select id from articles")) - len(before)
    assert new == stored, "the summary reported articles that were not stored"
    assert new < 10  # the cap was really reached before the crawl was done
    assert_intact(db, before)


def test_second_writer_waits_instead_of_crashing(site_dir, tmp_path):
    root, manifest = site_dir
    db = tmp_path / "a.db"
    Store(db).close()
    holder = sqlite3.connect(db, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("insert into runs (site, started) values ('other', '2025-01-01')")
    threading.Timer(2.0, holder.commit).start()
    page = root / manifest["articles"][0]["path"].lstrip("/")
    started = time.monotonic()
    result = newscrawl("extract", str(page), "--db", str(db))
    waited = time.monotonic() - started
    holder.close()
    assert result.returncode == 0, result.stderr
    assert waited >= 1.5  # it waited for the other writer's transaction, then wrote
    assert len(query(db, "select id from articles")) == 1
    assert len(query(db, "select id from runs where site = 'other'")) == 1
    # Checkpointed at close: no WAL left behind for the next reader to replay.
    assert not Path(f"{db}-wal").exists() or Path(f"{db}-wal").stat().st_size == 0


def test_readers_never_block_the_crawl(site_url, tmp_path):
    db = tmp_path / "a.db"
    Store(db).close()
    reader = sqlite3.connect(db)
    reader.execute("BEGIN")
    assert reader.execute("select count(*) from articles").fetchone() == (0,)  # holds a snapshot
    started = time.monotonic()
    try:
        result = crawl(site_url, db)
    finally:
        reader.close()
    assert result.returncode == 0, result.stderr[-2000:]
    # Not even the end-of-run checkpoint waits out the busy timeout for the reader.
    assert time.monotonic() - started < 20
    assert "not truncated: a reader is open" in result.stderr
    assert len(query(db, "select id from articles")) == 10


def test_column_types_are_enforced(tmp_path):
    store = Store(tmp_path / "a.db")
    url = "https://www.bjreview.com/World/202506/t20250601_1.html"
    store.save(extract(article_html(1).encode(), url), "bjreview")
    store.commit()
    with pytest.raises(sqlite3.IntegrityError, match="cannot store TEXT value in INTEGER"):
        store.db.execute("update articles set simhash = 'not a number'")
    with pytest.raises(sqlite3.IntegrityError, match="NOT NULL"):
        store.db.execute("insert into articles (url, site) values ('x', 'y')")
    store.close()


JOB_IDS = range(1, 8)


@pytest.fixture(scope="module")
def paused_job(tmp_path_factory):
    """A real run stopped by its page budget (CLOSESPIDER_PAGECOUNT=3) with --jobdir, on a
    site served for the whole module: its database (seeded with two stories first, whose
    rows are returned) and its JOBDIR, which each test below copies and damages its way."""
    from tests.hostile import article_path, hostile, html, listing

    folder = tmp_path_factory.mktemp("paused")
    db, jobdir = folder / "a.db", folder / "job"
    routes = {article_path(n): html(article_html(n)) for n in JOB_IDS}
    routes["/World/"] = html(listing([article_path(n) for n in JOB_IDS]))
    routes["/robots.txt"] = html("User-agent: *\nAllow: /\n", content_type="text/plain")
    with hostile(routes) as (_server, base):
        before = seed(db, base)
        paused = newscrawl("crawl", *job_args(base, db, jobdir), "-s", "CLOSESPIDER_PAGECOUNT=3")
        assert paused.returncode == 1 and "resume with --jobdir" in paused.stdout
        yield base, db, jobdir, before


def job_args(base: str, db: Path, jobdir: Path) -> list[str]:
    return ["--start-url", f"{base}/World/", "--db", str(db), "--jobdir", str(jobdir),
            "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
            "-s", "CONCURRENT_REQUESTS=1", "-s", "NEWSCRAWL_FLUSH_SECONDS=0.1"]


@pytest.mark.parametrize("damaged", ["requests.queue/active.json", "spider.state",
                                     "requests.queue/*/*"],
                         ids=["active.json", "spider.state", "queue"])
def test_damaged_jobdir_is_moved_aside_and_the_crawl_goes_on(tmp_path, damaged, paused_job):
    """A JOBDIR left half-written (as a SIGKILL or a full disk leaves it): a real run stopped
    by its page budget writes it, one of its files is cut in half, and the next run moves
    it aside with a warning and crawls everything."""
    import shutil

    from tests.hostile import article_path

    base, paused_db, paused_jobdir, before = paused_job
    db, jobdir = tmp_path / "a.db", tmp_path / "job"
    source, copy = sqlite3.connect(paused_db), sqlite3.connect(db)
    source.backup(copy)  # the paused run's database, as it left it
    source.close()
    copy.close()
    shutil.copytree(paused_jobdir, jobdir)
    target = next(jobdir.glob(damaged))
    data = target.read_bytes()
    target.write_bytes(data[:len(data) // 2])
    result = newscrawl("crawl", *job_args(base, db, jobdir))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and " ERROR: " not in result.stderr
    warning = next(line for line in result.stderr.splitlines() if "is damaged" in line)
    assert f"JOBDIR {jobdir} is damaged ({target.relative_to(jobdir)}" in warning
    aside = [p for p in tmp_path.iterdir() if p.name.startswith("job.damaged-")]
    assert len(aside) == 1 and next(aside[0].glob(damaged)).read_bytes() == data[:len(data) // 2]
    stats = json.loads(query(db, "select stats from runs order by id desc limit 1")[0]["stats"])
    assert stats["newscrawl/jobdir/damaged"] == 1
    stored = {r["url"].removeprefix(base) for r in query(db, "select url from articles")}
    assert stored == {article_path(n) for n in (*JOB_IDS, 900, 901)}
    assert_intact(db, before)


def test_memory_limit_stops_the_run_and_the_ledger_says_so(tmp_path):
    """The project sets a memory limit (Scrapy's default is none).  Crossing it is made
    real by a limit below what the running process already holds; the run stops, the
    ledger records memusage_exceeded and the exit status is 1, no traceback."""
    from crawler.cli import project_settings
    from tests.hostile import article_path, drip, hostile, html, listing

    settings = project_settings()
    assert 0 < settings.getint("MEMUSAGE_WARNING_MB") < settings.getint("MEMUSAGE_LIMIT_MB")
    db = tmp_path / "a.db"
    routes = {article_path(n): drip(total=400, interval=0.05) for n in range(1, 6)}
    routes["/World/"] = html(listing([article_path(n) for n in range(1, 6)]))
    with hostile(routes) as (_server, base):
        before = seed(db, base)
        result = crawl(base, db, "-s", "MEMUSAGE_LIMIT_MB=50", "-s", "MEMUSAGE_WARNING_MB=40",
                       "-s", "MEMUSAGE_CHECK_INTERVAL_SECONDS=0.5")
    assert result.returncode == 1, result.stderr[-3000:]
    assert "stopped at MEMUSAGE_LIMIT_MB=50" in result.stdout
    assert "Memory usage reached 40MiB" in result.stderr
    assert "Traceback" not in result.stderr
    run = query(db, "select finish_reason, stats from runs order by id desc limit 1")[0]
    assert run["finish_reason"] == "memusage_exceeded"
    assert json.loads(run["stats"])["memusage/limit_reached"] == 1
    assert_intact(db, before)
