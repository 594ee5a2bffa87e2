"""Profile inference: the pure analysis on real URLs and HTML, then whole inferences of six
generated site shapes served over HTTP on 127.0.0.1, compared with hand-written profiles."""

from __future__ import annotations

import re
import tomllib
from urllib.parse import urlsplit

import pytest

from crawler.infer import (MAX_REQUESTS, InferenceError, SectionUnreachable, agreed_byline,
                           feed_entries, infer_site, next_page_links, not_story_reason,
                           numbered_pagination, page_key, pagination_from, shape_pattern,
                           timezone_for, url_shape)
from crawler.sites import Site, load_site_file, site_from_dict, site_to_toml
from pipelines.dedup import canonical_url
from tests.fixture_shapes import SHAPES, ShapeSite
from tests.server import serving_pages

DRAFT = Site(name="t", start_urls=("http://news.test/world/",), hosts=("news.test",),
             article_pattern="$^")


@pytest.mark.parametrize(("path", "shape"), [
    ("/2024/06/23/kenya-and-peru-agree-on-water-rights/", "/{yyyy}/{nn}/{nn}/{slug}/"),
    ("/node/4123/", "/node/{n}/"),
    ("/article.php?id=123", r"/article\.php\?id={n}"),
    ("/World/202506/t20250623_800400123.html", r"/World/{n}/t{n}_{n}\.html"),
    ("/news/world/leaders-meet-in-astana-1277811/", "/news/world/{slug}-{n}/"),
    ("/world/2024/06/23/ocean-treaty-takes-effect.html", r"/world/{yyyy}/{nn}/{nn}/{slug}\.html"),
])
def test_url_shapes_turn_numbers_years_and_slugs_into_tokens(path, shape):
    assert url_shape(path) == shape
    assert re.fullmatch(shape_pattern(shape), path)


@pytest.mark.parametrize(("path", "word"), [
    ("/tag/climate/", "tag"), ("/author/jane-doe/", "author"), ("/category/sport/", "category"),
    ("/video/summit-in-60-seconds/", "video"), ("/gallery/12/", "gallery"),
    ("/live/2024/06/23/election-night-live/", "live"), ("/podcast/episode-12/", "podcast"),
    ("/article.php?id=12&print=1", "print"), ("/news/in-pictures/floods-in-the-south-9/", "in-pictures"),
])
def test_non_story_pages_are_named_by_their_urls(path, word):
    assert word in not_story_reason(path)


def test_story_urls_are_not_rejected_by_their_words():
    for path in ("/2024/06/23/kenya-and-peru-agree-on-water-rights/", "/node/4123/",
                 "/article.php?id=123", "/news/world/leaders-meet-in-astana-1277811/"):
        assert not_story_reason(path) is None


@pytest.mark.parametrize(("front", "page", "pattern", "number"), [
    ("/category/world/", "/category/world/page/2/", r"^/category/world/(?:page/(\d+)/)?$", 2),
    ("/world/", "/world/?page=1", r"^/world/(?:\?page=(\d+))?$", 1),
    ("/World/", "/World/index_1.html", r"^/World/(?:index_(\d+)\.html)?$", 1),
    ("/section.php?cat=world", "/section.php?cat=world&pg=2", r"^/section\.php\?cat=world(?:\&pg=(\d+))?$", 2),
    ("/news/world/", "/news/world/?offset=10", r"^/news/world/(?:\?offset=(\d+))?$", 1),
])
def test_pagination_is_the_difference_between_the_front_and_another_page(front, page, pattern, number):
    found = pagination_from(front, page)
    assert found.pattern == pattern
    assert found.number(page) == number and found.number(front) == 0
    assert found.number("/world/2024/06/23/a-story-here/") is None


def test_an_offset_counts_pages_in_steps_of_the_page_size():
    found = pagination_from("/news/world/", "/news/world/?offset=10")
    assert found.step == 10 and found.number("/news/world/?offset=30") == 3


def test_a_story_link_is_not_a_next_page():
    assert pagination_from("/world/", "/world/2024/06/23/kenya-and-peru-agree.html") is None
    assert pagination_from("/world/", "/sport/?page=2") is None


def test_numbered_page_links_give_pagination_without_a_next_link():
    keys = ["/world/", "/world/p/2/", "/world/p/3/", "/world/p/9/", "/about/",
            "/world/2024/06/23/kenya-and-peru-agree.html"]
    found = numbered_pagination("/world/", keys)
    assert found is not None and found.number("/world/p/9/") == 9
    assert numbered_pagination("/world/", ["/world/p/2/", "/about/"]) is None  # one link is no series


@pytest.mark.parametrize("markup", [
    '<html><head><link rel="next" href="/world/?page=2"></head><body></body></html>',
    '<html><body><a href="/world/2024/a-b-c.html">More than 100 attend the summit</a>'
    '<a href="/world/?page=2">Older posts</a></body></html>',
    '<html><body><a href="/world/?page=2">下一页</a></body></html>',
    '<html><body><a href="/world/?page=2">Next &raquo;</a></body></html>',
])
def test_next_page_links(markup):
    assert next_page_links(markup, "http://news.test/world/", DRAFT)[0] == "http://news.test/world/?page=2"


def test_feed_and_sitemap_entries():
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><item><link>http://a/1</link></item>
<item><link>http://a/2</link></item></channel></rss>"""
    atom = b"""<feed xmlns="http://www.w3.org/2005/Atom"><entry><link href="http://a/3"/></entry></feed>"""
    news = b"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"><url><loc>http://a/4</loc>
<news:news><news:title>T</news:title></news:news></url></urlset>"""
    index = b"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><sitemap>
<loc>http://a/s1.xml</loc></sitemap></sitemapindex>"""
    assert feed_entries(rss) == ("feed", ["http://a/1", "http://a/2"])
    assert feed_entries(atom) == ("feed", ["http://a/3"])
    assert feed_entries(news) == ("sitemap", ["http://a/4"])
    assert feed_entries(index) == ("sitemapindex", ["http://a/s1.xml"])
    assert feed_entries(b"<html><body>not a feed</body></html>")[0] == ""
    assert feed_entries(b"\x00\xff garbage")[0] == ""


def _story(author: str, day: int, related_date: str) -> str:
    return f"""<html><body><h1>Title</h1><div class="meta"><span class="byline">By {author}</span>
<time class="published" datetime="2024-06-{day:02d}T09:00:00+02:00">June {day}, 2024</time></div>
<p>Body text of the story.</p><ul><li><span class="teaser-date">{related_date}</span></li></ul>
</body></html>"""


def test_byline_and_date_elements_all_samples_agree_on():
    pages = [_story("Jane Whitfield", 23, "June 1, 2024"), _story("Omar Haddad", 21, "May 2, 2024")]
    xpath, authors = agreed_byline(pages)
    assert "byline" in xpath and "published" in xpath and "teaser-date" not in xpath
    assert authors == ["Jane Whitfield", "Omar Haddad"]
    assert agreed_byline([pages[0], "<html><body><p>No byline here</p></body></html>"]) == (None, [])


def test_a_by_line_that_is_the_same_on_every_page_is_boilerplate():
    def page(author: str) -> str:
        return f"""<html><body><div class="meta"><span class="who">{author}</span>
<span class="when">March 2{len(author) % 9}, 2017</span></div><p>Story text.</p>
<p class="disclaimer">Opinions expressed by Forbes Contributors are their own.</p>
<footer id="article-footer">Related Stories Powered by Today on Ars</footer></body></html>"""
    assert agreed_byline([page("Annalee Newitz"), page("Cyrus Farivar"), page("Ana Lee")]) == (None, [])


def test_other_sections_stories_are_left_out_only_when_the_section_has_its_own():
    from crawler.infer import _own_section

    world, sport = r"/world/{yyyy}/{slug}\.html", r"/sport/{yyyy}/{slug}\.html"
    shapes = [(world, 20, "stories"), (sport, 4, "stories")]
    assert _own_section([world, sport], "/world/", shapes) == [world]
    assert "another section" in shapes[1][2]
    # A listing under /category/world/ whose stories are at /{yyyy}/...: nothing is its own.
    dated = "/{yyyy}/{nn}/{nn}/{slug}/"
    assert _own_section([dated], "/category/world/", [(dated, 20, "stories")]) == [dated]
    # A few special pages under /world/ do not outvote the section's stories elsewhere.
    special = "/world/special/{slug}/"
    shapes = [(dated, 20, "stories"), (special, 3, "stories")]
    assert _own_section([dated, special], "/world/", shapes) == [dated, special]


def test_time_zone_only_when_every_sample_states_the_same_offset():
    assert timezone_for([["+08:00"], ["+08:00"]]) == "Etc/GMT-8"
    assert timezone_for([["-05:00"], ["-05:00"], ["-05:00"]]) == "Etc/GMT+5"
    assert timezone_for([["+00:00"], ["+00:00"]]) == "UTC"
    assert timezone_for([["+02:00"], ["+01:00"]]) is None  # summer and winter time: no guess
    assert timezone_for([["+05:30"], ["+05:30"]]) is None
    assert timezone_for([["+08:00"], []]) is None


# -- whole inferences over HTTP --------------------------------------------------------------

def _key(base: str, path: str, site: Site | None = None) -> str:
    return page_key(canonical_url(base + path, site))


def _scores(site: ShapeSite, base: str, profile: Site) -> tuple[float, float, list[str]]:
    """Article-URL precision and recall of ``profile`` over every page of ``site``, and the
    non-story pages it takes for stories."""
    stories = {_key(base, p) for p in site.articles}
    others = {_key(base, p) for p in [*site.others, *site.listings]} - stories
    taken = {k for k in stories | others if profile.is_article(k)}
    precision = len(taken & stories) / len(taken) if taken else 0.0
    return precision, len(taken & stories) / len(stories), sorted(taken & others)


@pytest.fixture(scope="module", params=sorted(SHAPES))
def inferred(request):
    site = SHAPES[request.param]()
    with serving_pages(site.pages) as server:
        site.set_base(server.base_url)
        report = infer_site(server.base_url + site.start_path)
        yield request.param, site, server, report


def test_inference_matches_the_hand_written_profile(inferred):
    name, site, server, report = inferred
    base = server.base_url
    hand = site_from_dict(tomllib.loads(site.profile.format(base=base, host=base[7:])), "hand")
    precision, recall, wrong = _scores(site, base, report.site)
    hand_precision, hand_recall, hand_wrong = _scores(site, base, hand)
    assert precision >= 0.99 or wrong == hand_wrong, wrong  # bjreview: its video page has a story URL
    assert recall >= 0.98
    assert (precision, recall) >= (hand_precision, hand_recall)
    # The listing pages are the listing, numbered as the hand-written profile numbers them.
    numbers = [report.site.listing_page_number(_key(base, p)) for p in site.listings]
    assert numbers == [hand.listing_page_number(_key(base, p)) for p in site.listings]
    assert report.site.feeds == hand.feeds or name == "wordpress"  # its feed is extra, harmless
    assert report.site.sitemaps == hand.sitemaps


def test_inference_stays_within_its_request_budget(inferred):
    _name, _site, server, report = inferred
    assert report.requests == len(server.hits) <= MAX_REQUESTS


def test_inferred_profile_round_trips_through_toml(inferred, tmp_path):
    _name, _site, _server, report = inferred
    path = tmp_path / "p.toml"
    path.write_text(site_to_toml(report.site), encoding="utf-8")
    assert load_site_file(path) == report.site


def test_inference_reads_hosts_byline_and_time_zone(inferred):
    name, _site, server, report = inferred
    site = report.site
    assert site.hosts == (urlsplit(server.base_url).netloc,)
    expected_zone = {"wordpress": "Etc/GMT-2", "drupal": "Etc/GMT+5", "offset": "UTC",
                     "feeds": "Etc/GMT-8", "querystring": "UTC", "bjreview": "UTC"}[name]
    assert site.timezone == expected_zone
    assert site.byline_xpath and report.byline_authors and all(
        re.fullmatch(r"[A-Z][a-z]+(?: [A-Z][a-z]+)+", a) for a in report.byline_authors)
    if name == "bjreview":  # the copy's stories name www.bjreview.com in rel=canonical
        assert "www.bjreview.com" in site.aliases


def test_a_section_page_without_story_links_is_named_as_such():
    page = b"<html><body><div id='app'>Loading...</div><a href='/about/'>About</a></body></html>"
    with serving_pages({"/world/": (page, "text/html"), "/about/": (page, "text/html")}) as server:
        with pytest.raises(InferenceError, match="could not find the section's story links.*"
                                                 "no link shape repeats"):
            infer_site(server.base_url + "/world/")


def test_repeated_links_without_article_bodies_are_not_stories():
    links = "".join(f'<li><a href="/clips/clip-number-{i}-of-the-day/">Clip {i}</a></li>' for i in range(8))
    clip = b"<html><body><h1>Clip</h1><video src='/c.mp4'></video><p>Short caption.</p></body></html>"
    pages = {"/world/": (f"<html><body><ul>{links}</ul></body></html>".encode(), "text/html")}
    pages.update({f"/clips/clip-number-{i}-of-the-day/": (clip, "text/html") for i in range(8)})
    with serving_pages(pages) as server:
        with pytest.raises(InferenceError, match=r"hold no article body.*/clips/\{slug\}/"):
            infer_site(server.base_url + "/world/")


def test_an_unreachable_section_says_so():
    with serving_pages({}) as server:
        with pytest.raises(SectionUnreachable, match="HTTP 404"):
            infer_site(server.base_url + "/world/")


def test_inference_obeys_robots_txt():
    site = SHAPES["wordpress"]()
    site.add("/robots.txt", "User-agent: *\nDisallow: /2024/\n", "text/plain")
    with serving_pages(site.pages) as server:
        with pytest.raises(InferenceError, match=r"could not be fetched \(disallowed by robots\.txt\)"):
            infer_site(server.base_url + site.start_path)
        assert not [h for h in server.hits if h.startswith("/2024/")]


def test_inference_keeps_its_time_budget_on_a_server_that_never_answers():
    import time

    from crawler.infer import Sampler
    from tests.hostile import drip, hang, hostile, html

    links = "".join(f'<li><a href="/world/2024/06/story-number-{i}-of-the-day.html">Story {i}</a></li>'
                    for i in range(6))
    routes = {"/robots.txt": html("User-agent: *\nDisallow:\n", content_type="text/plain"),
              "/world/": html(f"<html><body><ul>{links}</ul></body></html>")}
    with hostile(routes, fallback=lambda path: drip() if path.endswith("1-of-the-day.html") else hang) as (_s, base):
        started = time.monotonic()
        with pytest.raises(InferenceError, match="could not be fetched .*(timed out|took longer|budget)"):
            infer_site(base + "/world/", sampler=Sampler(deadline=4))
        assert time.monotonic() - started < 10


def test_a_section_that_redirects_to_another_host_is_crawled_on_that_host():
    site = SHAPES["wordpress"]()
    with serving_pages(site.pages) as server:
        port = urlsplit(server.base_url).port
        site.pages["/world/"] = (f"http://localhost:{port}/category/world/".encode(), "redirect")
        report = infer_site(f"http://127.0.0.1:{port}/world/")
    assert report.site.hosts == (f"localhost:{port}",)
    assert f"127.0.0.1:{port}" in report.site.aliases
    assert report.site.start_urls == (f"http://localhost:{port}/category/world/",)
    assert report.site.is_article(page_key(canonical_url(server.base_url + site.articles[0])))
