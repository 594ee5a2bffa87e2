"""canonical_url and the content fingerprints."""

import dataclasses

import pytest

from crawler.sites import BJREVIEW
from pipelines.dedup import (DEFAULT_TRACKING_PARAMS, canonical_url, content_hash, near_duplicate,
                             request_url, simhash, simhash_similarity, site_links)

ARTICLE = "https://www.bjreview.com/World/202506/t20250623_800400123.html"
LOCAL = BJREVIEW.with_start_url("http://127.0.0.1:8123/World/")


@pytest.mark.parametrize("variant", [
    ARTICLE,
    ARTICLE + "?utm_source=rss&utm_medium=feed",
    ARTICLE + "#comments",
    "https://www.bjreview.com.cn/World/202506/t20250623_800400123.html",
    "http://www.bjreview.com.cn/World/202506/t20250623_800400123.html?fbclid=abc",
    "HTTPS://WWW.BJREVIEW.COM:443/World/202506/t20250623_800400123.html",
    "https://www.bjreview.com//World/202506/t20250623_800400123.html",
])
def test_article_variants_fold_into_one_url(variant):
    assert canonical_url(variant, BJREVIEW) == ARTICLE


@pytest.mark.parametrize("variant", [
    "https://www.bjreview.com/World",
    "https://www.bjreview.com/World/",
    "https://www.bjreview.com/World/index.html",
    "https://www.bjreview.com.cn/World/index.html?utm_campaign=x",
])
def test_section_front_variants_fold(variant):
    assert canonical_url(variant, BJREVIEW) == "https://www.bjreview.com/World/"


def test_meaningful_query_is_kept_and_sorted():
    url = "https://www.bjreview.com/search.html?q=asia&page=2&utm_source=x"
    assert canonical_url(url, BJREVIEW) == "https://www.bjreview.com/search.html?page=2&q=asia"


def test_start_url_override_folds_the_real_hosts_onto_the_mirror():
    assert canonical_url(ARTICLE, LOCAL) == (
        "http://127.0.0.1:8123/World/202506/t20250623_800400123.html")
    assert canonical_url("https://www.bjreview.com.cn/World/index.html", LOCAL) == (
        "http://127.0.0.1:8123/World/")


def test_other_hosts_are_left_alone():
    assert canonical_url("http://example.org/a/index.html", BJREVIEW) == "http://example.org/a/"
    # bjreview's own rules (slash folding) are not applied to another site's URLs.
    bbc = "https://www.bbc.com/news/explainers-63159607"
    assert canonical_url(bbc, BJREVIEW) == bbc


GENERIC = dataclasses.replace(BJREVIEW, name="generic", hosts=("news.example",), aliases=(
    "www.news.example",), fold_trailing_slash=False, tracking_params=DEFAULT_TRACKING_PARAMS)


def test_key_keeps_an_extension_less_path_as_linked():
    url = "https://news.example/world/2024/06/23/story-number-0"
    assert canonical_url(url, GENERIC) == url
    assert canonical_url(url + "/", GENERIC) == url + "/"  # two URLs until a redirect says one
    assert canonical_url(url, None) == url


@pytest.mark.parametrize("param", ["sid", "source", "from", "ref", "share", "id", "page"])
def test_story_id_like_parameters_are_kept_by_default(param):
    assert canonical_url(f"https://news.example/story.php?{param}=7&utm_source=x", GENERIC) == (
        f"https://news.example/story.php?{param}=7")


def test_a_site_names_its_own_tracking_parameters():
    site = dataclasses.replace(GENERIC, tracking_params=("utm_*", "from", "spm"))
    assert canonical_url("https://news.example/a.html?from=home&spm=1.2&utm_x=3&sid=9", site) == (
        "https://news.example/a.html?sid=9")


def test_request_url_is_what_was_linked_safely_normalized():
    linked = "HTTPS://WWW.News.Example:443/world/Story One?b=2&a=1&utm_source=x#top"
    assert request_url(linked, GENERIC) == (
        "https://news.example/world/Story%20One?b=2&a=1&utm_source=x")
    assert request_url("https://news.example/world/story-number-0", GENERIC) == (
        "https://news.example/world/story-number-0")
    assert request_url("https://www.bjreview.com.cn/World/index.html", LOCAL) == (
        "http://127.0.0.1:8123/World/index.html")


def test_site_links_pair_each_key_with_the_url_first_linked():
    links = site_links("https://news.example/world/", [
        "2024/06/23/slug?utm_source=a", "/world/2024/06/23/slug", "story.php?sid=1#c",
        "https://elsewhere.example/x"], GENERIC)
    assert links.urls == ["https://news.example/world/2024/06/23/slug",
                          "https://news.example/world/story.php?sid=1"]
    assert links.requests == ["https://news.example/world/2024/06/23/slug?utm_source=a",
                              "https://news.example/world/story.php?sid=1"]
    assert links.offsite == 1


def test_content_hash_ignores_case_and_whitespace_only():
    a = "Xi attended the summit.\n\nIt was in Astana."
    assert content_hash(a) == content_hash("  xi attended the SUMMIT. It was   in Astana. ")
    assert content_hash(a) != content_hash("Xi attended the summit. It was in Almaty.")


PARAGRAPH = (
    "Over the past decade and more, China and Central Asian countries have worked hand in hand "
    "to promote the full revival of the Silk Road, dedicating efforts to forge deep, "
    "future-oriented cooperation and ushering bilateral relations into a new era. "
    "The initiative has played a central role in advancing cooperation between China and the "
    "Central Asian countries. China now stands as Central Asia's top trading partner and major "
    "investment source. In 2024, two-way trade reached roughly $95 billion, up $5.4 billion "
    "from the previous year. As Kazakhstan is a landlocked country, Neafie said, the "
    "initiative, along with broader trends in globalization, has helped people in the country "
    "become more globally connected and outward-looking. The First China-Central Asia Summit "
    "was convened in Xi'an, capital of the northwestern Chinese province of Shaanxi, in May "
    "2023. At the event, the leaders agreed to hold the top-level gathering every two years "
    "alternately in China and Central Asian countries. During this year's summit, the six "
    "heads of state signed the Astana Declaration and a treaty on eternal "
    "good-neighborliness, friendship and cooperation.")


def test_near_duplicate_accepts_a_small_edit_and_rejects_another_story():
    edited = PARAGRAPH.replace("new era", "new age", 1)
    assert near_duplicate(PARAGRAPH, edited)
    assert simhash_similarity(simhash(PARAGRAPH), simhash(edited)) > 0.9
    other = PARAGRAPH.split(". ", 3)[3] + " " + (
        "The Luban Workshop has been operating in Tajikistan for more than two years and "
        "trains engineers in vocational programs across the region, its director said, adding "
        "that similar workshops have opened in Kazakhstan, Kyrgyzstan and Uzbekistan. " * 3)
    assert not near_duplicate(PARAGRAPH, other)


def test_simhash_fits_a_signed_sqlite_integer():
    value = simhash(PARAGRAPH)
    assert -(2 ** 63) <= value < 2 ** 63
    assert simhash_similarity(value, value) == 1.0


def test_simhash_is_trafilaturas_value():
    """Stored simhashes are compared across runs and versions: the faster vote must give
    trafilatura's Simhash bit for bit (text without tokens included)."""
    from trafilatura.deduplication import Simhash

    from pipelines.dedup import normalize_text

    for text in (PARAGRAPH, PARAGRAPH[:60], "中国和中亚五国元首在阿斯塔纳签署了条约。", "", " \n\t ",
                 "— « » …", "Word " * 40):
        expected = Simhash(normalize_text(text)).hash
        assert simhash(text) == (expected - (1 << 64) if expected >= (1 << 63) else expected)


@pytest.mark.parametrize("href", [
    "/world/a b", "/world/é", "/world/it's", "/world/[x]", "/world/a|b", "/world/%zz",
    "/world/ok-2024_06~x.html?q=1&r=(2)*3;4,5!@$", "/world/%E4%B8%AD"])
def test_request_urls_skip_w3lib_only_when_it_would_change_nothing(href):
    from w3lib.url import safe_url_string

    links = site_links("https://news.example/", [href], GENERIC)
    assert links.requests == [safe_url_string(f"https://news.example{href}")]
