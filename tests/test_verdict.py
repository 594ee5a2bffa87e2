"""One outcome for every entry point: ``newscrawl crawl``, ``scrapy crawl world`` and a
scrapyd job (tests/test_scrapyd.py) record the same verdict in the runs ledger and exit with
it; ``newscrawl runs --check`` gives a scheduler the last run's verdict as its exit code."""

from __future__ import annotations

import socket
import subprocess
import sys

from tests.conftest import FAST, ROOT, newscrawl, query
from tests.hostile import hostile, html, listing
from tests.test_url_identity import SLUGS, story, write_site

ARTICLE = r"^/world/\d{4}/\d{2}/\d{2}/[a-z0-9-]+$"
OTHER_SITES_PATTERN = r"^/World/\d{6}/t\d{8}_\d+\.html$"  # bjreview's story URLs


def scrapy_crawl(site_file, db, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "world", "-a", f"site_file={site_file}",
         "-s", f"NEWSCRAWL_DB={db}", *FAST, *extra],
        cwd=ROOT, capture_output=True, text=True, timeout=120)


def check(db) -> subprocess.CompletedProcess:
    return newscrawl("runs", "--db", str(db), "--check")


def test_every_entry_point_records_the_same_verdict_and_exits_with_it(tmp_path):
    routes = {"/robots.txt": html("User-agent: *\nAllow: /\n", content_type="text/plain"),
              "/world/": html(listing(SLUGS))}
    routes.update({path: html(story(i)) for i, path in enumerate(SLUGS)})
    db = tmp_path / "a.db"
    (tmp_path / "good").mkdir()
    (tmp_path / "wrong").mkdir()
    with hostile(routes) as (_server, base):
        good = write_site(tmp_path / "good", base, ARTICLE)
        wrong = write_site(tmp_path / "wrong", base, OTHER_SITES_PATTERN)
        by_newscrawl = newscrawl("crawl", "--site-file", str(wrong), "--db", str(db), *FAST)
        by_scrapy = scrapy_crawl(wrong, db)
        assert (by_newscrawl.returncode, by_scrapy.returncode) == (1, 1), by_scrapy.stderr[-3000:]
        failed = query(db, "select finish_reason, verdict, verdict_reason, exit_code from runs")
        assert failed[0] == failed[1]
        assert failed[0]["finish_reason"] == "finished"  # Scrapy's word: it ended normally
        assert (failed[0]["verdict"], failed[0]["exit_code"]) == ("failed", 1)
        assert failed[0]["verdict_reason"].startswith(
            f"{base.split('://')[1]}: no link on the listing pages matches the profile's "
            f"article pattern; 3 other links were seen, e.g. {base}{SLUGS[0]}")
        # The same words as the summary `newscrawl crawl` printed, and in scrapy's log.
        assert failed[0]["verdict_reason"].split("; ")[0] in by_newscrawl.stdout.splitlines()[0]
        assert "Verdict (exit code 1): FAILED: " in by_scrapy.stderr
        result = check(db)
        assert result.returncode == 1
        assert result.stdout.startswith("failed: run 2 (slashless, started ")
        assert "no link on the listing pages matches" in result.stdout
        assert len(result.stdout.splitlines()) == 1

        ok = scrapy_crawl(good, db)
        assert ok.returncode == 0, ok.stderr[-3000:]
        (last,) = query(db, "select new, verdict, verdict_reason, exit_code from runs "
                            "where id = 3")
        assert (last["new"], last["verdict"], last["exit_code"]) == (3, "ok", 0)
        assert last["verdict_reason"].startswith(f"{base.split('://')[1]}: 3 new and 0 updated")
        result = check(db)
        assert result.returncode == 0 and result.stdout.startswith("ok: run 3 (slashless, ")
        table = newscrawl("runs", "--db", str(db)).stdout.splitlines()
        header = table[0].split()
        assert [line.split()[header.index("verdict")] for line in table[2:]] == [
            "failed", "failed", "ok"]

    # Nothing answers: scrapy crawl exits 69 as newscrawl crawl does, and so does the check.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    gone = write_site(tmp_path / "good", closed, ARTICLE)
    unreachable = scrapy_crawl(gone, db, "-s", "NEWSCRAWL_RETRY_BACKOFF=0")
    assert unreachable.returncode == 69, unreachable.stderr[-3000:]
    assert query(db, "select verdict, exit_code from runs where id = 4") == [
        {"verdict": "failed", "exit_code": 69}]
    result = check(db)
    assert result.returncode == 69 and "is the site reachable?" in result.stdout


def test_check_fails_a_run_that_never_ended_and_judges_one_recorded_before_verdicts(tmp_path):
    from pipelines.store import Store

    db = tmp_path / "a.db"
    store = Store(db)
    stats = {"finish_reason": "finished", "downloader/response_status_count/200": 4,
             "newscrawl/pages/listing": 1, "newscrawl/pages/article": 3,
             "newscrawl/articles/new": 3}
    old = store.start_run("bjreview")
    store.finish_run(old, "finished", stats)  # as runs were recorded before m010: no verdict
    store.close()
    result = check(db)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith(f"ok: run {old} (bjreview, started ")
    assert "3 new and 0 updated articles stored" in result.stdout

    store = Store(db)
    live = store.start_run("bjreview")  # still running, or killed before it ended
    store.close()
    result = check(db)
    assert result.returncode == 1
    assert result.stdout.startswith(f"failed: run {live} (bjreview, started ")
    assert "has not finished" in result.stdout
    # The next run closes it as interrupted; a check of that site's runs then says so too.
    store = Store(db)
    store.start_run("other")
    store.close()
    result = newscrawl("runs", "--db", str(db), "--check", "--site", "bjreview")
    assert result.returncode == 1 and "was interrupted" in result.stdout
    empty = newscrawl("runs", "--db", str(db), "--check", "--site", "nope")
    assert empty.returncode == 1 and "no run recorded" in empty.stderr


def test_a_spider_exception_is_one_error_in_the_summary_and_the_ledger(tmp_path):
    """Scrapy counts an exception in a callback twice (``spider_exceptions/count`` and by
    class); a download that failed after two retries is three tries and one error."""
    import json

    from crawler.summary import format_summary, summary_record
    from pipelines.store import Store

    stats = {"finish_reason": "finished", "response_received_count": 5,
             "spider_exceptions/count": 1, "spider_exceptions/ValueError": 1,
             "newscrawl/errors/http_503": 1,
             "downloader/exception_type_count/twisted.internet.error.ConnectionRefusedError": 3,
             "newscrawl/errors/connection_failed": 1, "newscrawl/skipped/no_body": 2}
    store = Store(tmp_path / "a.db")
    run = store.start_run("bjreview")
    store.finish_run(run, "finished", stats)
    (row,) = store.rows("select errors, errors_by_kind, skipped, skipped_by_kind from runs")
    store.close()
    assert (row["errors"], row["skipped"]) == (3, 2)
    assert json.loads(row["errors_by_kind"]) == {
        "connection_failed": 1, "http_503": 1, "spider_exception_ValueError": 1}
    assert json.loads(row["skipped_by_kind"]) == {"no_body": 2}
    record = summary_record(stats, "a.db")
    assert sum(record["errors"].values()) == row["errors"]
    assert sum(record["skipped"].values()) == row["skipped"]
    assert "spider exception ValueError 1" in format_summary(stats, "a.db")
