"""Store: migrations, one row per story, aliases, atomic batches, WAL, FTS, the run ledger."""

import gzip
import sqlite3

import pytest

from pipelines.dedup import content_hash, simhash
from pipelines.extract import Article
from pipelines.store import Store, connect

BODY = (
    "In less than 48 hours in Astana from June 16 to 18, Xi attended more than 10 bilateral "
    "and multilateral events, during which he renewed traditional friendship, discussed ways "
    "of promoting cooperation, and drew the blueprint for development with the heads of state "
    "of the five Central Asian countries.\nSince the launch of the BRI, Central Asian "
    "countries have actively aligned their national development plans and strategies with it, "
    "Abdugani Mamadazimov, a scholar at Tajik National University, told Xinhua News Agency.\n"
    "New rail, road and air logistics routes are delivering Chinese household appliances, "
    "consumer goods and electric vehicles to Central Asia, while high-quality Central Asian "
    "exports such as fertilizers, cotton, beef and mutton are reaching China more efficiently "
    "than ever.")


def article(url: str, text: str = BODY, title: str = "Summit in Astana") -> Article:
    return Article(url=url, page_url=url, title=title, authors=["Ma Miaomiao"],
                   published="2025-06-23", description=None, text=text, language="en",
                   language_probability=0.99, content_hash=content_hash(text),
                   simhash=simhash(text))


URL = "http://127.0.0.1:1/World/202506/t20250623_800400123.html"
OTHER = "http://127.0.0.1:1/World/202506/t20250624_800400124.html"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "a.db", batch_size=2)
    yield s
    if s.db.conn:
        try:
            s.close()
        except sqlite3.ProgrammingError:
            pass


def test_new_then_unchanged_then_updated(store):
    assert store.save(article(URL), "bj").outcome == "new"
    assert store.save(article(URL), "bj").outcome == "unchanged"
    changed = store.save(article(URL, BODY + "\nA correction was added."), "bj")
    assert changed.outcome == "updated"
    rows = list(store.rows())
    assert len(rows) == 1 and rows[0]["text"].endswith("A correction was added.")


def test_exact_duplicate_under_another_url_becomes_an_alias(store):
    first = store.save(article(URL), "bj")
    dup = store.save(article(OTHER), "bj")
    assert (dup.outcome, dup.kind, dup.article_id) == ("duplicate", "exact", first.article_id)
    assert store.count() == 1
    assert store.find(OTHER)["url"] == URL
    # A re-crawl of the re-post finds it through its alias: a duplicate again, one row.
    assert store.save(article(OTHER), "bj").outcome == "duplicate"
    assert store.count() == 1


def test_a_near_duplicate_keeps_its_text_in_a_row_marked_duplicate_of(store):
    first = store.save(article(URL), "bj", raw=b"<html>the story</html>")
    store.commit()
    before = next(store.rows())
    edited = BODY.replace("more than 10", "over ten")
    saved = store.save(article(OTHER, edited), "bj", raw=b"<html>the copy</html>")
    assert (saved.outcome, saved.kind, saved.url, saved.copy) == ("duplicate", "near", URL, True)
    assert saved.article_id != first.article_id
    story, copy = store.rows()
    assert story == before  # the story it copies is untouched
    assert (copy["url"], copy["duplicate_of"], copy["text"]) == (OTHER, first.article_id, edited)
    assert list(store.rows("select url from aliases")) == []
    pages = {r["article_id"]: gzip.decompress(r["html_gzip"])
             for r in store.rows("select article_id, html_gzip from pages")}
    assert pages == {first.article_id: b"<html>the story</html>",
                     copy["id"]: b"<html>the copy</html>"}
    # A re-crawl of the copy updates its row (its old text a version), never adds one.
    again = store.save(article(OTHER, edited + "\nA correction was added."), "bj")
    assert (again.outcome, again.article_id) == ("updated", copy["id"])
    assert store.count() == 2
    assert [r["text"] for r in store.rows("select text from versions")] == [edited]
    # A third near copy is marked as a copy of the story, not of the copy.
    third = store.save(article(OTHER + "?x", edited.replace("Tajik", "the Tajik")), "bj")
    assert store.find(OTHER + "?x")["duplicate_of"] == first.article_id, third


def test_fetched_url_differing_from_canonical_is_recorded(store):
    a = article(URL)
    store.save(a, "bj", fetched_url=URL + "?page=1")
    assert store.find(URL + "?page=1")["url"] == URL


def test_batches_commit_atomically(tmp_path):
    path = tmp_path / "b.db"
    store = Store(path, batch_size=3)
    store.save(article(URL), "bj")
    store.save(article(OTHER, "A different story about a summit. " * 8), "bj")
    reader = sqlite3.connect(path)
    # Two saves are still one open batch: a reader sees none of it (WAL, not blocked).
    assert reader.execute("select count(*) from articles").fetchone() == (0,)
    store.save(article(URL.replace("123", "125"), "A third story, on railways. " * 8), "bj")
    assert reader.execute("select count(*) from articles").fetchone() == (3,)
    store.close()
    reader.close()


def test_wal_fts_strict_schema_and_integrity(store):
    store.save(article(URL), "bj")
    store.commit()
    db = store.db
    assert db.execute("pragma journal_mode").fetchone()[0] == "wal"
    hits = list(db.query("select rowid from articles_fts where articles_fts match 'fertilizers'"))
    assert len(hits) == 1
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("insert into articles (url, site, text, content_hash, first_seen, last_seen,"
                   " language_probability) values ('u', 's', 't', 'h', 'n', 'n', 'high')")
    assert db.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_migrations_are_idempotent(tmp_path):
    path = tmp_path / "m.db"
    connect(path).conn.close()
    db = connect(path)
    assert {"articles", "aliases", "runs"} <= set(db.table_names())
    db.conn.close()


def test_run_ledger(store):
    run = store.start_run("bj")
    store.save(article(URL), "bj", run_id=run)
    store.finish_run(run, "finished", {"newscrawl/articles/new": 1, "response_received_count": 3,
                                       "newscrawl/dedup/exact": 2})
    row = next(store.rows("select * from runs"))
    assert (row["finish_reason"], row["new"], row["pages"], row["duplicates"]) == (
        "finished", 1, 3, 2)
