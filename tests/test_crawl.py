"""End to end: crawl the fixture site over real HTTP into a real SQLite file."""

from __future__ import annotations

import json
import shutil

from tests.conftest import FAST, crawl, newscrawl, rows


def test_crawl_stores_exactly_the_articles_and_a_recrawl_adds_nothing(crawled_site, tmp_path):
    # The first crawl is the session's (tests/conftest.py), its site still served; the
    # re-crawl runs on a copy of its database.
    manifest, site_url, result = crawled_site.manifest, crawled_site.base_url, crawled_site.result
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Articles: new 10, updated 0, unchanged 0" in result.stdout
    assert "Duplicates: exact 1 (the story's aliases)" in result.stdout
    assert f"Database: {crawled_site.db}" in result.stdout
    db = tmp_path / "articles.db"
    shutil.copy(crawled_site.db, db)

    stored = {r["url"].removeprefix(site_url): r for r in rows(db, "select * from articles")}
    duplicate = manifest["duplicates"][0]
    story = {duplicate["path"], duplicate["duplicate_of"]}
    expected = {a["canonical_path"] for a in manifest["articles"]}
    # The re-post and its original are one story: whichever was fetched first keeps the row.
    assert set(stored) - story == expected - story
    assert len(stored & story if isinstance(stored, set) else set(stored) & story) == 1

    for a in manifest["articles"]:
        row = stored.get(a["canonical_path"]) or stored[(story - {a["canonical_path"]}).pop()]
        assert row["title"] == a["title"]
        assert json.loads(row["authors"]) == [a["author"]]
        assert row["published"] == a["date"]
        assert row["language"] == a["lang"]
        assert row["declared_language"] == a["declared_lang"]
        for sentence in a["must_contain"]:
            assert sentence in row["text"]
        for junk in a["must_not_contain"]:
            assert junk not in row["text"]

    for path in manifest["not_stored"]:
        if path not in story:
            assert path not in stored
    aliases = {r["url"].removeprefix(site_url): r["kind"] for r in rows(db, "select * from aliases")}
    assert aliases == {(story - set(stored)).pop(): "exact"}

    run = rows(db, "select * from runs")[0]
    assert (run["finish_reason"], run["new"], run["duplicates"]) == ("finished", 10, 1)

    # A re-crawl fetches no stored article again (the re-post is known as an alias).
    again = crawl(site_url, db)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "article 0)" in again.stdout
    assert "Articles: new 0, updated 0, unchanged 0" in again.stdout
    assert rows(db, "select count(*) from articles")[0][0] == 10
    assert rows(db, "select count(*) from runs")[0][0] == 2
    assert rows(db, "pragma integrity_check")[0][0] == "ok"
    hits = rows(db, "select a.url from articles_fts f join articles a on a.id = f.rowid "
                    "where articles_fts match 'Luban'")
    assert [h["url"].removeprefix(site_url) for h in hits] == [
        "/World/202506/t20250623_800400123.html"]


def test_crawl_obeys_robots_and_stays_on_site(site_dir, site_url, tmp_path):
    root, manifest = site_dir
    robots = root / "robots.txt"
    robots.write_text(robots.read_text() + "Disallow: /World/202505/\n")
    may = {a["path"] for a in manifest["articles"] if a["path"].startswith("/World/202505/")}
    db = tmp_path / "a.db"
    result = crawl(site_url, db)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "example.org" not in result.stderr
    stored = {r["url"].removeprefix(site_url) for r in rows(db, "select url from articles")}
    assert may and not may & stored
    stats = json.loads(rows(db, "select stats from runs")[0]["stats"])
    assert stats["robotstxt/forbidden"] == len(may)
    assert stats["newscrawl/links/offsite"] >= 1
    assert stats["newscrawl/skipped/no_body"] == 1
    # Variant links were folded before requesting: no article was fetched twice.
    assert stats["newscrawl/pages/article"] == 12 - len(may)


def test_max_pages_limits_pagination(site_url, tmp_path):
    db = tmp_path / "a.db"
    result = crawl(site_url, db, "--max-pages", "0")
    assert result.returncode == 0, result.stderr[-3000:]
    stats = json.loads(rows(db, "select stats from runs")[0]["stats"])
    assert stats["newscrawl/pages/listing"] == 1
    assert stats["newscrawl/links/beyond_max_pages"] >= 1


def test_unreachable_site_exits_non_zero(tmp_path):
    result = crawl("http://127.0.0.1:9", tmp_path / "a.db", "-s", "RETRY_TIMES=0")
    assert result.returncode != 0
    assert "nothing was fetched" in result.stdout


def test_articles_only_in_the_feed_and_the_sitemap_are_found(site_dir, site_url, tmp_path):
    """RSS items and sitemap (index -> gzipped sitemap) entries lead to articles that no
    listing page links to."""
    import dataclasses
    import gzip

    from tests.fixture_site import ARTICLES, render_article

    root, manifest = site_dir
    from_feed, from_sitemap = "/World/202507/t20250708_800400501.html", "/World/202507/t20250709_800400502.html"
    english = [a for a in ARTICLES if a.lang == "en"]
    for path, (a, b) in ((from_feed, english[0:2]), (from_sitemap, english[2:4])):
        # A story of its own: half of one article's paragraphs, half of another's.
        mixed = a.body[: len(a.body) // 2] + b.body[len(b.body) // 2:]
        story = dataclasses.replace(a, id=path[-14:-5], date=f"2025-07-{path[-17:-15]}",
                                    paragraphs=mixed, subheads=(), photo_slots=(), url_path="")
        assert story.path == path
        (root / path.lstrip("/")).write_text(render_article(story), encoding="utf-8")
    (root / "World" / "rss.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>World</title>'
        f'<item><title>x</title><link>https://www.bjreview.com{from_feed}?utm_source=rss</link></item>'
        f'<item><title>elsewhere</title><link>http://example.org/elsewhere.html</link></item>'
        f'</channel></rss>', encoding="utf-8")
    (root / "sitemap-1.xml.gz").write_bytes(gzip.compress(
        f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f'<url><loc>https://www.bjreview.com{from_sitemap}</loc></url></urlset>'.encode()))
    (root / "sitemap.xml").write_text(
        '<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        '<sitemap><loc>https://www.bjreview.com/sitemap-1.xml.gz</loc></sitemap></sitemapindex>')
    profile = tmp_path / "bj.toml"
    profile.write_text(f'extends = "bjreview"\nname = "bjreview"\n'
                       f'start_urls = ["{site_url}/World/"]\nhosts = ["{site_url.split("//")[1]}"]\n'
                       f'aliases = ["www.bjreview.com", "www.bjreview.com.cn"]\n'
                       f'feeds = ["{site_url}/World/rss.xml"]\nsitemaps = ["{site_url}/sitemap.xml"]\n')
    db = tmp_path / "a.db"
    result = newscrawl("crawl", "--site-file", str(profile), "--db", str(db), *FAST)
    assert result.returncode == 0, result.stderr[-3000:]
    stored = {r["url"].removeprefix(site_url) for r in rows(db, "select url from articles")}
    assert {from_feed, from_sitemap} <= stored, result.stderr[-6000:]
    assert len(stored) == 12
    stats = json.loads(rows(db, "select stats from runs")[0]["stats"])
    assert stats["newscrawl/pages/feed"] == 1 and stats["newscrawl/pages/sitemap"] == 2
