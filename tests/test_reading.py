"""The browse view made for reading: the article page, the compact list, ranked search with
snippets (English and Chinese), the column dictionary and the chart's links, through
Datasette's own client on a database made by a real crawl of the fixture site."""

from __future__ import annotations

import re
import shutil
import sqlite3
from html import unescape
from urllib.parse import parse_qsl, urlsplit

import pytest

from crawler.browse.reading import byline, format_date, standfirst
from crawler.browse.search import Query, substring_snippet
from pipelines.extract import Article
from pipelines.store import Store, connect
from tests.conftest import query
from tests.fixture_site import ARTICLES
from tests.test_browse import get, rows

REF = next(a for a in ARTICLES if a.id == "800400123")
ZH = next(a for a in ARTICLES if a.lang == "zh")
ZH_WORD = "企业家"  # "entrepreneur": three characters inside a clause of the Chinese article
ZH_SHORT = "天津"  # "Tianjin": two characters, below what a trigram index can match


def html(db, path: str) -> str:
    page = get(db, path)
    assert page.status_code == 200, page.text[:500]
    return page.text


def article_id(db, title: str) -> int:
    return query(db, "select id from articles where title = ?", (title,))[0]["id"]


def test_reading_helpers():
    assert format_date("2025-06-23") == "23 June 2025"
    # A day alone is the site's local day: its zone is said, unless it is the default UTC.
    assert format_date("2025-06-23", "Asia/Shanghai") == "23 June 2025 (Asia/Shanghai)"
    assert format_date("2025-06-23", "UTC") == "23 June 2025"
    assert format_date("2025-06-23T14:05:00+08:00", "Asia/Shanghai") == "23 June 2025, 14:05 UTC+08:00"
    assert format_date("2025-06-23T14:05:00+08:00") == "23 June 2025, 14:05 UTC+08:00"
    assert format_date("2025-06-23T06:05:00Z") == "23 June 2025, 06:05 UTC"
    assert format_date("2025-06-23T14:05:00") == "23 June 2025, 14:05 (no time zone given)"
    assert format_date("June-ish") == "June-ish"
    assert byline('["A"]') == "By A" and byline('["A", "B", "C"]') == "By A, B and C"
    assert byline("not json") == "" and byline(None) == ""
    assert standfirst("Amid the desert...", ["Amid the desert, a lone column"]) == ""
    assert standfirst("A summary.", ["Another opening."]) == "A summary."


def test_article_page_reads_as_an_article(crawled_db):
    db, _ = crawled_db
    row = query(db, "select * from articles where title = ?", (REF.title,))[0]
    text = html(db, f"/-/newscrawl/article/{row['id']}")
    assert f"<h1>{REF.title}</h1>" in text
    assert row["published"] == "2025-06-23"  # the page gives a day: shown in the site's zone
    assert "By Ma Miaomiao" in text and "23 June 2025 (Asia/Shanghai)" in text and "bjreview" in text
    assert f'href="{row["url"]}"' in text  # the original
    body = text[text.index('<div class="nc-body">'):text.index("</div>", text.index("nc-body"))]
    paragraphs = [p for p in row["text"].splitlines() if p.strip()]
    assert body.count("<p>") == len(paragraphs) > 10
    assert '["' not in text  # no raw JSON
    assert 'href="/articles/articles"' in text  # the way back to the list
    assert f'href="/articles/articles/{row["id"]}"' in text  # every field, one click away


def test_article_page_links_its_duplicates_versions_and_says_it_was_withdrawn(crawled_db, tmp_path):
    db = tmp_path / "a.db"
    shutil.copy(crawled_db[0], db)
    alias = query(db, "select * from aliases where kind = 'exact'")[0]
    story = query(db, "select * from articles where id = ?", (alias["article_id"],))[0]
    store = Store(db)
    try:
        changed = Article(url=story["url"], page_url=story["url"], title=story["title"],
                          authors=[], published=story["published"], description=None,
                          text=story["text"] + "\nA correction was appended to this story.",
                          language=story["language"], content_hash="a changed body")
        assert store.save(changed, story["site"]).outcome == "updated"
        store.withdraw(story["url"])
        store.commit()
    finally:
        store.close()
    version = query(db, "select id from versions where article_id = ?", (story["id"],))[0]
    text = html(db, f"/-/newscrawl/article/{story['id']}")
    assert "Also published as" in text and alias["url"] in text and "the same text" in text
    assert "Earlier versions" in text and f'href="/a/versions/{version["id"]}"' in text
    assert "withdrawn" in text and "A correction was appended" in text

    # Withdrawn stories are hidden from the list, one click from being shown.
    listed = rows(db, "/a/articles.json?_shape=objects")
    assert len(listed) == 9 and story["id"] not in {r["id"] for r in listed}
    assert len(rows(db, "/a/articles.json?_shape=objects&_nc_withdrawn=1")) == 10
    page = html(db, "/a/articles")
    assert "rows where not withdrawn and not a near copy of another story" in page and "_nc_withdrawn=1" in page
    assert get(db, "/-/newscrawl/article/999999").status_code == 404


def test_articles_table_opens_on_a_compact_list(crawled_db):
    db, _ = crawled_db
    text = html(db, "/articles/articles")
    items = re.findall(r'<a class="nc-title" href="/-/newscrawl/article/(\d+)">([^<]+)</a>', text)
    stored = rows(db, "/articles/articles.json?_shape=objects")
    assert [int(i) for i, _t in items] == [r["id"] for r in stored]  # newest first
    assert [unescape(t) for _i, t in items] == [r["title"] for r in stored]
    assert 'class="rows-and-columns"' not in text  # not the 28-column table
    listing = text[text.index('<ul class="nc-list">'):]
    listing = listing[:listing.index("</ul>")]
    assert listing.count("<li>") == 10
    for internal in ("content_hash", "simhash", "etag", "{", "["):
        assert internal not in listing, internal
    assert not re.search(r"[0-9a-f]{32}", listing)  # no hashes
    assert "column-descriptions" not in text
    assert "23 June 2025" in text and "k chars" in text
    # Every column is one click away, and the list one click back.
    full = html(db, "/articles/articles?_nc_view=table")
    assert 'class="rows-and-columns"' in full and "content_hash" in full
    assert "Compact list" in full
    assert 'href="/-/newscrawl/columns"' in text


def test_column_dictionary_has_its_own_page(crawled_db):
    from crawler.browse import load_metadata

    db, _ = crawled_db
    text = unescape(html(db, "/-/newscrawl/columns"))
    described = load_metadata()["database"]["tables"]["articles"]["columns"]
    for column, meaning in described.items():
        assert f"<dt>{column}</dt><dd>{meaning}</dd>" in text, column
    assert "Raw pages" not in text  # hidden tables stay hidden


def ranked(db, match: str, fts: str = "articles_fts") -> list[int]:
    return [r["rowid"] for r in query(
        db, f"select rowid from {fts} where {fts} match ? order by rank", (match,))]


def results(text: str) -> list[int]:
    return [int(i) for i in re.findall(
        r'<li>\s*<a class="nc-title" href="/-/newscrawl/article/(\d+)"', text)]


def test_search_is_ranked_by_relevance_with_a_highlighted_snippet(crawled_db):
    db, _ = crawled_db
    text = html(db, "/-/newscrawl/search?q=summit")
    found = results(text)
    assert len(found) >= 2 and found == ranked(db, '"summit"')  # FTS5 rank, not date
    dates = {r["id"]: r["published"] for r in query(db, "select id, published from articles")}
    assert [dates[i] for i in found] != sorted((dates[i] for i in found), reverse=True) or \
        len(found) < 3
    snippets = re.findall(r'<p class="nc-snippet">(.*?)</p>', text, re.S)
    assert len(snippets) == len(found)
    assert all(re.search(r"<mark>summit</mark>", s, re.I) for s in snippets)
    # Porter stemming still applies: "negotiations" finds "negotiated".
    assert results(html(db, "/-/newscrawl/search?q=negotiations"))


def test_search_escapes_what_it_shows(crawled_db):
    db, _ = crawled_db
    text = html(db, "/-/newscrawl/search?q=%3Cscript%3Ealert(1)%3C/script%3E")
    assert "<script>alert(1)" not in text and "&lt;script&gt;alert(1)" in text
    assert "0 articles match" in text
    assert get(db, '/-/newscrawl/search?q=%22unbalanced').status_code == 200


def test_chinese_words_are_found_inside_a_clause(crawled_db):
    db, _ = crawled_db
    zh_id = article_id(db, ZH.title)
    assert ranked(db, f'"{ZH_WORD}"') == []  # the porter index cannot see the word ...
    assert ranked(db, f'"{ZH_WORD}"', "articles_trigram") == [zh_id]  # ... the trigram one does
    for word, mode in ((ZH_WORD, "trigram"), (ZH_SHORT, "substring")):
        assert Query(word).mode == mode
        text = html(db, f"/-/newscrawl/search?q={word}")
        assert results(text) == [zh_id], word
        snippet = re.search(r'<p class="nc-snippet">(.*?)</p>', text, re.S).group(1)
        assert f"<mark>{word}</mark>" in snippet or \
            all(f"<mark>{c}" in snippet or c in snippet for c in word), snippet


def test_search_facets_filter_the_results(crawled_db):
    db, _ = crawled_db
    text = html(db, "/-/newscrawl/search?q=China")
    links = dict(re.findall(r'<a href="(/-/newscrawl/search\?[^"]+)">(\w+)</a> \d+', text))
    zh = next(href for href, label in links.items() if label == "zh") if "zh" in links.values() \
        else None
    en = next(href for href, label in links.items() if label == "en")
    args = dict(parse_qsl(urlsplit(unescape(en)).query))
    assert args == {"q": "China", "language": "en"}
    filtered = results(html(db, unescape(en)))
    languages = {r["id"]: r["language"] for r in query(db, "select id, language from articles")}
    assert filtered and {languages[i] for i in filtered} == {"en"}
    assert zh is None or results(html(db, unescape(zh)))


def test_substring_snippet_marks_every_term():
    text = "一" * 100 + "天津举行" + "二" * 100
    snippet = str(substring_snippet(text, ["天津"]))
    assert "<mark>天津</mark>举行" in snippet and snippet.startswith("…")
    assert str(substring_snippet("a <b> c", ["b"])) == "a &lt;<mark>b</mark>&gt; c…"


def test_chart_has_labelled_axes_a_way_back_and_bars_that_open_the_list(crawled_db):
    db, _ = crawled_db
    text = html(db, "/-/newscrawl/chart")
    assert "Articles per day</text>" in text and "Publication date" in text
    assert '<a href="/articles/articles">&larr; Articles</a>' in text
    bars = re.findall(r'<a href="([^"]+)"><rect [^>]*data-day="([\d-]+)" '
                      r'data-language="(\w+)" data-count="(\d+)"', text)
    assert bars and sum(int(n) for *_x, n in bars) == 10
    for href, day, language, count in bars:
        listed = rows(db, unescape(href).replace("/articles/articles?",
                                                 "/articles/articles.json?_shape=objects&"))
        assert len(listed) == int(count)
        assert all(r["published"].startswith(day) and r["language"] == language for r in listed)


def test_trigram_index_follows_inserts_updates_and_deletes(tmp_path):
    db = connect(tmp_path / "t.db")
    row = {"url": "https://x.example/a", "site": "x", "text": "世界经济论坛在天津举行",
           "content_hash": "h", "first_seen": "t", "last_seen": "t", "language": "zh",
           "title": "论坛"}
    db["articles"].insert(row)
    db["articles"].insert({**row, "url": "https://x.example/b", "language": "en",
                           "text": "The forum met in Tianjin", "title": "Forum"})
    db.conn.commit()
    path = tmp_path / "t.db"
    assert ranked(path, '"经济论坛"', "articles_trigram") == [1]
    db.execute("update articles set text = '新能源汽车产量继续攀升' where id = 1")
    db.conn.commit()
    assert ranked(path, '"经济论坛"', "articles_trigram") == []
    assert ranked(path, '"新能源"', "articles_trigram") == [1]
    db.execute("update articles set language = 'en' where id = 1")
    db.conn.commit()
    assert ranked(path, '"新能源"', "articles_trigram") == []
    db.execute("update articles set language = 'zh' where id = 1")
    db.execute("delete from articles where id = 1")
    db.conn.commit()
    assert ranked(path, '"新能源"', "articles_trigram") == []
    db.execute("insert into articles_trigram(articles_trigram) values ('integrity-check')")
    db.conn.close()


def test_trigram_migration_indexes_the_chinese_rows_already_stored(crawled_db, tmp_path):
    """A database made before the migration: its Chinese rows are indexed when it runs."""
    path = tmp_path / "old.db"
    shutil.copy(crawled_db[0], path)
    conn = sqlite3.connect(path)
    for trigger in ("ai", "ad", "au"):
        conn.execute(f"drop trigger articles_trigram_{trigger}")
    conn.execute("drop table articles_trigram")
    conn.execute("delete from _sqlite_migrations where name = 'm004_issue14_trigram_search'")
    conn.commit()
    conn.close()
    connect(path).conn.close()  # applies the migration again, as on an old file
    assert ranked(path, f'"{ZH_WORD}"', "articles_trigram") == [article_id(path, ZH.title)]
    languages = {r["language"] for r in query(
        path, "select a.language from articles_trigram_docsize d join articles a on a.id = d.id")}
    assert languages == {"zh"}  # only the languages written without spaces
