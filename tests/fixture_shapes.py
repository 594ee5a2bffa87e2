"""Six news sites in the URL shapes real newsrooms use, generated for profile inference.

Each site has a World section of 30+ stories and the pages around them that are not
stories: tag, author, other-category, video, gallery, live-blog, podcast and print pages,
linked from the listings and the stories the way CMSs link them.  The shapes:

- ``wordpress``: ``/2024/06/23/slug/``, ``/category/world/page/2/``, a section RSS feed;
- ``drupal``: ``/node/4123``, ``/world?page=1`` (Drupal counts from 0);
- ``querystring``: ``/article.php?id=123``, ``/section.php?cat=world&pg=2``, print variants;
- ``bjreview``: the bundled TRS-shaped site (``tests/fixture_site.py``), ``index_N.html``;
- ``offset``: ``/news/world/slug-1234567``, pagination only as ``<link rel=next>`` with
  ``?offset=10`` (the "More stories" button is a script's);
- ``feeds``: ``/world/2024/06/23/slug.html``; the section page lists only the latest
  stories, older ones are in its RSS feed and in a news sitemap, under the sitemap index
  robots.txt names.

Pages are keyed by path and (sorted) query for ``tests.server.serving_pages``.  Stdlib only,
deterministic: a seeded generator writes the stories, so every story's text is its own.
"""

from __future__ import annotations

import html
import random
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

__all__ = ["SHAPES", "ShapeSite", "Story", "build_shape", "make_stories"]

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml"
XML = "application/xml"
TEXT = "text/plain; charset=utf-8"

COUNTRIES = ["Kenya", "Brazil", "Norway", "Vietnam", "Chile", "Morocco", "Indonesia",
             "Poland", "Peru", "Ghana", "Canada", "Egypt", "Mongolia", "Portugal", "Nepal",
             "Senegal", "Uruguay", "Finland", "Malaysia", "Jordan", "Kazakhstan", "Ireland"]
CITIES = ["Nairobi", "Recife", "Bergen", "Da Nang", "Valparaiso", "Tangier", "Surabaya",
          "Gdansk", "Cusco", "Kumasi", "Halifax", "Aswan", "Darkhan", "Porto", "Pokhara",
          "Dakar", "Salto", "Tampere", "Penang", "Aqaba", "Almaty", "Galway"]
TOPICS = ["water rights", "fisheries quotas", "rail freight", "grain storage",
          "solar auctions", "port fees", "vaccine supply", "border crossings", "river dams",
          "cobalt exports", "coastal erosion", "air traffic", "seed banks", "wind tenders",
          "refugee housing", "customs software", "glacier monitoring", "fertiliser prices"]
ROLES = ["foreign minister", "trade envoy", "deputy premier", "central bank governor",
         "environment secretary", "chief negotiator", "port authority head", "mayor"]
NAMES = ["Amara Okafor", "Lucas Ferreira", "Ingrid Solberg", "Tran Minh Chau",
         "Camila Rojas", "Youssef Benali", "Dewi Lestari", "Marta Kowalska", "Diego Quispe",
         "Kofi Mensah", "Claire Tremblay", "Nadia Fahmy", "Bat-Erdene Ganbold"]
AUTHORS = ["Jane Whitfield", "Omar Haddad", "Mei Lin", "Peter Novak", "Sara Lindqvist"]
VERBS = ["warned", "argued", "conceded", "insisted", "noted", "predicted", "confirmed"]
NOUNS = ["agreement", "framework", "pilot scheme", "levy", "treaty draft", "audit",
         "joint fund", "monitoring network", "pricing formula", "inspection regime"]
SENTENCES = [
    "{name}, the {role} of {country}, {verb} on {weekday} that the {noun} on {topic} would "
    "need {n} more weeks of talks in {city}.",
    "Officials in {city} said {n} delegations had signed up, up from {m} at the previous "
    "round, as pressure over {topic} grew.",
    "Critics in {country} {verb} that the {noun} left {topic} to a committee that has met "
    "only {m} times since {year}.",
    "The {noun} would cost about {n} million dollars over {m} years, according to figures "
    "{name} shared with reporters in {city}.",
    "{country} has tied its support to a review of {topic}, which {name} {verb} could be "
    "finished before the {month} summit.",
    "Local business groups in {city} {verb} that {topic} had already cut their margins by "
    "{m} percent this year.",
    "A spokesperson for the {role} declined to say whether {country} would join the {noun} "
    "if {topic} stayed off the agenda.",
    "Analysts who follow {topic} {verb} that a deal in {city} would be the first of its kind "
    "since {year}.",
    "Farmers and fishers from {m} provinces travelled to {city} on {weekday} to press the "
    "{role} on {topic}.",
    "Under the draft seen by this newspaper, {country} would report on {topic} every {m} "
    "months and open its records to a {noun}.",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
TAGS = ["diplomacy", "trade", "climate", "energy", "migration", "health", "economy"]


@dataclass(frozen=True)
class Story:
    """One generated news story: what every shape renders in its own markup."""

    id: int
    published: datetime
    title: str
    slug: str
    author: str
    paragraphs: tuple[str, ...]
    tags: tuple[str, ...]

    @property
    def summary(self) -> str:
        return self.paragraphs[0].split(". ")[0] + "."


def _fill(rng: random.Random, template: str) -> str:
    return template.format(
        name=rng.choice(NAMES), role=rng.choice(ROLES), country=rng.choice(COUNTRIES),
        city=rng.choice(CITIES), topic=rng.choice(TOPICS), verb=rng.choice(VERBS),
        noun=rng.choice(NOUNS), weekday=rng.choice(WEEKDAYS), month=rng.choice(MONTHS),
        n=rng.randint(12, 980), m=rng.randint(2, 11), year=rng.randint(1998, 2021))


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def make_stories(n: int, seed: int, newest: datetime = datetime(2024, 6, 28, 9, 30)) -> list[Story]:
    """``n`` stories, newest first, one every 11 hours; each paragraph is drawn fresh."""
    rng = random.Random(seed)
    stories = []
    for i in range(n):
        a, b = rng.sample(COUNTRIES, 2)
        topic = rng.choice(TOPICS)
        title = f"{a} and {b} {rng.choice(['agree on', 'clash over', 'revisit', 'delay'])} {topic}"
        paragraphs = tuple(" ".join(_fill(rng, rng.choice(SENTENCES)) for _ in range(3))
                           for _ in range(rng.randint(5, 7)))
        stories.append(Story(id=4100 + seed * 100 + i, published=newest - timedelta(hours=11 * i),
                             title=title, slug=slugify(f"{title} {i}"), author=rng.choice(AUTHORS),
                             paragraphs=paragraphs, tags=tuple(rng.sample(TAGS, 2))))
    return stories


@dataclass
class ShapeSite:
    """A generated site: its pages, where the section starts, and what is and is not a story.

    ``articles`` and ``others`` are paths (with query) as the site links them; a test
    canonicalizes them the way the crawler does.  ``profile`` is the hand-written TOML
    profile a user would write for it (``{base}`` and ``{host}`` to fill in).
    """

    name: str
    start_path: str
    pages: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    articles: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    listings: list[str] = field(default_factory=list)
    profile: str = ""

    def add(self, path: str, text: str, content_type: str = HTML) -> None:
        self.pages[path] = (text.encode("utf-8"), content_type)

    def set_base(self, base: str) -> None:
        """Write the served base URL into feeds, sitemaps and robots.txt, which carry
        absolute URLs (``BASE`` until the server's port is known)."""
        for key, (body, content_type) in list(self.pages.items()):
            if b"BASE" in body and content_type != HTML:
                self.pages[key] = (body.replace(b"BASE", base.encode()), content_type)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _page(site_name: str, title: str, main: str, head: str = "", nav: str = "") -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)} | {site_name}</title>
{head}<link rel="stylesheet" href="/static/site.css">
<script>window.dataLayer = window.dataLayer || []; dataLayer.push({{"section": "world"}});</script>
</head>
<body>
<header class="site-header"><a class="logo" href="/">{site_name}</a>
<nav class="main-nav">{nav}</nav>
<form class="search" action="/search"><input name="q" placeholder="Search"></form></header>
<main id="content">
{main}
</main>
<footer class="site-footer"><ul>
<li><a href="/about/">About us</a></li><li><a href="/contact/">Contact</a></li>
<li><a href="/privacy/">Privacy policy</a></li><li><a href="/subscribe/">Subscribe</a></li>
</ul><p>&copy; 2024 {site_name}. All rights reserved.</p></footer>
</body>
</html>
"""


def _article_main(s: Story, byline: str, tag_links: str, related: str, extra: str = "") -> str:
    body = "\n".join(f"<p>{_e(p)}</p>" for p in s.paragraphs)
    return f"""<article class="story">
<header><h1 class="headline">{_e(s.title)}</h1>
{byline}</header>
<div class="story-body">
{body}
</div>
<footer class="story-footer"><div class="tags">Tags: {tag_links}</div>
{extra}</footer>
</article>
<aside class="related"><h2>Related stories</h2><ul>
{related}
</ul></aside>"""


def _list_items(items: list[tuple[str, Story]]) -> str:
    return "\n".join(f"""<div class="teaser"><h3><a href="{_e(href)}">{_e(s.title)}</a></h3>
<p class="teaser-summary">{_e(s.summary)}</p><span class="teaser-date">{s.published:%B %d, %Y}</span></div>"""
                     for href, s in items)


def _media_page(site: ShapeSite, path: str, kind: str, s: Story) -> None:
    """A video, gallery, live or podcast page: a title, a player or pictures, one line."""
    media = {"video": '<div class="player"><video src="/media/clip.mp4" controls></video></div>',
             "gallery": "".join(f'<figure><img src="/media/p{i}.jpg" alt=""><figcaption>'
                                f"Photo {i} of {_e(s.title)}</figcaption></figure>" for i in range(6)),
             "live": '<div class="live-feed" data-src="/live/feed.json">Loading updates...</div>',
             "podcast": '<audio src="/media/episode.mp3" controls></audio>'}[kind]
    site.add(path, _page(site.name, f"{kind.title()}: {s.title}",
                         f'<div class="{kind}"><h1>{kind.title()}: {_e(s.title)}</h1>{media}'
                         f"<p>{_e(s.summary)}</p></div>"))
    site.others.append(path)


def _simple(site: ShapeSite, path: str, title: str, links: list[tuple[str, Story]] = ()) -> None:
    site.add(path, _page(site.name, title, f"<h1>{_e(title)}</h1>\n{_list_items(list(links))}"))
    site.others.append(path)


def _iso(d: datetime, offset: str) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%S") + offset


def _rss(site_name: str, base: str, items: list[tuple[str, Story]]) -> str:
    entries = "\n".join(f"""<item><title>{_e(s.title)}</title><link>{base}{_e(href)}</link>
<pubDate>{s.published:%a, %d %b %Y %H:%M:%S} +0000</pubDate><description>{_e(s.summary)}</description></item>"""
                        for href, s in items)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>{site_name}: World</title><link>{base}/</link>
<description>World news</description>
{entries}
</channel></rss>
"""


def _common(site: ShapeSite, stories: list[Story], href: Callable[[Story], str],
            media: dict[str, Callable[[Story], str]], tag: Callable[[str], str],
            author: Callable[[str], str], others: list[tuple[str, str]]) -> None:
    """The non-story pages every shape has: tag, author, media and plain pages."""
    for t in TAGS:
        _simple(site, tag(t), f"Tag: {t}", [(href(s), s) for s in stories if t in s.tags][:8])
    for a in AUTHORS:
        _simple(site, author(a), f"Stories by {a}", [(href(s), s) for s in stories if s.author == a][:8])
    for kind, path in media.items():
        for s in stories[:4]:
            _media_page(site, path(s), kind, s)
    for path, title in others:
        _simple(site, path, title)


def _story_pages(site: ShapeSite, stories: list[Story], href: Callable[[Story], str],
                 render: Callable[[Story, str], str]) -> None:
    for i, s in enumerate(stories):
        related = "\n".join(f'<li><a href="{_e(href(r))}">{_e(r.title)}</a></li>'
                            for r in (stories[(i + k) % len(stories)] for k in (1, 5, 9)))
        site.add(href(s), render(s, related))
        site.articles.append(href(s))


def _mixed_listing(stories: list[Story], href: Callable[[Story], str],
                   media: dict[str, Callable[[Story], str]]) -> list[tuple[str, Story]]:
    """Stories newest first with a media item after every sixth, as section fronts mix them."""
    kinds = list(media.items())
    items: list[tuple[str, Story]] = []
    for i, s in enumerate(stories):
        items.append((href(s), s))
        if i % 6 == 5 and i // 6 < 4 * len(kinds):
            kind, path = kinds[(i // 6) % len(kinds)]
            items.append((path(stories[(i // 6 // len(kinds)) % 4]), s))
    return items


# -- WordPress ------------------------------------------------------------------------------

def wordpress() -> ShapeSite:
    site = ShapeSite("Harbour Gazette", "/category/world/")
    stories = make_stories(36, seed=1)
    href = lambda s: f"/{s.published:%Y/%m/%d}/{s.slug}/"  # noqa: E731
    media = {"video": lambda s: f"/video/{s.slug}/", "gallery": lambda s: f"/gallery/{s.slug}/",
             "live": lambda s: f"/live/{s.published:%Y/%m/%d}/{s.slug}-live/",
             "podcast": lambda s: f"/podcast/episode-{s.id}/"}
    nav = ('<a href="/category/world/">World</a> <a href="/category/sport/">Sport</a> '
           '<a href="/category/business/">Business</a> <a href="/category/opinion/">Opinion</a>')
    head_feed = ('<link rel="alternate" type="application/rss+xml" title="Harbour Gazette &raquo; '
                 'World Feed" href="/category/world/feed/">\n')

    def render(s: Story, related: str) -> str:
        byline = (f'<div class="entry-meta"><span class="byline">By <span class="author vcard">'
                  f'<a class="url fn n" href="/author/{slugify(s.author)}/">{_e(s.author)}</a>'
                  f'</span></span> <time class="entry-date published" datetime="'
                  f'{_iso(s.published, "+02:00")}">{s.published:%B %d, %Y}</time></div>')
        tags = " ".join(f'<a href="/tag/{t}/" rel="tag">{t}</a>' for t in s.tags)
        head = (f'<meta property="og:type" content="article">\n<meta property="article:published_time" '
                f'content="{_iso(s.published, "+02:00")}">\n<link rel="canonical" href="{href(s)}">\n')
        extra = f'<a class="print" href="{href(s)}print/">Print this story</a>'
        return _page(site.name, s.title, _article_main(s, byline, tags, related, extra), head, nav)

    _story_pages(site, stories, href, render)
    for s in stories[:6]:
        site.add(f"{href(s)}print/", _page(site.name, s.title, "<p>" + "</p><p>".join(
            map(_e, s.paragraphs)) + "</p>"))
        site.others.append(f"{href(s)}print/")
    _common(site, stories, href, media, tag=lambda t: f"/tag/{t}/",
            author=lambda a: f"/author/{slugify(a)}/",
            others=[("/category/sport/", "Sport"), ("/category/business/", "Business"),
                    ("/category/opinion/", "Opinion"), ("/about/", "About us"),
                    ("/contact/", "Contact"), ("/privacy/", "Privacy policy"),
                    ("/subscribe/", "Subscribe"), ("/", "Harbour Gazette")])
    items = _mixed_listing(stories, href, media)
    pages = [items[i:i + 10] for i in range(0, len(items), 10)]
    for n, chunk in enumerate(pages, start=1):
        path = "/category/world/" if n == 1 else f"/category/world/page/{n}/"
        numbers = " ".join(f'<a class="page-numbers" href="/category/world/page/{k}/">{k}</a>'
                           if k != n else f'<span aria-current="page" class="page-numbers current">{k}</span>'
                           for k in range(1, len(pages) + 1))
        older = (f'<a class="next page-numbers" href="/category/world/page/{n + 1}/">Older posts</a>'
                 if n < len(pages) else "")
        main = (f'<h1 class="page-title">Category: World</h1>\n{_list_items(chunk)}\n'
                f'<nav class="navigation pagination"><div class="nav-links">{numbers} {older}</div></nav>')
        site.add(path, _page(site.name, "World", main, head_feed, nav))
        site.listings.append(path)
    site.add("/category/world/feed/", _rss(site.name, "", [(href(s), s) for s in stories[:10]]), RSS)
    site.add("/robots.txt", "User-agent: *\nDisallow: /wp-admin/\n", TEXT)
    site.profile = """name = "harbour"
start_urls = ["{base}/category/world/"]
hosts = ["{host}"]
article_pattern = '^/\\d{{4}}/\\d{{2}}/\\d{{2}}/[a-z0-9-]+/$'
listing_pattern = '^/category/world/(?:page/(\\d+)/)?$'
"""
    return site


# -- Drupal ---------------------------------------------------------------------------------

def drupal() -> ShapeSite:
    site = ShapeSite("Valley Courier", "/world")
    stories = make_stories(34, seed=2)
    href = lambda s: f"/node/{s.id}"  # noqa: E731
    media = {"video": lambda s: f"/media/video/{s.id - 4000}", "gallery": lambda s: f"/gallery/{s.id - 4000}"}
    nav = '<a href="/world">World</a> <a href="/sport">Sport</a> <a href="/culture">Culture</a>'

    def render(s: Story, related: str) -> str:
        byline = (f'<div class="node__meta"><span class="field--name-uid">By <a href="/user/'
                  f'{AUTHORS.index(s.author) + 7}">{_e(s.author)}</a></span> | <span class="field--name-created">'
                  f'{s.published:%a, %m/%d/%Y - %H:%M}</span></div>')
        tags = " ".join(f'<a href="/taxonomy/term/{TAGS.index(t) + 20}" hreflang="en">{t}</a>' for t in s.tags)
        head = (f'<meta property="og:type" content="article">\n<script type="application/ld+json">'
                f'{{"@context": "https://schema.org", "@type": "NewsArticle", "headline": "{_e(s.title)}", '
                f'"datePublished": "{_iso(s.published, "-05:00")}"}}</script>\n')
        return _page(site.name, s.title, _article_main(s, byline, tags, related), head, nav)

    _story_pages(site, stories, href, render)
    _common(site, stories, href, media, tag=lambda t: f"/taxonomy/term/{TAGS.index(t) + 20}",
            author=lambda a: f"/user/{AUTHORS.index(a) + 7}",
            others=[("/sport", "Sport"), ("/culture", "Culture"), ("/about/", "About us"),
                    ("/contact/", "Contact"), ("/privacy/", "Privacy policy"),
                    ("/subscribe/", "Subscribe"), ("/", "Valley Courier")])
    items = _mixed_listing(stories, href, media)
    pages = [items[i:i + 10] for i in range(0, len(items), 10)]
    for n, chunk in enumerate(pages):
        path = "/world" if n == 0 else f"/world?page={n}"
        pager = " ".join(f'<li class="pager__item"><a href="?page={k}">{k + 1}</a></li>'
                         for k in range(len(pages)) if k != n)
        if n < len(pages) - 1:
            pager += (f' <li class="pager__item pager__item--next"><a href="?page={n + 1}" '
                      f'title="Go to next page" rel="next">Next ›</a></li>')
        main = f'<h1>World</h1>\n<div class="view-content">{_list_items(chunk)}</div>\n<nav class="pager"><ul>{pager}</ul></nav>'
        site.add(path, _page(site.name, "World", main, nav=nav))
        site.listings.append(path)
    site.add("/robots.txt", "User-agent: *\nDisallow: /admin/\nDisallow: /user/login\n", TEXT)
    site.profile = """name = "courier"
start_urls = ["{base}/world"]
hosts = ["{host}"]
article_pattern = '^/node/\\d+$'
listing_pattern = '^/world(?:\\?page=(\\d+))?$'
"""
    return site


# -- query-string ids -----------------------------------------------------------------------

def querystring() -> ShapeSite:
    site = ShapeSite("The Daily Ledger", "/section.php?cat=world")
    stories = make_stories(33, seed=3)
    href = lambda s: f"/article.php?id={s.id}"  # noqa: E731
    media = {"video": lambda s: f"/video.php?id={s.id - 4000}",
             "gallery": lambda s: f"/gallery.php?id={s.id - 4000}"}
    nav = ('<a href="/section.php?cat=world">World</a> <a href="/section.php?cat=sport">Sport</a> '
           '<a href="/section.php?cat=money">Money</a>')

    def render(s: Story, related: str) -> str:
        byline = (f'<p class="byline">By {_e(s.author)} | {s.published:%B %d, %Y, %H:%M}</p>')
        tags = " ".join(f'<a href="/tag.php?name={t}">{t}</a>' for t in s.tags)
        extra = (f'<a href="/article.php?id={s.id}&amp;print=1">Printer-friendly version</a> '
                 f'<a href="/author.php?id={AUTHORS.index(s.author) + 1}">More by {_e(s.author)}</a>')
        head = f'<meta name="pubdate" content="{s.published:%Y-%m-%d}">\n'
        return _page(site.name, s.title, _article_main(s, byline, tags, related, extra), head, nav)

    _story_pages(site, stories, href, render)
    for s in stories:
        site.add(f"/article.php?id={s.id}&print=1", _page(site.name, s.title, "<p>" + "</p><p>".join(
            map(_e, s.paragraphs)) + "</p>"))
        site.others.append(f"/article.php?id={s.id}&print=1")
    _common(site, stories, href, media, tag=lambda t: f"/tag.php?name={t}",
            author=lambda a: f"/author.php?id={AUTHORS.index(a) + 1}",
            others=[("/section.php?cat=sport", "Sport"), ("/section.php?cat=money", "Money"),
                    ("/about/", "About us"), ("/contact/", "Contact"), ("/privacy/", "Privacy policy"),
                    ("/subscribe/", "Subscribe"), ("/", "The Daily Ledger")])
    items = _mixed_listing(stories, href, media)
    pages = [items[i:i + 12] for i in range(0, len(items), 12)]
    for n, chunk in enumerate(pages, start=1):
        path = "/section.php?cat=world" if n == 1 else f"/section.php?cat=world&pg={n}"
        links = " ".join(f'<a href="/section.php?cat=world&amp;pg={k}">{k}</a>' for k in range(1, len(pages) + 1) if k != n)
        if n < len(pages):
            links += f' <a href="/section.php?cat=world&amp;pg={n + 1}">Next &raquo;</a>'
        main = f'<h1>World</h1>\n<table class="list"><tr><td>{_list_items(chunk)}</td></tr></table>\n<div class="paging">{links}</div>'
        site.add(path, _page(site.name, "World", main, nav=nav))
        site.listings.append(path)
    site.add("/robots.txt", "User-agent: *\nDisallow:\n", TEXT)
    site.profile = """name = "ledger"
start_urls = ["{base}/section.php?cat=world"]
hosts = ["{host}"]
article_pattern = '^/article\\.php\\?id=\\d+$'
listing_pattern = '^/section\\.php\\?cat=world(?:&pg=(\\d+))?$'
"""
    return site


# -- rel=next / offset ----------------------------------------------------------------------

def offset() -> ShapeSite:
    site = ShapeSite("Northern Wire", "/news/world/")
    stories = make_stories(38, seed=4)
    href = lambda s: f"/news/world/{s.slug}-{s.id * 311}"  # noqa: E731
    media = {"video": lambda s: f"/news/videos/{s.slug}-{s.id}",
             "gallery": lambda s: f"/news/in-pictures/{s.slug}-{s.id}",
             "live": lambda s: f"/news/live/{s.slug}-{s.id}"}
    nav = '<a href="/news/world/">World</a> <a href="/news/uk/">UK</a> <a href="/sport/">Sport</a>'

    def render(s: Story, related: str) -> str:
        byline = (f'<div class="article-byline"><span class="author-name">By {_e(s.author)}</span>'
                  f'<span class="role">World correspondent</span></div>'
                  f'<div class="article-date"><time datetime="{_iso(s.published, "Z")}">'
                  f'{s.published:%d %B %Y}</time></div>')
        tags = " ".join(f'<a href="/news/topics/{t}">{t}</a>' for t in s.tags)
        head = (f'<script type="application/ld+json">{{"@type": "NewsArticle", "datePublished": '
                f'"{_iso(s.published, "Z")}", "author": {{"@type": "Person", "name": "{s.author}"}}}}</script>\n')
        return _page(site.name, s.title, _article_main(s, byline, tags, related), head, nav)

    _story_pages(site, stories, href, render)
    _common(site, stories, href, media, tag=lambda t: f"/news/topics/{t}",
            author=lambda a: f"/news/correspondents/{slugify(a)}",
            others=[("/news/uk/", "UK"), ("/sport/", "Sport"), ("/about/", "About us"),
                    ("/contact/", "Contact"), ("/privacy/", "Privacy policy"),
                    ("/subscribe/", "Subscribe"), ("/", "Northern Wire")])
    items = _mixed_listing(stories, href, media)
    pages = [items[i:i + 10] for i in range(0, len(items), 10)]
    for n, chunk in enumerate(pages):
        path = "/news/world/" if n == 0 else f"/news/world/?offset={10 * n}"
        head = f'<link rel="next" href="/news/world/?offset={10 * (n + 1)}">\n' if n < len(pages) - 1 else ""
        # "More stories" is a script's button: rel=next is the only crawlable pagination.
        more = (f'<button class="load-more" data-offset="{10 * (n + 1)}">More stories</button>'
                if n < len(pages) - 1 else "")
        main = f'<h1>World</h1>\n<div class="stream">{_list_items(chunk)}</div>\n{more}'
        site.add(path, _page(site.name, "World", main, head, nav))
        site.listings.append(path)
    site.add("/robots.txt", "User-agent: *\nDisallow: /search\n", TEXT)
    site.profile = """name = "wire"
start_urls = ["{base}/news/world/"]
hosts = ["{host}"]
article_pattern = '^/news/world/[a-z0-9-]+-\\d+/$'
listing_pattern = '^/news/world/(?:\\?offset=(\\d+))?$'
page_step = 10
"""
    return site


# -- section front + RSS + news sitemap -----------------------------------------------------

def feeds() -> ShapeSite:
    site = ShapeSite("Coastal Times", "/world/")
    stories = make_stories(35, seed=5)
    href = lambda s: f"/world/{s.published:%Y/%m/%d}/{s.slug}.html"  # noqa: E731
    media = {"video": lambda s: f"/video/{s.published:%Y/%m/%d}/{s.slug}.html",
             "gallery": lambda s: f"/photos/{s.published:%Y/%m/%d}/{s.slug}.html"}
    sport = make_stories(4, seed=6)
    nav = '<a href="/world/">World</a> <a href="/sport/">Sport</a> <a href="/business/">Business</a>'

    def render(s: Story, related: str) -> str:
        byline = (f'<p class="byline">By <span class="author">{_e(s.author)}</span>, '
                  f'<time>{s.published:%B %d, %Y %I:%M %p}</time></p>')
        tags = " ".join(f'<a href="/topic/{t}.html">{t}</a>' for t in s.tags)
        head = (f'<meta property="article:published_time" content="{_iso(s.published, "+08:00")}">\n'
                f'<link rel="alternate" type="application/rss+xml" href="/world/rss.xml">\n')
        return _page(site.name, s.title, _article_main(s, byline, tags, related), head, nav)

    _story_pages(site, stories, href, render)
    for s in sport:
        path = f"/sport/{s.published:%Y/%m/%d}/{s.slug}.html"
        site.add(path, _page(site.name, s.title, _article_main(s, "", "", "")))
        site.others.append(path)
    _common(site, stories, href, media, tag=lambda t: f"/topic/{t}.html",
            author=lambda a: f"/staff/{slugify(a)}.html",
            others=[("/sport/", "Sport"), ("/business/", "Business"), ("/about/", "About us"),
                    ("/contact/", "Contact"), ("/privacy/", "Privacy policy"),
                    ("/subscribe/", "Subscribe"), ("/", "Coastal Times")])
    head = '<link rel="alternate" type="application/rss+xml" title="World" href="/world/rss.xml">\n'
    # A "Most read" box of the whole site: other sections' stories, in the same URL shape.
    most_read = "\n".join(f'<li><a href="/sport/{s.published:%Y/%m/%d}/{s.slug}.html">{_e(s.title)}</a></li>'
                          for s in sport)
    main = (f'<h1>World</h1>\n<div class="latest">{_list_items(_mixed_listing(stories[:10], href, media))}</div>'
            f'\n<aside class="most-read"><h2>Most read</h2><ul>{most_read}</ul></aside>')
    site.add("/world/", _page(site.name, "World", main, head, nav))
    site.listings.append("/world/")
    site.add("/world/rss.xml", _rss(site.name, "", [(href(s), s) for s in stories[:20]]), RSS)
    news = [(href(s), s) for s in stories] + [(media["video"](s), s) for s in stories[:3]] + [
        (f"/sport/{s.published:%Y/%m/%d}/{s.slug}.html", s) for s in sport]
    urls = "\n".join(f"""<url><loc>BASE{_e(h)}</loc><news:news><news:publication><news:name>Coastal Times</news:name>
<news:language>en</news:language></news:publication><news:publication_date>{_iso(s.published, "+08:00")}</news:publication_date>
<news:title>{_e(s.title)}</news:title></news:news></url>""" for h, s in news)
    site.add("/sitemap-news.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
{urls}
</urlset>
""", XML)
    pages = "\n".join(f"<url><loc>BASE{_e(path)}</loc></url>" for path in site.others if path.endswith("/"))
    site.add("/sitemap-pages.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
{pages}
</urlset>
""", XML)
    site.add("/sitemap.xml", """<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<sitemap><loc>BASE/sitemap-news.xml</loc></sitemap>
<sitemap><loc>BASE/sitemap-pages.xml</loc></sitemap>
</sitemapindex>
""", XML)
    site.add("/robots.txt", "User-agent: *\nDisallow: /search\n\nSitemap: BASE/sitemap.xml\n", TEXT)
    site.profile = """name = "coastal"
start_urls = ["{base}/world/"]
hosts = ["{host}"]
article_pattern = '^/world/\\d{{4}}/\\d{{2}}/\\d{{2}}/[a-z0-9-]+\\.html$'
listing_pattern = '^/world/$'
feeds = ["{base}/world/rss.xml"]
sitemaps = ["{base}/sitemap.xml"]
"""
    return site


# -- the bundled Beijing Review-shaped site, with 32 stories -------------------------------

def bjreview() -> ShapeSite:
    """The TRS-shaped fixture site of ``tests/fixture_site.py`` with generated stories."""
    from tests.fixture_site import ARTICLES, FixtureArticle, build_site

    stories = make_stories(32, seed=7, newest=datetime(2025, 6, 28))
    bundled = [a for a in ARTICLES]
    generated = [FixtureArticle(
        id=str(800500000 + i), date=f"{s.published:%Y-%m-%d}", title=s.title, author=s.author,
        source_line="Beijing Review", paragraphs=list(s.paragraphs), captions=[], print_title=None,
        copyeditor="Elsbeth van Paridon", comments_email="editor@bjreview.com",
        keywords=s.tags) for i, s in enumerate(stories)]
    with tempfile.TemporaryDirectory() as tmp:
        manifest = build_site(Path(tmp), [*bundled, *generated], per_page=10)
        site = ShapeSite("Beijing Review", "/World/")
        for path in Path(tmp).rglob("*"):
            if path.is_file() and path.name != "expected.json":
                key = "/" + path.relative_to(tmp).as_posix()
                site.pages[key] = (path.read_bytes(), TEXT if path.suffix == ".txt" else HTML)
    duplicate = {d["path"] for d in manifest["duplicates"]}
    site.articles = [a["canonical_path"] for a in manifest["articles"]]
    site.others = [p for p in manifest["not_stored"] if p not in duplicate and p.startswith("/")
                   and p not in manifest["robots_disallowed"]]
    site.listings = list(manifest["listing_paths"])
    site.profile = 'extends = "bjreview"\nname = "bjreview"\nstart_urls = ["{base}/World/"]\nhosts = ["{host}"]\n'
    return site


SHAPES: dict[str, Callable[[], ShapeSite]] = {
    "wordpress": wordpress, "drupal": drupal, "querystring": querystring,
    "bjreview": bjreview, "offset": offset, "feeds": feeds,
}


def build_shape(name: str) -> ShapeSite:
    return SHAPES[name]()
