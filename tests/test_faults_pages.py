"""Hostile pages: extraction guards tested directly, then once through a real crawl."""

from __future__ import annotations

import json
import random
import time

import pytest

from pipelines.extract import NoArticle, check_body, decode_html, extract
from pipelines.worker import ExtractTimeout, ExtractWorkers
from tests.conftest import FAST, assert_intact, newscrawl, query, seed
from tests.hostile import article_html, article_path as a, hostile, html, listing

URL = "http://127.0.0.1:8000" + a(1)
MENU = "".join(f"<li><a href='/s{i}'>Menu section number {i} with several words</a></li>"
               for i in range(30))
RUSSIAN = ("Делегации двух стран встретились в столице, чтобы обсудить торговлю, воду и урожай. "
           "Они договорились встретиться снова до конца сезона и подписали совместное заявление. ")


def deep_page(depth: int = 300) -> str:
    body = "".join(f"<p>Deep paragraph {i}: the real article text sits below the nesting "
                   f"limit of the parser and must never be replaced by the menu.</p>" for i in range(5))
    return (f"<html><body><nav><ul>{MENU}</ul></nav>" + "<div>" * depth + f"<article>{body}</article>"
            + "</div>" * depth + "</body></html>")


def inline_bomb(n: int = 200_000) -> str:
    return "<html><body><p>" + "".join(f"<b>w{i}</b> " for i in range(n)) + "</p></body></html>"


def repeated(n: int = 100, alternate: bool = False) -> str:
    line = "<p>The same paragraph said again and again{}, with enough words in it to count.</p>"
    return ("<html><body><article><p>An opening paragraph unlike all the others in this story.</p>"
            + "".join(line.format(f" {i % 2}" if alternate else "") for i in range(n))
            + "</article></body></html>")


@pytest.mark.parametrize(("raw", "reason"), [
    (b"", "empty"),
    (b" \n\t  \r\n" * 100, "empty"),
    (b"\0" * 50_000, "empty"),
    (random.Random(0).randbytes(20_000), "no_body"),
    (deep_page().encode(), "too_deep"),
    (repeated().encode(), "repetitive"),  # trafilatura keeps one copy: judged on the page
    (repeated(alternate=True).encode(), "repetitive"),   # near-copies: our guard
], ids=["empty", "whitespace", "nul", "garbage", "deep_nesting", "repeated", "near_repeated"])
def test_hostile_pages_give_no_article_with_a_reason(raw, reason):
    with pytest.raises(NoArticle) as caught:
        extract(raw, URL)
    assert caught.value.reason == reason


def test_deep_nesting_never_stores_the_menu():
    # Below libxml2's limit the article is found; past it the parser keeps only the menu,
    # which must be refused rather than stored as the article.
    assert "Deep paragraph 0" in extract(deep_page(200).encode(), URL).text
    with pytest.raises(NoArticle, match="parser gave up"):
        extract(deep_page(300).encode(), URL)


def test_windows_1251_declared_as_utf8_is_decoded_from_the_bytes():
    page = article_html(1, body=f"<p>{RUSSIAN * 3}</p>", title="Встреча").replace(
        "charset='utf-8'", "charset='utf-8'").encode("cp1251")
    article = extract(page, URL, encoding="utf-8")
    assert RUSSIAN.strip() in article.text
    assert "\ufffd" not in article.text and article.language == "ru"
    assert article.encoding.replace("-", "").replace("_", "").lower() in ("windows1251", "cp1251")


def test_mixed_encoding_keeps_the_utf8_text():
    page = article_html(1).replace("Paragraph 0", "Paragraph \u00e9t\u00e9 0").encode()
    page = page.replace(b"Paragraph 1", b"Paragraph \xe9 1")  # one stray latin-1 byte
    text, used = decode_html(page, "utf-8")
    assert used == "utf-8" and "\u00e9t\u00e9" in text and text.count("\ufffd") == 1


def test_mojibake_and_binary_bodies_are_refused():
    with pytest.raises(NoArticle, match="mojibake"):
        check_body("Some words \ufffd\ufffd here " * 40)
    with pytest.raises(NoArticle) as caught:
        check_body("letters and \x01\x02\x03 controls " * 40)
    assert caught.value.reason == "garbage"


def test_scripts_styles_and_handlers_never_reach_the_text():
    body = ("<script>var leaked = 'SCRIPT-TEXT';</script><style>.x{color:red} STYLE-TEXT</style>"
            "<p onclick=\"alert('HANDLER-TEXT')\">Markup as text: &lt;b&gt;bold&lt;/b&gt; and "
            "&lt;script&gt;alert(1)&lt;/script&gt; are quoted in this story.</p>"
            + "".join(f"<p>Delegates met in the capital for day {i} of talks on trade, water and "
                      f"the harvest.</p>" for i in range(4)))
    article = extract(article_html(1, body=body, head="<script>HEAD-SCRIPT</script>").encode(), URL)
    for leaked in ("SCRIPT-TEXT", "STYLE-TEXT", "HANDLER-TEXT", "HEAD-SCRIPT", "color:red"):
        assert leaked not in article.text
    # Stored as the characters the reader saw; escaping is the viewer's job (Datasette does).
    assert "<b>bold</b> and <script>alert(1)</script> are quoted" in article.text


DATELESS_URL = "http://127.0.0.1:8000/story.html"  # no date in the URL to fall back on


@pytest.mark.parametrize(("head", "text", "rejected"), [
    ("<meta name='publishdate' content='2091-01-01'>", "", ["2091-01-01"]),
    ("<meta name='publishdate' content='1957-05-01'>", "", ["1957-05-01"]),
    ("", "<p>Call our hotline: Tel 2021-07-15 or 20210715.</p>", []),
    ("", "<p>Copyright © 2003-2019 Example Review. All rights reserved.</p>", []),
], ids=["future", "before_the_web", "phone_number", "copyright_line"])
def test_untrustworthy_dates_are_null(head, text, rejected):
    page = article_html(1, head=head).replace("<meta name='publishdate' content='2025-06-01'>", "")
    page = page.replace("</article>", text + "</article>")
    article = extract(page.encode(), DATELESS_URL)
    assert article.published is None
    assert set(article.rejected_dates) == set(rejected)


def test_a_trustworthy_date_is_kept():
    article = extract(article_html(1, date="2025-06-01").encode(), DATELESS_URL)
    assert (article.published, article.rejected_dates) == ("2025-06-01", [])


def test_extraction_deadline_kills_the_worker_and_the_pool_goes_on():
    with ExtractWorkers(workers=1, timeout=1.0) as workers:
        started = time.monotonic()
        with pytest.raises(ExtractTimeout):
            workers.extract(inline_bomb().encode(), URL, None)
        assert time.monotonic() - started < 5
        # The killed worker was replaced: the next page is extracted normally.
        assert "Paragraph 0" in workers.extract(article_html(2).encode(), URL, None).text


def test_page_faults_in_a_crawl_are_skipped_counted_and_contained(tmp_path):
    pages = {
        1: article_html(1), 2: article_html(2),
        3: article_html(3, body=f"<p>{RUSSIAN * 3}</p>").encode("cp1251"),
        4: deep_page(), 5: inline_bomb(), 6: "", 7: repeated(alternate=True),
        8: article_html(8, date="2091-01-01"),
    }
    routes = {a(n): html(body) for n, body in pages.items()}
    routes["/World/"] = html(listing([a(n) for n in pages]))
    db = tmp_path / "a.db"
    with hostile(routes) as (_server, base):
        before = seed(db, base)
        started = time.monotonic()
        result = newscrawl("crawl", "--start-url", f"{base}/World/", "--db", str(db), *FAST,
                           "-s", "NEWSCRAWL_EXTRACT_TIMEOUT=2", timeout=120)
        elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    assert elapsed < 40
    rows = {r["url"].removeprefix(base): r for r in query(db, "select * from articles")}
    assert set(rows) == {a(n) for n in (1, 2, 3, 8, 900, 901)}
    assert RUSSIAN.strip() in rows[a(3)]["text"] and rows[a(3)]["language"] == "ru"
    # The impossible meta date is rejected; the URL's date is the fallback.
    assert rows[a(8)]["published"][:10] == "2025-06-01" and rows[a(1)]["published"][:10] == "2025-06-01"
    assert "Menu section" not in "".join(r["text"] for r in rows.values())
    assert_intact(db, before)
    stats = json.loads(query(db, "select stats from runs order by id desc limit 1")[0]["stats"])
    assert stats["newscrawl/skipped/too_deep"] == 1
    assert stats["newscrawl/skipped/extract_timeout"] == 1
    assert stats["newscrawl/skipped/empty"] == 1
    assert stats["newscrawl/skipped/repetitive"] == 1
    assert stats["newscrawl/dates/rejected"] == 1


RUSSIAN_NEWS = ["В Астане прошёл саммит глав государств Центральной Азии и Китая.",
                "Участники подписали договор о вечном добрососедстве, дружбе и сотрудничестве.",
                "Стороны обсудили новые проекты в сфере логистики, энергетики и сельского хозяйства.",
                "Следующая встреча пройдёт в Сиане в будущем году, сообщили организаторы."]


def cp1251_page(n: int, label: str) -> bytes:
    """A windows-1251 article whose <meta> declares ``label`` (as its server does)."""
    body = "".join(f"<p>{p}</p>" for p in RUSSIAN_NEWS)
    page = article_html(n, title="Мир, саммит, выборы", body=body)
    return page.replace("charset='utf-8'", f"charset='{label}'").encode("cp1251")


ONE_PARAGRAPH = ("<p>Delegates from both countries met in the capital on Monday to discuss trade, "
                 "water rights and the coming harvest, and agreed to meet again before the end "
                 "of the season to sign a joint statement.</p>")


@pytest.mark.parametrize(("text", "label"), [
    ("Les dirigeants ont signé un traité d’amitié et de coopération éternels à Astana — « un "
     "succès », a déclaré le ministre des Affaires étrangères.", "iso-8859-1"),
    ("Rząd ogłosił dziś nowy plan budowy mieszkań. Premier powiedział, że celem jest "
     "zwiększenie liczby lokali w ciągu pięciu lat.", "iso-8859-2"),
    ("Η κυβέρνηση ανακοίνωσε σήμερα νέο σχέδιο για την κατασκευή κατοικιών στην πρωτεύουσα "
     "και σε άλλες περιοχές.", "iso-8859-7"),
    (" ".join(RUSSIAN_NEWS), "koi8-r"), (" ".join(RUSSIAN_NEWS), "windows-1251"),
    ("הממשלה הודיעה היום על תוכנית חדשה לבניית דירות בבירה ובאזורים אחרים בארץ.", "windows-1255"),
    ("Ulaştırma ve Altyapı Bakanı, Türkiye'de şubat ayı sonu itibarıyla yolcu sayısının "
     "arttığını söyledi.", "iso-8859-9"),
], ids=["fr", "pl", "el", "ru-koi8", "ru-1251", "he", "tr"])
def test_a_right_single_byte_label_is_believed_and_a_wrong_one_is_not(text, label):
    from pipelines.charset import plausible_decode

    browsers = {"iso-8859-1": "cp1252", "iso-8859-9": "cp1254"}.get(label, label)
    page = f"<html><body><h1>{text[:20]}</h1><p>{text}</p><p>{text}</p></body></html>"
    raw = page.encode(browsers)
    assert plausible_decode(raw, label)
    assert decode_html(raw, label) == (raw.decode(label), label)
    cyrillic = cp1251_page(1, "x")
    assert not plausible_decode(cyrillic, "iso-8859-1") and not plausible_decode(cyrillic, "koi8-r")


@pytest.mark.parametrize("label", ["ISO-8859-1", "KOI8-R"])
def test_windows_1251_declared_single_byte_is_decoded_from_the_bytes(tmp_path, label):
    """The label in the HTTP header and the <meta> both lie; crawl, extract FILE and
    extract URL all store the Russian text, never mojibake."""
    saved = tmp_path / "page.html"
    saved.write_bytes(cp1251_page(1, label))
    routes = {a(n): html(cp1251_page(n, label), content_type=f"text/html; charset={label}")
              for n in (1, 2)}
    routes[a(3)] = html(article_html(3))
    routes["/World/"] = html(listing([a(1), a(3)]))  # a(2), the same story, for extract URL
    db = tmp_path / "a.db"
    with hostile(routes) as (_server, base):
        before = seed(db, base)
        result = newscrawl("crawl", "--start-url", f"{base}/World/", "--db", str(db), *FAST)
        by_url = newscrawl("extract", "--json", "--allow-private", base + a(2))
    by_file = newscrawl("extract", "--json", str(saved))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    rows = {r["url"].removeprefix(base): r for r in query(db, "select * from articles")}
    assert set(rows) == {a(n) for n in (1, 3, 900, 901)}
    assert RUSSIAN_NEWS[0] in rows[a(1)]["text"] and rows[a(1)]["title"] == "Мир, саммит, выборы"
    assert rows[a(1)]["language"] == "ru" and rows[a(1)]["encoding"] in ("cp1251", "windows-1251")
    assert_intact(db, before)
    for output in (by_url, by_file):
        assert output.returncode == 0, output.stderr
        record = json.loads(output.stdout)
        assert RUSSIAN_NEWS[0] in record["text"] and record["language"] == "ru"


def test_one_paragraph_repeated_is_no_article_in_crawl_and_extract(tmp_path):
    saved = tmp_path / "page.html"
    saved.write_text(article_html(1, body=ONE_PARAGRAPH * 40))
    routes = {a(1): html(saved.read_text()), a(2): html(article_html(2)),
              "/World/": html(listing([a(1), a(2)]))}
    db = tmp_path / "a.db"
    with hostile(routes) as (_server, base):
        before = seed(db, base)
        result = newscrawl("crawl", "--start-url", f"{base}/World/", "--db", str(db), *FAST)
        by_url = newscrawl("extract", "--allow-private", base + a(1))
    by_file = newscrawl("extract", str(saved))
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr[-3000:]
    stored = {r["url"].removeprefix(base) for r in query(db, "select url from articles")}
    assert stored == {a(n) for n in (2, 900, 901)}
    stats = json.loads(query(db, "select stats from runs order by id desc limit 1")[0]["stats"])
    assert stats["newscrawl/skipped/repetitive"] == 1
    assert_intact(db, before)
    for output in (by_url, by_file):
        assert output.returncode == 1 and "one paragraph repeated" in output.stderr
    # The same paragraph once, or a story of distinct paragraphs, is still an article.
    assert extract(article_html(4, body=ONE_PARAGRAPH).encode(), URL).text


def nested_listing(links: list[str], depth: int) -> str:
    """A listing whose article links sit ``depth`` elements deep (a broken template)."""
    items = "".join(f"<li><a href='{href}'>story {i}</a></li>" for i, href in enumerate(links))
    return (f"<html><head><meta charset='utf-8'><title>World</title></head><body>"
            f"<nav><a href='/World/'>World</a></nav>" + "<div>" * depth + f"<ul>{items}</ul>"
            + "</div>" * depth + "</body></html>")


@pytest.mark.parametrize(("depth", "exit_code", "stored"), [(2100, 1, set()), (200, 0, {1, 2})],
                         ids=["beyond_parser_depth", "deep_but_parsed"])
def test_listing_links_beyond_parser_depth_are_counted_and_logged(tmp_path, depth, exit_code,
                                                                  stored):
    routes = {a(n): html(article_html(n)) for n in (1, 2)}
    routes["/World/"] = html(nested_listing([a(1), a(2)], depth))
    db = tmp_path / "a.db"
    with hostile(routes) as (_server, base):
        before = seed(db, base)
        result = newscrawl("crawl", "--start-url", f"{base}/World/", "--db", str(db), *FAST)
    assert result.returncode == exit_code, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    rows = {r["url"].removeprefix(base) for r in query(db, "select url from articles")}
    assert rows == {a(n) for n in (*stored, 900, 901)}
    assert_intact(db, before)
    stats = json.loads(query(db, "select stats from runs order by id desc limit 1")[0]["stats"])
    if stored:
        assert "newscrawl/skipped/listing_too_deep" not in stats
        return
    assert stats["newscrawl/skipped/listing_too_deep"] == 1
    assert "No links read from the listing page" in result.stderr
    assert "the HTML parser gave up on the page: Excessive depth" in result.stderr
    assert "listing page(s) gave no links" in result.stdout


def test_pages_above_the_size_cap_are_refused_in_the_crawl_and_in_extract(tmp_path):
    """A page far larger than news pages are (a 9 MiB page took 51 s and 700 MB) is not
    extracted: counted and remembered in the crawl, a clear error from `extract FILE`."""
    filler = "".join(f"<p>Paragraph {i} of a page that never ends, about trade and rail.</p>"
                     for i in range(25_000))  # about 1.6 MB
    routes = {a(1): html(article_html(1)), a(2): html(article_html(2, body=filler)),
              "/World/": html(listing([a(1), a(2)]))}
    db = tmp_path / "a.db"
    with hostile(routes) as (_server, base):
        started = time.monotonic()
        result = newscrawl("crawl", "--start-url", f"{base}/World/", "--db", str(db), *FAST,
                           "-s", "NEWSCRAWL_MAX_PAGE_BYTES=1000000", timeout=120)
        elapsed = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    assert elapsed < 60
    assert [r["url"].removeprefix(base) for r in query(db, "select url from articles")] == [a(1)]
    stats = json.loads(query(db, "select stats from runs order by id desc limit 1")[0]["stats"])
    assert stats["newscrawl/skipped/too_large"] == 1
    assert "NEWSCRAWL_MAX_PAGE_BYTES" in result.stderr and "Traceback" not in result.stderr
    assert query(db, "select reason from skipped_pages") == [{"reason": "too_large"}]
    huge = tmp_path / "huge.html"
    huge.write_text(article_html(3, body=filler * 4))  # about 6.5 MB, over the 5 MiB default
    started = time.monotonic()
    one_off = newscrawl("extract", str(huge), timeout=60)
    assert one_off.returncode == 1 and "NEWSCRAWL_MAX_PAGE_BYTES" in one_off.stderr
    assert "Traceback" not in one_off.stderr and time.monotonic() - started < 20
