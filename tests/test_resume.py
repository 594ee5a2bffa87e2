"""Safety of scheduled runs, for real: a second run on a locked database is refused, a run
killed with SIGKILL mid-crawl is completed by the next one, and --jobdir resumes a run
stopped with SIGTERM.  Each compares its database with an uninterrupted crawl's."""

from __future__ import annotations

import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FAST, ROOT, crawl
from tests.test_incremental import query, site_file

# One request at a time, a commit per article: slow enough to stop the run half-way.
SLOW = [*FAST, "-s", "DOWNLOAD_DELAY=0.4", "-s", "RANDOMIZE_DOWNLOAD_DELAY=False",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "NEWSCRAWL_FLUSH_ROWS=1"]


def start_slow(base_url: str, db: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "--start-url", f"{base_url}/World/",
         "--db", str(db), *SLOW, *extra],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def count(db: Path) -> int:
    try:
        return query(db, "select count(*) from articles")[0][0]
    except sqlite3.Error:
        return 0


def wait_for_articles(proc: subprocess.Popen, db: Path, n: int, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stored = count(db)
        if stored >= n:
            return stored
        if proc.poll() is not None:
            pytest.fail(f"the crawl ended before storing {n} articles:\n{proc.stderr.read()[-3000:]}")
        time.sleep(0.05)
    proc.kill()
    pytest.fail(f"fewer than {n} articles after {timeout} s")


def content(db: Path) -> tuple:
    """What must match between two crawls: every story (body, title, language) and every
    URL that leads to one (its path: the two crawls' fixture servers have their own ports).
    Which of a re-post pair is the row depends on fetch order."""
    stories = sorted(tuple(r) for r in query(
        db, "select content_hash, title, published, language, text from articles"))
    urls = sorted(re.sub(r"^http://127\.0\.0\.1:\d+/", "/", r[0]) for r in query(
        db, "select url from articles union all select url from aliases"))
    return stories, urls


@pytest.fixture
def reference(crawled_db) -> tuple:
    """An uninterrupted crawl of the same fixture site: the session's (conftest.py)."""
    return content(crawled_db[0])


# Breadth-first (Scrapy's documented FIFO settings): articles are stored newest first, so
# the killed run leaves the front page known and the older pages not yet fetched.
BFS = ["-s", "DEPTH_PRIORITY=1",
       "-s", "SCHEDULER_DISK_QUEUE=scrapy.squeues.PickleFifoDiskQueue",
       "-s", "SCHEDULER_MEMORY_QUEUE=scrapy.squeues.FifoMemoryQueue"]


def test_sigkill_mid_crawl_then_a_normal_run_gives_the_same_rows(site_url, tmp_path, reference):
    db = tmp_path / "a.db"
    profile = str(site_file(tmp_path, stop_after_known=2))
    proc = start_slow(site_url, db, "--site-file", profile, *BFS)
    stored = wait_for_articles(proc, db, 4)

    # While it runs, the next scheduled run is refused and touches nothing.
    second = crawl(site_url, db, "--site-file", profile)
    assert second.returncode == 75, second.stderr[-3000:]
    assert f"another newscrawl run (pid {proc.pid})" in second.stderr
    assert "this run was refused" in second.stdout
    assert "downloader/request_count" not in second.stderr

    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert query(db, "pragma integrity_check")[0][0] == "ok"
    assert stored <= count(db) < 10  # every committed article survived; the work is unfinished
    newest = query(db, "select url from articles where url like '%800400455%' "
                       "or url like '%800400377%'")
    assert len(newest) == 2, "the scenario needs the front page's first links stored"

    # The front page's first links are known: only the "last run did not finish" rule makes
    # this run walk past the stop to the older pages.
    result = crawl(site_url, db, "--site-file", profile)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "walking every listing page" in result.stderr
    assert query(db, "pragma integrity_check")[0][0] == "ok"
    assert content(db) == reference
    reasons = [r[0] for r in query(db, "select finish_reason from runs order by id")]
    assert reasons == ["interrupted", "finished"]

    # And the run after that is incremental again.
    assert crawl(site_url, db, "--site-file", profile).returncode == 0
    assert query(db, "select listing_pages from runs order by id desc limit 1")[0][0] == 1


def test_jobdir_resumes_a_run_stopped_with_sigterm(site_url, tmp_path, reference):
    db, jobdir = tmp_path / "a.db", tmp_path / "job"
    proc = start_slow(site_url, db, "--jobdir", str(jobdir))
    wait_for_articles(proc, db, 3)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err[-3000:]
    assert f"resume with --jobdir {jobdir}" in out
    paused = count(db)
    assert paused < 10
    assert (jobdir / "requests.seen").stat().st_size > 0

    result = crawl(site_url, db, "--jobdir", str(jobdir))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Resuming crawl" in result.stderr
    assert content(db) == reference
    stats = query(db, "select listing_pages, articles_fetched from runs order by id desc")[0]
    # Pages fetched before the pause are not fetched again.
    assert stats["articles_fetched"] <= 12 - paused
    assert query(db, "pragma integrity_check")[0][0] == "ok"
