"""The newscrawl command line as a user runs it: crawl and extract, and their errors."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys

import pytest

from tests.conftest import FAST, ROOT, newscrawl
from tests.fixture_site import ARTICLES, must_contain

REF = next(a for a in ARTICLES if a.id == "800400123")
ZH = next(a for a in ARTICLES if a.lang == "zh")


def test_help_and_version():
    assert "crawl" in newscrawl("--help").stdout
    assert newscrawl("--version").stdout.startswith("newscrawl, version")


def test_extract_files_json_in_order(site_dir):
    root, _ = site_dir
    files = [str(root / a.path.lstrip("/")) for a in (ZH, REF)]
    result = newscrawl("extract", "--json", *files)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["target"] for r in records] == files
    assert list(records[1]) == ["target", "url", "title", "authors", "published", "language",
                                "language_probability", "text"]
    zh, ref = records
    assert zh["language"] == "zh" and ref["language"] == "en"
    assert ref["url"] == f"https://www.bjreview.com{REF.path}"  # from rel=canonical
    assert ref["authors"] == ["Ma Miaomiao"] and ref["published"] == "2025-06-23"
    assert all(s in ref["text"] for s in must_contain(REF))
    assert "Copyedited by" not in ref["text"]


def test_extract_plain_text_and_url_option(site_dir):
    root, _ = site_dir
    path = root / REF.path.lstrip("/")
    result = newscrawl("extract", str(path))
    assert result.returncode == 0
    assert result.stdout.startswith("Amid the vast desert")


def test_extract_url_from_a_server(site_url):
    result = newscrawl("extract", "--json", "--allow-private", f"{site_url}{REF.path}?utm_source=x")
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["title"] == REF.title


@pytest.mark.parametrize(("target", "message"), [
    ("/World/202506/t20990101_1.html", "HTTP 404"),
    ("/robots.txt", "not an HTML page (text/plain)"),
    ("/World/202506/t20250620_800400999.html", "no article body"),
])
def test_extract_url_errors(site_url, target, message):
    result = newscrawl("extract", "--allow-private", f"{site_url}{target}")
    assert result.returncode == 1
    assert message in result.stderr


def test_extract_refuses_loopback_without_allow_private(site_url):
    result = newscrawl("extract", f"{site_url}{REF.path}")
    assert result.returncode == 1
    assert "not a public address" in result.stderr and "--allow-private" in result.stderr


@pytest.mark.parametrize(("target", "message"), [
    ("no/such/file.html", "no such file"),
    ("ftp://127.0.0.1/x.html", "only http and https"),
    ("file:///etc/passwd", "only http and https"),
    ("http://127.0.0.1:9/x.html", "cannot fetch"),
])
def test_extract_other_errors(target, message):
    result = newscrawl("extract", "--allow-private", target)
    assert result.returncode == 1
    assert message in result.stderr


def test_extract_continues_after_a_failed_target(site_dir):
    root, _ = site_dir
    good = str(root / REF.path.lstrip("/"))
    result = newscrawl("extract", "--json", "missing.html", good)
    assert result.returncode == 1
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first == {"target": "missing.html", "error": "no such file: missing.html"}
    assert second["target"] == good and second["text"]


def test_extract_db_dedups_against_crawled_rows(crawled_site, tmp_path):
    db = tmp_path / "a.db"
    shutil.copy(crawled_site.db, db)  # a real crawl's database (the session's), changed here
    # The saved file's canonical link names the real host; --start-url maps it to the crawl's.
    path = str(crawled_site.db.parent / "site" / REF.path.lstrip("/"))
    result = newscrawl("extract", "--db", str(db), "--site", "bjreview",
                       "--start-url", f"{crawled_site.base_url}/World/", path)
    assert result.returncode == 0, result.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from articles").fetchone() == (10,)
    conn.close()


def test_extract_db_needs_a_url_for_files_without_canonical(tmp_path):
    page = tmp_path / "p.html"
    page.write_text("<html><body><article>" + "<p>" + "A sentence about a summit. " * 20
                    + "</p></article></body></html>")
    result = newscrawl("extract", "--db", str(tmp_path / "a.db"), str(page))
    assert result.returncode == 1 and "--url" in result.stderr
    ok = newscrawl("extract", "--db", str(tmp_path / "a.db"), "--url",
                   "https://news.example.org/world/2025/summit.html", str(page))
    assert ok.returncode == 0, ok.stderr


def test_crawl_with_a_site_file(site_url, tmp_path):
    profile = tmp_path / "mirror.toml"
    profile.write_text(f'''extends = "bjreview"
name = "bjreview-mirror"
start_urls = ["{site_url}/World/"]
hosts = ["{site_url.split("//")[1]}"]
max_pages = 1
''')
    db = tmp_path / "a.db"
    result = newscrawl("crawl", "--site-file", str(profile), "--db", str(db), *FAST)
    assert result.returncode == 0, result.stderr[-2000:]
    conn = sqlite3.connect(db)
    sites = conn.execute("select distinct site from articles").fetchall()
    assert sites == [("bjreview-mirror",)]
    conn.close()


def test_crawl_rejects_an_unknown_site():
    result = newscrawl("crawl", "--site", "nope")
    assert result.returncode != 0 and "unknown site 'nope'" in result.stderr


def test_scrapy_crawl_is_equivalent(site_url, tmp_path):
    db = tmp_path / "s.db"
    result = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "world", "-a", "site=bjreview",
         "-a", f"start_url={site_url}/World/", "-s", f"NEWSCRAWL_DB={db}", *FAST],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from articles").fetchone() == (10,)
    conn.close()


def test_extract_of_a_pathological_page_ends_at_the_deadline(tmp_path):
    """trafilatura has no timeout: the one-off command extracts in a killable worker too."""
    page = tmp_path / "huge.html"
    page.write_text("<html><body><p>" + "<span>word</span> " * 200_000 + "</p></body></html>")
    result = newscrawl("extract", "--timeout", "1", str(page), timeout=60)
    assert result.returncode == 1
    assert "longer than 1 s" in result.stderr


def test_extract_same_site_gives_up_on_one_pathological_page_only(tmp_path):
    """--same-site extracts under the same deadline: one hostile file fails, the rest are kept."""
    from tests.fixture_generic import build_generic_site

    root = tmp_path / "site"
    files = [str(root / p.lstrip("/")) for p in build_generic_site(root)]
    huge = tmp_path / "huge.html"
    huge.write_text("<html><body><p>" + "<span>word</span> " * 200_000 + "</p></body></html>")
    result = newscrawl("extract", "--same-site", "--json", "--timeout", "1", *files, str(huge),
                       timeout=120)
    assert result.returncode == 1
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["target"] for r in records] == [*files, str(huge)]
    assert all(r.get("text") for r in records[:-1])
    assert "longer than 1 s" in records[-1]["error"]
