"""What ``newscrawl crawl`` prints: default, -q, -v, --json, on a fixture crawl and on an
unreachable site.  Every run is a real subprocess crawl over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import os
import pty
import re
import subprocess
import sys

import pytest

from tests.conftest import FAST, ROOT, newscrawl

# The politeness settings off, the log level left to the CLI's own flags.
QUICK = [a for a in FAST if a != "LOG_LEVEL=INFO"][:-1]
UNREACHABLE = "http://127.0.0.1:9"  # the discard port: nothing listens there


def run(base: str, db, *flags: str) -> subprocess.CompletedProcess:
    return newscrawl("crawl", "--start-url", f"{base}/World/", "--db", str(db), *QUICK,
                     "-s", "NEWSCRAWL_RETRY_BACKOFF=0.1", *flags)


def summaries(text: str) -> int:
    return len(re.findall(r"^Articles: new", text, re.M))


def test_quick_flags_keep_the_log_level_to_the_cli():
    assert "LOG_LEVEL=INFO" not in QUICK and "DOWNLOAD_DELAY=0" in QUICK


def test_default_output_is_warnings_a_progress_line_and_one_summary(site_url, tmp_path):
    result = run(site_url, tmp_path / "a.db", "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0.2")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout
    assert out.startswith("OK: 127.0.0.1:"), out
    assert "10 new and 0 updated articles stored (incremental run" in out.splitlines()[0]
    assert summaries(out) == 1 and "Articles: new 10, updated 0, unchanged 0" in out
    assert "Skipped: no article body 1" in out  # reasons in words, not stat keys
    err = result.stderr
    # No banner, settings, stats dump or INFO line; not a traceback.
    for noise in ("Scrapy 2.", "Overridden settings", "Dumping Scrapy stats", " INFO: ",
                  "Traceback", "Crawled 0 pages"):
        assert noise not in err, noise
    # Without a terminal, the progress is a plain line every NEWSCRAWL_PROGRESS_INTERVAL.
    lines = [line for line in err.splitlines() if " progress: " in line]
    assert lines, err[-2000:]
    assert re.search(r"progress: pages \d+ \(listing \d+\) \| articles new \d+, updated 0, "
                     r"unchanged 0 \| duplicates \d+ \| skipped \d+ \| errors 0 \| "
                     r"\d+ pages/min$", lines[-1]), lines[-1]
    assert summaries(err) == 0


def test_quiet_prints_only_the_summary(site_url, tmp_path):
    result = run(site_url, tmp_path / "a.db", "-q", "-s", "NEWSCRAWL_PROGRESS_INTERVAL=0.2")
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.startswith("OK: ") and summaries(result.stdout) == 1


def test_verbose_is_scrapys_info_log_and_drops_name_the_page_not_the_item(site_url, tmp_path):
    result = run(site_url, tmp_path / "a.db", "-v", "--log-file", str(tmp_path / "crawl.log"))
    assert result.returncode == 0
    err = result.stderr
    assert "Scrapy 2." in err and " INFO: " in err
    assert summaries(result.stdout) == 1 and summaries(err) == 0  # printed once
    dropped = [line for line in err.splitlines() if "Dropped " in line]
    assert any("exact duplicate of" in line for line in dropped), dropped
    assert any("no article body" in line for line in dropped), dropped
    for line in dropped:
        # One short line: the URL and the reason, never the item and its body.
        assert len(line) < 400 and "PageItem" not in line and "article=" not in line, line
        assert re.search(r"Dropped http://127\.0\.0\.1:\d+/\S+: \S", line), line
    log = (tmp_path / "crawl.log").read_text()
    assert "Dumping Scrapy stats" in log and "Dropped " in log


def test_debug_does_not_dump_items_either(site_url, tmp_path):
    result = run(site_url, tmp_path / "a.db", "-vv", "--max-pages", "0")
    assert result.returncode == 0
    scraped = [line for line in result.stderr.splitlines() if "Scraped " in line]
    assert scraped and all(len(line) < 300 for line in scraped), scraped[:3]
    assert " DEBUG: " in result.stderr


def test_json_summary_for_schedulers(site_url, tmp_path):
    result = run(site_url, tmp_path / "a.db", "--json")
    assert result.returncode == 0
    record = json.loads(result.stdout)  # the whole of stdout is one object
    assert record["verdict"] == "OK" and record["ok"] is True and record["exit_code"] == 0
    assert record["mode"] == "incremental" and record["site"] == "bjreview"
    assert record["articles"]["new"] == 10 and record["duplicates"] == {"exact": 1}
    assert record["skipped"] == {"no article body": 1}
    assert record["pages"]["listing"] >= 1 and record["database"] == str(tmp_path / "a.db")

    again = json.loads(run(site_url, tmp_path / "a.db", "--json").stdout)
    assert again["articles"]["new"] == 0 and again["known_links_skipped"] >= 10
    assert "incremental run" in again["headline"]


@pytest.mark.parametrize("flags", [(), ("-q",), ("-v",)], ids=["default", "quiet", "verbose"])
def test_unreachable_site_says_why_once(tmp_path, flags):
    result = run(UNREACHABLE, tmp_path / "a.db", *flags)
    assert result.returncode == 69
    first = result.stdout.splitlines()[0]
    assert first == "FAILED: 127.0.0.1:9: connection refused (3 tries)"
    assert summaries(result.stdout) == 1 and result.stdout.count("FAILED") == 1
    assert "Skipped: not requested: robots.txt unavailable 1" in result.stdout
    assert "Download failures (tries): connection refused 3" in result.stdout
    assert "DownloadConnectionRefusedError" not in result.stdout
    assert "Traceback" not in result.stderr and "Finished: finished" not in result.stdout
    assert summaries(result.stderr) == 0 and "Error: " not in result.stderr
    if flags == ("-q",):
        assert result.stderr == ""
    if not flags:
        assert "RFC 9309" in result.stderr and len(result.stderr.splitlines()) <= 5


def test_unreachable_site_json(tmp_path):
    result = run(UNREACHABLE, tmp_path / "a.db", "--json", "-q")
    assert result.returncode == 69
    record = json.loads(result.stdout)
    assert record["verdict"] == "FAILED" and record["exit_code"] == 69
    assert record["headline"] == "127.0.0.1:9: connection refused (3 tries)"
    assert record["download_failures"] == {"connection refused": 3}
    assert any("RFC 9309" in r for r in record["reasons"])


def test_log_file_keeps_the_full_log_the_terminal_does_not_show(tmp_path):
    log = tmp_path / "crawl.log"
    result = run(UNREACHABLE, tmp_path / "a.db", "--log-file", str(log))
    assert "Traceback" not in result.stderr and "Scrapy 2." not in result.stderr
    text = log.read_text()
    assert "Scrapy 2." in text and "INFO" in text  # the full log, at INFO
    assert "robots.txt of" in text and "unreachable" in text  # the warnings too
    assert len(text.splitlines()) > len(result.stderr.splitlines())


def test_verbose_and_quiet_together_is_a_usage_error(tmp_path):
    result = newscrawl("crawl", "-v", "-q", "--db", str(tmp_path / "a.db"))
    assert result.returncode == 2 and "-v or -q" in result.stderr


def test_progress_updates_in_place_on_a_terminal(site_url, tmp_path):
    """Under a real pseudo-terminal the progress line is redrawn (carriage returns or
    cursor moves), not printed as one line per tick."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "--start-url", f"{site_url}/World/",
         "--db", str(tmp_path / "a.db"), *QUICK, "-s", "DOWNLOAD_DELAY=0.05"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL,
        env={**os.environ, "COLUMNS": "200", "TERM": "xterm"})
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out, _ = proc.communicate(timeout=120)
    os.close(leader)
    screen = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, screen[-2000:]
    assert "articles new 10, updated 0, unchanged 0" in screen
    assert "\r" in screen or "\x1b[" in screen  # redrawn in place
    assert " progress: " not in screen  # not the plain cron line
    assert out.decode().startswith("OK: ")
