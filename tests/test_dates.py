"""Dates: meta tags, the URL and the visible date line cross-checked; impossible dates dropped."""

from __future__ import annotations

from datetime import date

import lxml.html
import pytest

from crawler.sites import BJREVIEW, SiteError, get_site
from pipelines.dates import find_dates
from pipelines.extract import extract
from tests.fixture_site import ARTICLES, render_article

URL = "https://www.bjreview.com/World/202506/t20250623_800400123.html"
TODAY = date(2026, 11, 28)


def page(head: str = "", body: str = "") -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(f"<html><head>{head}</head><body>{body}</body></html>")


def test_fixture_article_dates():
    ref = next(a for a in ARTICLES if a.id == "800400123")
    article = extract(render_article(ref).encode(), URL, BJREVIEW)
    assert article.published == "2025-06-23"
    assert article.date_conflict is None and article.rejected_dates == []


def test_a_naive_time_gets_the_site_time_zone_and_modified_is_kept():
    tree = page('<meta property="article:published_time" content="2025-06-23T09:30:00">'
                '<meta property="article:modified_time" content="2025-06-24T08:00:00Z">')
    found = find_dates(tree, URL, site_timezone="Asia/Shanghai", today=TODAY)
    assert found.published == "2025-06-23T09:30:00+08:00"
    assert found.modified == "2025-06-24T08:00:00+00:00"
    assert found.conflict is None


def test_json_ld_dates_are_read():
    tree = page('<script type="application/ld+json">{"@graph": [{"@type": "NewsArticle", '
                '"datePublished": "2025-06-23T10:00:00+08:00"}]}</script>')
    assert find_dates(tree, None, today=TODAY).published == "2025-06-23T10:00:00+08:00"


def test_sources_that_disagree_are_flagged():
    tree = page('<meta name="publishdate" content="2025-07-02">')
    found = find_dates(tree, URL, visible="By Ma Miaomiao · 2025-06-23", today=TODAY)
    assert found.published == "2025-07-02"
    assert found.conflict == "url 2025-06-23, meta 2025-07-02, page 2025-06-23"


@pytest.mark.parametrize("bad", ["2099-01-01", "1970-01-01T00:00:00Z", "0000-00-00"])
def test_impossible_dates_are_dropped_not_stored(bad):
    tree = page(f'<meta name="publishdate" content="{bad}">')
    found = find_dates(tree, "https://example.org/news/story.html", today=TODAY)
    assert found.published is None
    if bad != "0000-00-00":
        assert found.rejected == [bad]


def test_phone_numbers_and_copyright_years_are_not_dates():
    # In the page htmldate reads, not only in the visible line: a phone number written like
    # a date and a copyright span are free text, never a publication date.
    footer = ("<p>Delegates met to discuss trade.</p><footer><p>Tel: 2021-07-15 ext. 12</p>"
              "<p>Fax 010-6899-6263</p><p>Copyright 1998-2025 Beijing Review</p></footer>")
    found = find_dates(page(body=footer), "https://example.org/news/story.html",
                       visible="Tel: 010-6899-6263 · Copyright 1998-2025 Beijing Review",
                       today=TODAY)
    assert found.published is None and found.conflict is None


def test_unknown_timezone_in_a_site_is_an_error(tmp_path):
    profile = tmp_path / "s.toml"
    profile.write_text('extends = "bjreview"\ntimezone = "Mars/Olympus"\n')
    with pytest.raises(SiteError, match="unknown timezone"):
        get_site(site_file=profile)
