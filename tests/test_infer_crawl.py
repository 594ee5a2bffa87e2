"""`newscrawl crawl URL` with no profile, end to end: one real subprocess crawl per site shape
over HTTP on 127.0.0.1 into a real SQLite file; and the `site` commands a user runs."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from crawler.cli import cli
from crawler.infer import page_key
from crawler.sites import load_site_file
from pipelines.dedup import canonical_url
from tests.conftest import FAST, ROOT, newscrawl, query
from tests.fixture_shapes import SHAPES, build_shape
from tests.server import serving_pages


def stored_keys(db) -> set[str]:
    return {page_key(r["url"]) for r in query(db, "select url from articles")}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_crawl_from_a_section_url_stores_exactly_the_stories(shape, tmp_path):
    site = build_shape(shape)
    db = tmp_path / "a.db"
    with serving_pages(site.pages) as server:
        site.set_base(server.base_url)
        url = server.base_url + site.start_path
        result = newscrawl("crawl", url, "--db", str(db), *FAST)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "Inferred the profile" in result.stderr
        stories = {page_key(canonical_url(server.base_url + p)) for p in site.articles}
        others = {page_key(canonical_url(server.base_url + p)) for p in [*site.others, *site.listings]}
        stored = stored_keys(db)
        precision = len(stored & stories) / len(stored)
        recall = len(stored & stories) / len(stories)
        assert precision >= 0.99 and recall >= 0.98, (sorted(stored - stories), sorted(stories - stored))
        assert not stored & others  # no tag, author, video, listing... page became a row
        (row,) = query(db, "select * from sites")
        assert row["source"] == "inferred" and row["start_url"] == canonical_url(url)
        assert json.loads(row["profile"])["hosts"] == [urlsplit(server.base_url).netloc]

        if shape in ("wordpress", "feeds"):  # one paginated, one fed by RSS and a sitemap
            hits = len(server.hits)
            # The stored profile is reused: found by its section URL, or named with --site.
            how = [url] if shape == "wordpress" else ["--site", row["name"]]
            again = newscrawl("crawl", *how, "--db", str(db), *FAST)
            assert again.returncode == 0, again.stderr[-3000:]
            assert "Inferred" not in again.stderr
            assert "Using the profile" in again.stderr or shape == "feeds"
            assert "article 0)" in again.stdout and "new 0," in again.stdout
            assert len(server.hits) - hits <= 6  # robots.txt, a listing page or two, feeds
            assert stored_keys(db) == stored

        if shape == "drupal":  # the Scrapy way (scrapyd): the stored profile by its name
            again = subprocess.run(
                [sys.executable, "-m", "scrapy", "crawl", "world", "-a", f"site={row['name']}",
                 "-s", f"NEWSCRAWL_DB={db}", *FAST], cwd=ROOT, capture_output=True, text=True,
                timeout=120)
            assert again.returncode == 0, again.stderr[-3000:]
            last = query(db, "select * from runs order by id desc limit 1")[0]
            assert (last["site"], last["finish_reason"], last["new"]) == (row["name"], "finished", 0)
            assert stored_keys(db) == stored


def test_a_site_it_cannot_understand_fails_with_what_was_missing(tmp_path):
    page = b"<html><body><div id='app'>Loading...</div><a href='/about/'>About</a></body></html>"
    db = tmp_path / "a.db"
    with serving_pages({"/world/": (page, "text/html")}) as server:
        result = newscrawl("crawl", server.base_url + "/world/", "--db", str(db), *FAST)
    assert result.returncode == 1
    assert "cannot infer a profile: could not find the section's story links" in result.stderr
    assert "Traceback" not in result.stderr
    assert not db.exists() or not query(db, "select * from sites")


def test_site_commands_infer_check_and_show(tmp_path):
    site = build_shape("drupal")
    runner = CliRunner()
    with serving_pages(site.pages) as server:
        site.set_base(server.base_url)
        url = server.base_url + site.start_path
        out = runner.invoke(cli, ["site", "infer", url, "--name", "courier"])
        assert out.exit_code == 0, out.output
        profile = tomllib.loads(out.stdout)  # the dry run is TOML comments after the profile
        assert profile["name"] == "courier" and profile["article_pattern"] == r"^/node/\d+$"
        assert "# Listing pages (story links):" in out.stdout and "Pagination: /world?page={n}" in out.stdout

        path = tmp_path / "courier.toml"
        out = runner.invoke(cli, ["site", "infer", url, "--name", "courier", "-o", str(path)])
        assert out.exit_code == 0, out.output
        assert load_site_file(path).article_pattern == r"^/node/\d+$"

        out = runner.invoke(cli, ["site", "check", str(path)])
        assert out.exit_code == 0, out.output
        assert "fields valid" in out.output and "story links on the section page" in out.output

        wrong = tmp_path / "wrong.toml"
        wrong.write_text(path.read_text().replace(r"^/node/\d+$", r"^/story/\d+$"))
        out = runner.invoke(cli, ["site", "check", str(wrong)])
        assert out.exit_code == 1
        assert "no link on the section page matches article_pattern" in out.output

        db = tmp_path / "a.db"
        out = runner.invoke(cli, ["site", "show", "courier", "--db", str(db)])
        assert out.exit_code == 1 and "no profile 'courier'" in out.output
        from pipelines.sites_table import save_profile
        from crawler.sites import site_to_dict
        save_profile(db, "courier", url, site_to_dict(load_site_file(path)), "inferred")
        out = runner.invoke(cli, ["site", "show", "courier", "--db", str(db)])
        assert out.exit_code == 0 and "article_pattern = '^/node/\\d+$'" in out.output
        out = runner.invoke(cli, ["site", "check", "courier", "--db", str(db)])
        assert out.exit_code == 0, out.output


@pytest.mark.parametrize(("content", "messages"), [
    ("", ["is empty", "start_urls"]),
    ('name = "x"\nstart_urls = "https://a.test/world/"\nhosts = ["a.test"]\narticle_pattern = "x"',
     ['start_urls must be a list of strings', 'write start_urls = ["https://a.test/world/"]']),
    ('name = "x"\nstart_urls = ["https://a.test/"]\nhosts = ["a.test"]\narticle_pattern = "("\n'
     'max_pages = "ten"\nbyline_xpath = "//td[@class="', ["article_pattern is not a valid regex",
                                                        "max_pages must be a positive whole number"]),
    ('name = "x"\nstart_urls = ["https://a.test/"]\nhosts = ["a.test"]\narticle_pattern = "a"\n'
     'byline_xpath = "//td[@class=\'ly4\'"', ["byline_xpath is not a valid XPath"]),
    ('name = 3\nhosts = "a.test"', ["name must be a string", "hosts must be a list",
                                    "missing required field 'start_urls'",
                                    "missing required field 'article_pattern'"]),
    ('start_urls = ["/world/"]', ["is not an absolute http(s) URL"]),
    ('name = "x"\nstart_urls = ["https://a.test/"]\nhosts = ["a.test"]\narticle_pattern = "a"\n'
     'timezone = "Beijing"\nrevisit_days = "weekly"\nverify_certificates = "no"',
     ["unknown timezone 'Beijing': not a known IANA", "revisit_days must be a list of positive numbers",
      "verify_certificates must be true or false"]),
    ('name = "x"\nstart_urls = ["https://news.test/world/"]\nhosts = ["www.news.test"]\n'
     'article_pattern = "a"', ["the host of 'https://news.test/world/' is not in hosts or aliases"]),
])
def test_site_check_names_each_error_without_a_traceback(tmp_path, content, messages):
    path = tmp_path / "bad.toml"
    path.write_text(content)
    out = CliRunner().invoke(cli, ["site", "check", str(path)])
    assert out.exit_code == 1 and out.exception is None or isinstance(out.exception, SystemExit)
    for message in messages:
        assert message in out.output
    assert "Traceback" not in out.output
