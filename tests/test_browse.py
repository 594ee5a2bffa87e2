"""Browsing: Datasette's JSON API and pages on a real crawled database, through its own client."""

from __future__ import annotations

import asyncio
import json
import shutil
import sqlite3
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import pytest
import sqlite_utils

from crawler.browse import build_metadata, load_metadata, make_datasette, write_chart
from crawler.browse.plugin import body_html
from pipelines.store import connect
from tests.conftest import newscrawl

FTS_SHADOWS = ("_data", "_idx", "_docsize", "_config", "_content")


def get(db: Path, path: str, **kwargs):
    """GET ``path`` from a fresh in-process Datasette for ``db``."""
    async def run():
        return await make_datasette(db, **kwargs).client.get(path)
    return asyncio.run(run())


def rows(db: Path, path: str) -> list[dict]:
    response = get(db, path)
    assert response.status_code == 200, response.text[:500]
    body = response.json()
    return body["rows"] if isinstance(body, dict) else body


def test_metadata_describes_every_table_and_column_of_the_schema(tmp_path):
    db = connect(tmp_path / "fresh.db")  # every migration applied: the schema as shipped
    tables = load_metadata()["database"]["tables"]
    fts = [t for t in db.table_names() if db[t].virtual_table_using == "FTS5"]
    shadows = {f + s for f in fts for s in FTS_SHADOWS}
    for name in set(db.table_names()) - shadows:
        assert name in tables, f"table {name} has no entry in crawler/browse/metadata.yaml"
        meta = tables[name]
        assert meta.get("title") and meta.get("description"), f"describe table {name}"
        undescribed = set(db[name].columns_dict) - set(meta.get("columns", {}))
        assert not undescribed, f"describe {name}'s columns {sorted(undescribed)} in metadata.yaml"
    for view in db.view_names():
        assert view in tables, f"view {view} has no entry in crawler/browse/metadata.yaml"


def test_title_source_and_licence_are_shown(crawled_db):
    db, _ = crawled_db
    page = get(db, "/")
    assert page.status_code == 200
    for text in ("newscrawl", "Beijing Review, World section", "https://www.bjreview.com/World/",
                 "all rights reserved"):
        assert text in page.text
    table = get(db, "/articles/articles")
    assert "Articles" in table.text
    # The column descriptions are one click away, on their own page (tests/test_reading.py).
    assert 'href="/-/newscrawl/columns"' in table.text


def test_search_box_finds_a_word_of_a_fixture_article_body(crawled_db):
    db, manifest = crawled_db
    found = rows(db, "/articles/articles.json?_search=Mamadazimov&_shape=objects")
    assert [r["title"] for r in found] == [
        "Second China-Central Asia summit draws new blueprint for cooperation"]
    # Porter stemming: "negotiations" finds "negotiating"/"negotiated".
    stems = rows(db, "/articles/articles.json?_search=negotiations&_shape=objects")
    assert stems and all("negotiat" in (r["text"] + r["title"]).lower() for r in stems)
    assert rows(db, "/articles/articles.json?_search=xylophone&_shape=objects") == []
    page = get(db, "/articles/articles?_search=Mamadazimov")
    assert 'name="_search"' in page.text and "1 row" in page.text


def test_articles_are_newest_first_with_site_language_and_month_facets(crawled_db):
    db, manifest = crawled_db
    stored = rows(db, "/articles/articles.json?_shape=objects")
    dates = [r["published"] for r in stored]
    assert dates == sorted(dates, reverse=True) and len(dates) == 10

    facets = get(db, "/articles/articles.json?_extra=facet_results").json()["facet_results"]
    counts = {name: {v["value"]: v["count"] for v in f["results"]} for name, f in facets.items()}
    assert counts["site"] == {"bjreview": 10}
    assert counts["language"] == dict(Counter(r["language"] for r in stored))
    assert counts["language"]["zh"] == 1
    assert counts["published"] == dict(Counter(d[:7] for d in dates))
    assert facets["published"]["type"] == "month"

    june = rows(db, "/articles/articles.json?published__startswith=2025-06&_shape=objects")
    assert len(june) == counts["published"]["2025-06"]
    assert all(r["published"].startswith("2025-06") for r in june)


def test_canned_queries_answer_the_readers_questions(crawled_db):
    db, manifest = crawled_db
    latest = rows(db, "/articles/latest.json?_shape=objects")
    assert [r["published"] for r in latest] == sorted((r["published"] for r in latest),
                                                      reverse=True)
    per_day = rows(db, "/articles/per_day.json?_shape=objects")
    assert sum(r["articles"] for r in per_day) == 10
    per_language = {r["language"]: r["articles"]
                    for r in rows(db, "/articles/per_language.json?_shape=objects")}
    assert per_language == {"en": 9, "zh": 1}

    mismatch = rows(db, "/articles/language_mismatch.json?_shape=objects")
    zh = next(a for a in manifest["articles"] if a["lang"] == "zh")
    assert [(r["title"], r["declared_language"], r["language"]) for r in mismatch] == [
        (zh["title"], "en", "zh")]

    duplicates = rows(db, "/articles/duplicates.json?_shape=objects")
    expected = manifest["duplicates"][0]
    assert len(duplicates) == 1 and duplicates[0]["kind"] == "exact"
    pair = {duplicates[0]["duplicate_url"].split("/", 3)[3],
            duplicates[0]["story_url"].split("/", 3)[3]}
    assert pair == {expected["path"].lstrip("/"), expected["duplicate_of"].lstrip("/")}

    runs = rows(db, "/articles/runs.json?_shape=objects")
    assert [(r["finish_reason"], r["new"]) for r in runs] == [("finished", 10)]


def test_canned_queries_over_missing_tables_are_left_out(tmp_path):
    db_path = tmp_path / "old.db"
    db = sqlite_utils.Database(db_path)
    db["articles"].insert({"id": 1, "url": "u", "site": "bjreview", "title": "t",
                           "published": "2025-01-02", "text": "x", "language": "en",
                           "declared_language": "en", "language_probability": 1.0}, pk="id")
    db.conn.close()
    queries = build_metadata(db_path)["databases"]["old"]["queries"]
    assert "runs" not in queries and "duplicates" not in queries
    assert "latest" in queries and "per_day" in queries
    assert get(db_path, "/old/runs.json").status_code == 404
    assert rows(db_path, "/old/per_day.json?_shape=objects") == [
        {"day": "2025-01-02", "articles": 1}]


def test_the_body_reads_as_paragraphs_on_the_row_page(crawled_db):
    db, _ = crawled_db
    row = rows(db, "/articles/articles.json?_search=Mamadazimov&_shape=objects")[0]
    page = get(db, f"/articles/articles/{row['id']}")
    assert page.status_code == 200
    paragraphs = [p for p in row["text"].splitlines() if p.strip()]
    assert len(paragraphs) > 10
    assert page.text.count('<div class="nc-body">') == 1
    assert str(body_html(row["text"])) in page.text
    css = get(db, "/-/newscrawl/newscrawl.css")
    assert css.status_code == 200 and "nc-body" in css.text
    assert "/-/newscrawl/newscrawl.css" in page.text


def test_body_html_escapes_markup():
    assert str(body_html("a <b>\n\n c & d")) == (
        '<div class="nc-body"><p>a &lt;b&gt;</p><p> c &amp; d</p></div>')


def chart_counts(svg_html: str) -> Counter:
    svg = svg_html[svg_html.index("<svg"):svg_html.index("</svg>") + 6]
    tree = ElementTree.fromstring(svg)
    return Counter({(r.get("data-day"), r.get("data-language")): int(r.get("data-count"))
                    for r in tree.iter("{http://www.w3.org/2000/svg}rect") if r.get("data-day")})


def test_chart_shows_articles_per_day_by_language(crawled_db, tmp_path):
    db, _ = crawled_db
    conn = sqlite3.connect(db)
    expected = Counter({(d[:10], lang): n for d, lang, n in conn.execute(
        "select published, language, count(*) from articles group by 1, 2")})
    conn.close()
    live = get(db, "/-/newscrawl/chart")
    assert live.status_code == 200
    assert chart_counts(live.text) == expected
    assert "<script" not in live.text and "http://" not in live.text.replace(
        "http://www.w3.org/2000/svg", "")

    copy = tmp_path / "copy.db"
    shutil.copy(db, copy)
    written = write_chart(copy)
    assert written == tmp_path / "copy.chart.html"
    assert chart_counts(written.read_text(encoding="utf-8")) == expected


def test_browse_refuses_a_missing_database_and_says_how_to_make_one(tmp_path):
    result = newscrawl("browse", "--db", str(tmp_path / "none.db"), timeout=30)
    assert result.returncode == 1
    assert "no database at" in result.stderr and "newscrawl crawl --db" in result.stderr
    assert not (tmp_path / "none.db").exists()
