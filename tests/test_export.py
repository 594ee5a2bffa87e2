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
    db, _ = crawled_db
    result = newscrawl("export", "--db", str(db), "--since", "2025-06-23", "--language", "ZH")
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["language"], r["published"]) for r in records] == [("zh", "2025-06-27")]

    result = newscrawl("export", "--db", str(db), "--since", "2025-06-23")
    dates = [json.loads(line)["published"] for line in result.stdout.splitlines()]
    want = [r["published"] for r in stored(db, "select published from articles "
                                               "where published >= '2025-06-23' order by id")]
    assert dates == want and len(dates) < 10 and min(dates) == "2025-06-23"


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
