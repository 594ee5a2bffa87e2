"""Profile inference: a site profile proposed from a section URL and a small, bounded sample.

A profile is what a user would otherwise write by reading the site's HTML: which links are
stories, how the section paginates, which feeds and sitemaps reach older stories, the hosts,
and where the byline is.  Inference fetches the section page, a few listing pages, a few
candidate stories of each link shape, robots.txt and the declared feeds, all under a request
budget, and reads the answer off them:

- **Link shapes.** Every same-site link becomes a path template (``/{yyyy}/{nn}/{nn}/{slug}/``,
  ``/node/{n}/``, ``/article.php?id={n}``).  Shapes that repeat on the listings, are not tag,
  author, category, video, gallery, live, podcast or print pages (by their words, and
  courlan's navigation filter), and whose sampled pages hold an article body, are stories.
- **Pagination.** ``rel=next``, a "Next / Older / More / 下一页" link, or numbered page links:
  the difference between the section URL and the next page's URL is the page template.
- **Feeds and sitemaps.** ``<link rel=alternate>`` feeds of the section, and robots.txt
  ``Sitemap:`` lines (news sitemaps included).  Sitemaps are site-wide, so they are used
  only when the section has no pagination to reach its older stories.
- **Hosts, time zone, byline.** ``www.``/apex aliases, the host the stories' canonical links
  name, the UTC offset the stories' dates state, and byline and date elements that every
  sampled story has.

The analysis functions are pure (HTML and URLs in, answers out); :func:`infer_site` does the
fetching.  Nothing is guessed silently: :class:`InferenceError` names what was not found.
"""

from __future__ import annotations

import gzip
import itertools
import re
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Iterable
from urllib.parse import parse_qsl, urljoin, urlsplit

import lxml.etree
import lxml.html
from courlan import is_navigation_page, is_not_crawlable
from protego import Protego

from crawler.fetch import FetchError, Fetched, fetch
from crawler.settings import USER_AGENT
from crawler.sites import Site, SiteError
from pipelines.dedup import canonical_url
from pipelines.worker import ExtractWorkers

MAX_REQUESTS = 30
DEADLINE = 60.0  # seconds for the whole inference
LISTING_SAMPLES = 3  # the section page and the next two pages
SHAPES_TO_CHECK = 4
SAMPLES_PER_SHAPE = 3
EXTRACT_TIMEOUT = 10.0  # seconds per sampled page in the extraction worker
MIN_OFFSET_STEP = 5  # a second page numbered this or more counts items, not pages
MIN_REPEAT = 3  # a link shape seen fewer times on the listings is not the section's stories
# trafilatura's own minimum for an extracted body (MIN_EXTRACTED_SIZE): below it, no article.
MIN_BODY_CHARS = 250
FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/feed+json")

# Words of a path segment or script name that mark a page as not a story.
NOT_STORY_WORDS = frozenset("""
tag tags author authors byline bylines category categories cat topic topics section sections
video videos vid tv watch gallery galleries photo photos pictures in-pictures images slideshow
slideshows live liveblog live-blog podcast podcasts audio episode episodes print printer
amp feed feeds rss atom search user users member members profile profiles taxonomy term
staff people contributors correspondents archive archives page paged login register
subscribe newsletter newsletters about contact privacy terms sitemap comments multimedia
""".split())
# Query keys that make a variant of a story, not a story (``?page=1`` may be listing state
# carried along in a story's URL, so it is not one of them).
NOT_STORY_KEYS = frozenset("print printable amp output outputtype format view mode".split())
NEXT_TEXT = re.compile(
    r"^(?:next|older|more|next page|older posts|older entries|older stories|more stories|"
    r"more news|more articles|load more|show more|see more|earlier)\b[\w\s]*[›»>→]*$|"
    r"^[›»>→]{1,2}$|下一页|下页|后一页", re.IGNORECASE)
DATE_TEXT = re.compile(
    r"\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b|"
    r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2}\b|"
    r"\b\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{4}\b|"
    r"\d{4}年\d{1,2}月\d{1,2}日", re.IGNORECASE)
MAX_SCANNED = 20_000
# A byline names people: a few words (several names joined by "and" included).
MAX_AUTHOR_CHARS, MAX_AUTHOR_WORDS = 80, 12
BYLINE_TEXT = re.compile(r"(?:^|\s)[Bb]y\s+[A-Z]")
# The name after "By", up to a separator, " on ", a date or the end of the line.
AUTHOR_PATTERN = (r"\b[Bb]y\s+(.+?)(?=\s*(?:[|·,;]|\s(?:on|updated|published)\s|"
                  r"\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d|"
                  r"\b(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*,|\d|$))")
SLUG = re.compile(r"([a-z0-9]+(?:[-_][a-z0-9]+){2,}?)(?:([-_])(\d{4,}))?(\.[a-z0-9]{2,5})?",
                  re.IGNORECASE)
TOKEN_REGEX = {"{yyyy}": r"\d{4}", "{nn}": r"\d{1,2}", "{n}": r"\d+",
               "{slug}": r"[A-Za-z0-9_-]+"}


class InferenceError(RuntimeError):
    """The site could not be understood; the message names what was not found."""


class SectionUnreachable(InferenceError):
    """The section page itself could not be fetched."""


# -- pure analysis ----------------------------------------------------------------------------

def _segment_shape(segment: str) -> str:
    if segment.isdigit():
        if len(segment) == 4 and 1990 <= int(segment) <= 2100:
            return "{yyyy}"
        return "{nn}" if len(segment) <= 2 else "{n}"
    m = SLUG.fullmatch(segment)
    if m and any(ch.isalpha() for ch in m.group(1)):
        tail = f"{m.group(2)}{{n}}" if m.group(3) else ""
        return "{slug}" + tail + re.escape(m.group(4) or "")
    return re.sub(r"\d+", "{n}", re.escape(segment))


def url_shape(path: str) -> str:
    """The template of a URL path with query: numbers, years and slugs become tokens.

    Literal text is kept regex-escaped, so a shape turns into a pattern by replacing its
    tokens (:func:`shape_pattern`).
    """
    parts = urlsplit(path)
    shape = "/".join(_segment_shape(s) if s else "" for s in parts.path.split("/"))
    if parts.query:
        pairs = [(k, "{n}" if v.isdigit() else re.escape(v))
                 for k, v in parse_qsl(parts.query, keep_blank_values=True)]
        shape += r"\?" + "&".join(f"{re.escape(k)}={v}" for k, v in pairs)
    return shape


def shape_pattern(shape: str) -> str:
    """The regular expression (without anchors) that a shape stands for."""
    return re.sub(r"\{(?:yyyy|nn|n|slug)\}", lambda m: TOKEN_REGEX[m.group(0)], shape)


def shape_words(path: str) -> set[str]:
    """Lower-cased words of a path's literal segments and script names."""
    words = set()
    for segment in urlsplit(path).path.split("/"):
        if segment and not SLUG.fullmatch(segment) and not segment.isdigit():
            words.add(segment.lower().rsplit(".", 1)[0])
    return words


def not_story_reason(path: str) -> str | None:
    """Why a link is not a story by its URL alone (tag, author, video... page), else None."""
    keys = {k.lower() for k, _v in parse_qsl(urlsplit(path).query, keep_blank_values=True)}
    hit = sorted(shape_words(path) & NOT_STORY_WORDS) or sorted(keys & NOT_STORY_KEYS)
    if hit:
        return f"not a story: '{hit[0]}' in the URL"
    if is_not_crawlable(path):
        return "a login or contact page"
    if is_navigation_page(path):
        return "a navigation page"
    return None


def page_key(url: str) -> str:
    """Path with query of a URL: what site patterns are matched against."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def page_links(html: str | bytes, base: str, site: Site) -> list[str]:
    """The site's own links of a page, canonicalized, in page order, without repeats."""
    tree = _parse(html)
    if tree is None:
        return []
    out: dict[str, None] = {}
    for href in tree.xpath("//a/@href"):
        href = str(href).strip()
        if not href or href.startswith("#"):
            continue
        absolute = urljoin(base, href)
        if urlsplit(absolute).scheme not in ("http", "https"):
            continue
        url = canonical_url(absolute, site)
        if urlsplit(url).netloc == site.primary_host:
            out.setdefault(url, None)
    return list(out)


def _parse(html: str | bytes) -> lxml.html.HtmlElement | None:
    try:
        return lxml.html.fromstring(html) if html and html.strip() else None
    except (lxml.etree.ParserError, ValueError):
        return None


def next_page_links(html: str | bytes, base: str, site: Site) -> list[str]:
    """Links a page declares as its next page, best first: ``rel=next``, then short links
    that say "Next", "Older", "More stories", "下一页"... (the caller checks they are pages)."""
    tree = _parse(html)
    if tree is None:
        return []
    here = canonical_url(base, site)
    candidates = [str(h) for h in tree.xpath(
        "//link[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href"
        " | //a[contains(concat(' ', normalize-space(@rel), ' '), ' next ')]/@href")]
    candidates += [str(a.get("href")) for a in tree.iter("a")
                   if a.get("href") and len(text := " ".join(a.text_content().split())) <= 25
                   and NEXT_TEXT.search(text)]
    out: list[str] = []
    for href in candidates:
        url = canonical_url(urljoin(base, href.strip()), site)
        if urlsplit(url).netloc == site.primary_host and url != here and url not in out:
            out.append(url)
    return out


def _common_affixes(a: str, b: str) -> tuple[str, str]:
    prefix = 0
    while prefix < min(len(a), len(b)) and a[prefix] == b[prefix]:
        prefix += 1
    while prefix and b[prefix - 1].isdigit():  # never split a number
        prefix -= 1
    suffix = 0
    while (suffix < min(len(a), len(b)) - prefix and a[len(a) - 1 - suffix] == b[len(b) - 1 - suffix]):
        suffix += 1
    while suffix and b[len(b) - suffix].isdigit():
        suffix -= 1
    return a[:prefix], a[len(a) - suffix:] if suffix else ""


@dataclass(frozen=True)
class Pagination:
    """How a section's listing pages are addressed, from its front and one other page."""

    pattern: str  # listing_pattern: the front, or the template with the page number grouped
    step: int  # the number of the second page (1 or 2 for pages, the page size for offsets)
    template: str  # human-readable, e.g. /category/world/page/{n}/

    def number(self, key: str) -> int | None:
        m = re.match(self.pattern, key)
        if m is None:
            return None
        return int(m.group(1)) // self.step if m.group(1) else 0


def pagination_from(front_key: str, page_key_: str) -> Pagination | None:
    """The page template that turns the section front into its next page, if that page
    differs from the front by one inserted part holding one number.

    The next page's number is 1 or 2 when pages are counted, the page size when items are
    (``?offset=10``): a number of 5 or more is taken as the step.
    """
    prefix, suffix = _common_affixes(front_key, page_key_)
    if len(prefix) + len(suffix) < len(front_key):
        return None  # the front itself changed: not "the same listing, page n"
    middle = page_key_[len(prefix):len(page_key_) - len(suffix)]
    numbers = re.findall(r"\d+", middle)
    if len(numbers) != 1 or int(numbers[0]) == 0:
        return None
    before, _, after = middle.partition(numbers[0])
    grouped = f"(?:{re.escape(before)}(\\d+){re.escape(after)})?"
    pattern = f"^{re.escape(prefix)}{grouped}{re.escape(suffix)}$"
    step = int(numbers[0]) if int(numbers[0]) >= MIN_OFFSET_STEP else 1
    return Pagination(pattern, step, f"{prefix}{before}{{n}}{after}{suffix}")


def numbered_pagination(front_key: str, keys: Iterable[str]) -> Pagination | None:
    """Pagination from numbered page links (``1 2 3 ...``) when no link says "next": two or
    more links that differ from the front by the same template and different numbers."""
    found: dict[str, tuple[Pagination, set[str]]] = {}
    for key in keys:
        p = pagination_from(front_key, key)
        if p is not None:
            found.setdefault(p.pattern, (p, set()))[1].add(key)
    best = max(found.values(), key=lambda t: len(t[1]), default=None)
    if best is None or len(best[1]) < 2:
        return None
    pattern = best[0]
    smallest = min(n for k in best[1] if (n := _raw_number(pattern, k)))
    return Pagination(pattern.pattern, smallest if smallest >= MIN_OFFSET_STEP else 1,
                      pattern.template)


def _raw_number(p: Pagination, key: str) -> int:
    m = re.match(p.pattern, key)
    return int(m.group(1)) if m and m.group(1) else 0


def feed_links(html: str | bytes, base: str) -> list[str]:
    """Feeds a page declares with ``<link rel=alternate type=application/rss+xml ...>``."""
    tree = _parse(html)
    if tree is None:
        return []
    out = []
    for link in tree.xpath("//link[@href]"):
        rel = (link.get("rel") or "").lower().split()
        if "alternate" in rel and (link.get("type") or "").lower() in FEED_TYPES:
            url = urljoin(base, link.get("href").strip())
            if url not in out:
                out.append(url)
    return out


def feed_entries(body: bytes) -> tuple[str, list[str]]:
    """(kind, links) of an RSS/Atom feed or a sitemap (index); kind is "" for neither."""
    if body[:2] == b"\x1f\x8b":
        try:
            body = gzip.decompress(body)[: 50 * 1024 * 1024]
        except (OSError, EOFError):
            return "", []
    try:
        root = lxml.etree.fromstring(body, lxml.etree.XMLParser(recover=True, resolve_entities=False,
                                                                no_network=True))
    except lxml.etree.XMLSyntaxError:
        return "", []
    if root is None:
        return "", []
    tag = lxml.etree.QName(root).localname.lower()
    if tag in ("urlset", "sitemapindex"):
        locs = [t.strip() for t in root.xpath("//*[local-name()='loc']/text()")]
        return ("sitemapindex" if tag == "sitemapindex" else "sitemap"), locs
    if tag in ("rss", "feed", "rdf"):
        links = [t.strip() for t in root.xpath("//*[local-name()='item']/*[local-name()='link']/text()")]
        links += [str(h).strip() for h in root.xpath(
            "//*[local-name()='entry']/*[local-name()='link']/@href")]
        return "feed", links
    return "", []


def _class_key(el: lxml.html.HtmlElement) -> str | None:
    """An XPath naming ``el`` by tag and its first class (or id), the way the site marks it."""
    cls = (el.get("class") or "").split()
    if cls:
        return (f"//{el.tag}[contains(concat(' ', normalize-space(@class), ' '), ' {cls[0]} ')]")
    if el.get("id"):
        return f"//{el.tag}[@id='{el.get('id')}']"
    return "//time" if el.tag == "time" else None


def _short_elements(tree: lxml.html.HtmlElement, test: re.Pattern[str],
                    limit: int) -> dict[str, tuple[int, int, str]]:
    """Keys of the elements whose text matches ``test`` and is at most ``limit`` characters:
    key -> (document position, text length, text) of its first, smallest match."""
    out: dict[str, tuple[int, int, str]] = {}
    # Bylines sit near the top: the first MAX_SCANNED elements bound the work on any page.
    for pos, el in enumerate(itertools.islice(tree.iter(), MAX_SCANNED)):
        if not isinstance(el.tag, str) or el.tag in ("a", "script", "style", "title", "head"):
            continue
        if el.xpath("ancestor::a|ancestor::li|ancestor::nav|ancestor::footer[not(ancestor::article)]"):
            continue
        text = " ".join(el.text_content().split())
        if not text or len(text) > limit or not test.search(text):
            continue
        key = _class_key(el)
        if key and key not in out:
            out[key] = (pos, len(text), text)
    return out


def agreed_byline(pages: list[str | bytes]) -> tuple[str | None, list[str]]:
    """The byline XPath every sampled story agrees on, and the author each one gives.

    The smallest element saying "By Name" is the author; when it holds no date, the first
    date element every page has is added (``a | b``), since the date line is read from the
    same XPath.  A candidate whose text is the same on every page is boilerplate ("opinions
    expressed by ..."), and one that gives no name-like author on some page is not a byline;
    None when no candidate is left.
    """
    trees = [t for t in (_parse(p) for p in pages) if t is not None]
    if len(trees) < 2:
        return None, []
    bylines = [_short_elements(t, BYLINE_TEXT, 120) for t in trees]
    common = set(bylines[0]).intersection(*bylines[1:])
    dated = [_short_elements(t, DATE_TEXT, 80) for t in trees]
    # Not an element that also holds a "By" line: the date element on its own.
    dated_common = set(dated[0]).intersection(*dated[1:]) - common
    for author_key in sorted(common, key=lambda k: (bylines[0][k][1], bylines[0][k][0])):
        xpath = author_key
        if not DATE_TEXT.search(bylines[0][author_key][2]) and dated_common:
            date_key = min(dated_common, key=lambda k: (dated[0][k][0], dated[0][k][1]))
            xpath = f"{author_key} | {date_key}"
        if len({b[author_key][2] for b in bylines}) == 1:
            continue  # the same "by" text on every page: boilerplate ("Powered by ...")
        texts = [" ".join(" ".join(n.text_content().split()) for n in t.xpath(xpath)) for t in trees]
        found = [re.search(AUTHOR_PATTERN, text, re.IGNORECASE) for text in texts]
        authors = [m.group(1).strip() if m else "" for m in found]
        if all(a and len(a) <= MAX_AUTHOR_CHARS and len(a.split()) <= MAX_AUTHOR_WORDS
               for a in authors):
            return xpath, authors
    return None, []


OFFSET = re.compile(r"(?:T[\d:.]+)\s*(Z|[+-]\d{2}:?\d{2})$")


def stated_offsets(html: str | bytes) -> list[str]:
    """UTC offsets of the publication dates a page states (meta, JSON-LD, ``<time>``)."""
    tree = _parse(html)
    if tree is None:
        return []
    values = [str(v) for v in tree.xpath(
        "//meta[@property='article:published_time' or @itemprop='datePublished']/@content"
        " | //time/@datetime")]
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        values += re.findall(r'"datePublished"\s*:\s*"([^"]+)"', str(script))
    out = []
    for v in values:
        m = OFFSET.search(v.strip())
        if m:
            out.append("+00:00" if m.group(1) == "Z" else m.group(1)[:3] + ":" + m.group(1)[-2:])
    return out


DATE_SOURCES = [
    ("article:published_time", "//meta[@property='article:published_time']/@content"),
    ("itemprop=datePublished", "//*[@itemprop='datePublished']/@content | //*[@itemprop='datePublished']/@datetime"),
    ("JSON-LD datePublished", "//script[@type='application/ld+json'][contains(., 'datePublished')]"),
    ("<time datetime>", "//time/@datetime"),
    ("meta publishdate/pubdate/date", "//meta[@name='publishdate' or @name='pubdate' or @name='date'"
                                      " or @name='publish-date']/@content"),
]


def date_sources(pages: list[str | bytes]) -> list[str]:
    """The machine-readable publication dates every sampled story carries, in the order the
    extractor prefers them (the visible date line is the byline's)."""
    trees = [t for t in (_parse(p) for p in pages) if t is not None]
    return [label for label, xpath in DATE_SOURCES
            if trees and all(t.xpath(xpath) for t in trees)]


def timezone_for(offsets_by_page: list[list[str]]) -> str | None:
    """An IANA zone for the one UTC offset every sampled page states, else None.

    A fixed offset is all a page says (not its daylight-saving rules), so it becomes
    ``Etc/GMT-8`` for +08:00 (POSIX signs are inverted); half-hour offsets are left out.
    """
    firsts = [o[0] for o in offsets_by_page if o]
    if len(firsts) < 2 or len(set(firsts)) != 1 or len(firsts) < len(offsets_by_page):
        return None
    sign, hours, minutes = firsts[0][0], int(firsts[0][1:3]), int(firsts[0][4:6])
    if minutes:
        return None
    if hours == 0:
        return "UTC"
    return f"Etc/GMT{'-' if sign == '+' else '+'}{hours}"


def canonical_alias(pages: list[tuple[str, str | bytes]], primary: str) -> str | None:
    """The other host every sampled story names in its ``rel=canonical`` for the same path
    (the site's original host, when the section URL is a copy or mirror), else None."""
    hosts = set()
    for url, html in pages:
        tree = _parse(html)
        hrefs = tree.xpath("//link[@rel='canonical']/@href") if tree is not None else []
        if not hrefs:
            return None
        target = canonical_url(urljoin(url, str(hrefs[0]).strip()))
        if page_key(target) != page_key(canonical_url(url)):
            return None
        hosts.add(urlsplit(target).netloc)
    if len(pages) >= 2 and len(hosts) == 1:
        host = hosts.pop()
        return host if host and host != primary else None
    return None


def host_aliases(host: str) -> list[str]:
    """The ``www.`` / apex twin of a host name (not of an IP address or a bare name)."""
    name, _, port = host.partition(":")
    if re.fullmatch(r"[\d.]+|\[.*\]", name) or "." not in name:
        return []
    twin = name[4:] if name.startswith("www.") else f"www.{name}"
    return [f"{twin}:{port}" if port else twin]


# -- fetching under a budget -----------------------------------------------------------------

@dataclass
class Sampler:
    """Fetches for inference: at most ``max_requests`` and ``deadline`` seconds in all,
    robots.txt obeyed; a failed fetch is remembered, never raised."""

    max_requests: int = MAX_REQUESTS
    deadline: float = DEADLINE
    requests: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)
    robots: Protego | None = None
    started: float = field(default_factory=time.monotonic)

    def left(self) -> int:
        return self.max_requests - len(self.requests)

    def get(self, url: str, accept: tuple[str, ...] | None = ("text/html", "application/xhtml+xml")
            ) -> Fetched | None:
        if self.left() <= 0 or time.monotonic() - self.started > self.deadline:
            self.failures[url] = "request budget spent"
            return None
        if self.robots is not None and not self.robots.can_fetch(url, USER_AGENT):
            self.failures[url] = "disallowed by robots.txt"
            return None
        self.requests.append(url)
        remaining = self.deadline - (time.monotonic() - self.started)
        try:
            return fetch(url, allow_private=True, deadline=max(1.0, min(15.0, remaining)),
                         accept=accept)
        except FetchError as exc:
            self.failures[url] = str(exc)
            return None


# -- the whole inference ---------------------------------------------------------------------

@dataclass
class Report:
    """What inference saw, for the dry run a user reads before trusting the profile."""

    site: Site
    requests: int
    listing_counts: list[tuple[str, int]] = field(default_factory=list)
    shapes: list[tuple[str, int, str]] = field(default_factory=list)  # shape, links, verdict
    rejected: list[tuple[str, str]] = field(default_factory=list)  # url, reason
    feeds: list[tuple[str, int, int]] = field(default_factory=list)  # url, stories, new
    sitemaps: list[tuple[str, int, int]] = field(default_factory=list)
    pagination: str = "none found"
    deepest_page: int = 0
    byline_authors: list[str] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def default_name(url: str) -> str:
    host = urlsplit(url).hostname or "site"
    host = host[4:] if host.startswith("www.") else host
    return re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "site"


def _body_chars(workers: ExtractWorkers, raw: bytes, url: str) -> int:
    """Characters of article body on a page, by the project's own extractor in a killable
    worker (a page built to keep the extractor busy cannot stall inference); 0: none."""
    from pipelines.article import NoArticle
    from pipelines.worker import ExtractFailed

    from concurrent.futures.process import BrokenProcessPool

    try:
        article = workers.extract(raw, url, None)
    except (NoArticle, ExtractFailed):
        return 0
    except BrokenProcessPool as exc:
        raise InferenceError(f"the extraction worker could not run: {exc}") from None
    paragraphs = [p for p in article.text.split("\n") if p.strip()]
    return len(article.text) if len(paragraphs) >= 2 else 0


def _own_section(accepted: list[str], front_key: str,
                 shapes: list[tuple[str, int, str]]) -> list[str]:
    """The story shapes under the section's own path, when they are most of its story links:
    a shape outside it (``/sport/...`` from a "Most read" box on ``/world/``) is another
    section's.  A section whose stories live elsewhere (``/category/world/`` listing
    ``/2024/06/23/slug/``) keeps them all."""
    folder = urlsplit(front_key).path.rsplit("/", 1)[0] + "/"
    if folder == "/":
        return accepted
    prefix = url_shape(folder)
    own = [s for s in accepted if s.startswith(prefix)]
    counts = {shape: n for shape, n, _verdict in shapes}
    if not own or sum(counts.get(s, 0) for s in own) * 2 <= sum(counts.get(s, 0) for s in accepted):
        return accepted
    for i, (shape, n, _verdict) in enumerate(shapes):
        if shape in accepted and shape not in own:
            shapes[i] = (shape, n, f"another section's stories (outside {folder})")
    return own


def _check_shapes(candidates: list[tuple[str, list[str]]], sampler: Sampler,
                  workers: ExtractWorkers, shapes: list[tuple[str, int, str]],
                  rejected: list[tuple[str, str]]) -> tuple[list[str], list[str], list[tuple[str, bytes]]]:
    """Fetch a few pages of each candidate shape and keep the shapes whose pages mostly hold
    an article body: (accepted shapes, why unfetchable shapes failed, the story samples)."""
    accepted: list[str] = []
    unfetched: list[str] = []  # why each shape whose samples all failed could not be fetched
    samples: list[tuple[str, bytes]] = []
    for shape, links in candidates[:SHAPES_TO_CHECK]:
        picks = [links[i * (len(links) - 1) // max(1, SAMPLES_PER_SHAPE - 1)]
                 for i in range(min(SAMPLES_PER_SHAPE, len(links)))]
        bodies = []
        for link in dict.fromkeys(picks):
            got = sampler.get(link)
            if got is not None:
                bodies.append((link, got.body, _body_chars(workers, got.body, got.url)))
        with_body = [b for b in bodies if b[2] >= MIN_BODY_CHARS]
        if bodies and len(with_body) * 2 > len(bodies):
            accepted.append(shape)
            samples += [(link, body) for link, body, _n in with_body]
            shapes.append((shape, len(links), f"stories ({len(with_body)}/{len(bodies)} "
                                              "sampled pages hold an article body)"))
        else:
            if not bodies:
                unfetched.append(sampler.failures.get(picks[0], "no answer"))
            verdict = (f"could not be fetched ({unfetched[-1]})" if not bodies else
                       f"not stories ({len(with_body)}/{len(bodies)} sampled pages hold an article body)")
            shapes.append((shape, len(links), verdict))
            rejected.append((links[0], verdict))
    return accepted, unfetched, samples


def infer_site(url: str, name: str | None = None, sampler: Sampler | None = None) -> Report:
    """Fetch the section at ``url`` and a bounded sample around it; propose its profile.

    Raises :class:`InferenceError` naming what was missing (no section page, no repeated
    story links, no story bodies), so a site it cannot understand never becomes a silent
    empty crawl.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InferenceError(f"the section URL must be an absolute http(s) URL, got {url!r}")
    sampler = sampler or Sampler()
    host = parts.netloc.lower()
    name = name or default_name(url)
    draft = Site(name=name, start_urls=(url,), hosts=(host,), article_pattern="$^")
    start = canonical_url(url, draft)

    robots = sampler.get(f"{parts.scheme}://{parts.netloc}/robots.txt", accept=None)
    sitemap_urls: list[str] = []
    if robots is not None:
        sampler.robots = Protego.parse(robots.body[:500_000].decode("utf-8", "replace"))
        sitemap_urls = list(sampler.robots.sitemaps)
    front = sampler.get(start)
    if front is None:
        raise SectionUnreachable(f"could not fetch the section page {start}: "
                             f"{sampler.failures.get(start, 'no answer')}")
    moved = urlsplit(front.url).netloc.lower()
    if moved != host:  # the section redirects to its real host (apex to www., http to https)
        draft = Site(name=name, start_urls=(front.url,), hosts=(moved,), aliases=(host,),
                     article_pattern="$^")
        host, start = moved, canonical_url(front.url, draft)
    front_url = canonical_url(front.url, draft)

    # Listing pages: the front, then the pages its "next" links lead to.
    listings: list[tuple[str, bytes]] = [(front_url, front.body)]
    pagination, next_url = None, None
    for candidate in next_page_links(front.body, front.url, draft):
        pagination = pagination_from(page_key(front_url), page_key(candidate))
        if pagination is not None:
            next_url = candidate
            break
    if pagination is None:
        front_links = page_links(front.body, front.url, draft)
        pagination = numbered_pagination(page_key(front_url), map(page_key, front_links))
        if pagination is not None:
            next_url = min((u for u in front_links if pagination.number(page_key(u))),
                           key=lambda u: pagination.number(page_key(u)) or 0, default=None)
    while pagination is not None and next_url and len(listings) < LISTING_SAMPLES:
        if pagination.number(page_key(next_url)) is None or any(next_url == u for u, _ in listings):
            break
        page = sampler.get(next_url)
        if page is None:
            break
        listings.append((next_url, page.body))
        next_url = next(iter(u for u in next_page_links(page.body, page.url, draft)
                             if (pagination.number(page_key(u)) or 0)
                             > (pagination.number(page_key(listings[-1][0])) or 0)), None)

    feeds = feed_links(front.body, front.url)[:3]
    feed_bodies: list[tuple[str, list[str]]] = []
    for feed_url in feeds:
        got = sampler.get(feed_url, accept=None)
        kind, links = feed_entries(got.body) if got else ("", [])
        if kind == "feed":
            feed_bodies.append((feed_url, [canonical_url(urljoin(feed_url, u), draft) for u in links]))

    # Link shapes over the listings (and the section's feeds), each URL once.
    by_shape: dict[str, list[str]] = defaultdict(list)
    seen: set[str] = set()
    rejected: list[tuple[str, str]] = []
    listing_links = [(u, page_links(body, u, draft)) for u, body in listings]
    for _u, links in [*listing_links, *feed_bodies]:
        for link in links:
            if link in seen or urlsplit(link).netloc != host:
                continue
            seen.add(link)
            key = page_key(link)
            if pagination is not None and pagination.number(key) is not None or link == front_url:
                continue
            by_shape[url_shape(key)].append(link)
    shapes: list[tuple[str, int, str]] = []
    candidates = []
    for shape, links in sorted(by_shape.items(), key=lambda kv: -len(kv[1])):
        reason = not_story_reason(page_key(links[0]))
        if reason is None and len(links) < MIN_REPEAT:
            reason = f"seen {len(links)} time(s), fewer than {MIN_REPEAT}"
        if reason:
            rejected.append((links[0], reason))
            if len(links) >= MIN_REPEAT:
                shapes.append((shape, len(links), reason))
            continue
        candidates.append((shape, links))

    accepted: list[str] = []
    unfetched: list[str] = []
    samples: list[tuple[str, bytes]] = []
    if candidates:
        with ExtractWorkers(1, EXTRACT_TIMEOUT) as workers:
            accepted, unfetched, samples = _check_shapes(candidates, sampler, workers, shapes,
                                                         rejected)
    for shape, links in candidates[SHAPES_TO_CHECK:]:
        shapes.append((shape, len(links), "not checked (request budget)"))

    if not accepted:
        found = (f"{len(seen)} links to {host} on {len(listings)} listing page(s)"
                 if seen else f"no links to {host} on the section page")
        checked = candidates[:SHAPES_TO_CHECK]
        why = ("no link shape repeats at least "
               f"{MIN_REPEAT} times outside tag, author, video and other non-story pages"
               if not candidates else
               "the sampled pages of the repeated link shapes could not be fetched "
               f"({'; '.join(dict.fromkeys(unfetched))})"
               if len(unfetched) == len(checked) else
               "the pages of the repeated link shapes hold no article body "
               f"(checked: {', '.join(s for s, _ in candidates[:SHAPES_TO_CHECK])})")
        raise InferenceError(f"could not find the section's story links at {start}: {found}, "
                             f"but {why}. Write a profile by hand (see README, 'Adding a site') "
                             "and pass --site-file.")

    accepted = _own_section(accepted, page_key(front_url), shapes)
    samples = [(u, b) for u, b in samples
               if any(re.fullmatch(shape_pattern(s), page_key(u)) for s in accepted)]
    article_pattern = "^" + ("|".join(shape_pattern(s) for s in accepted) if len(accepted) == 1
                             else "(?:" + "|".join(shape_pattern(s) for s in accepted) + ")") + "$"
    is_story = re.compile(article_pattern)

    def story_links(links: Iterable[str]) -> list[str]:
        return [u for u in links if urlsplit(u).netloc == host and is_story.search(page_key(u))]

    listed = {u for _p, links in listing_links for u in story_links(links)}
    feed_rows = []
    for feed_url, links in feed_bodies:
        stories = story_links(links)
        feed_rows.append((feed_url, len(stories), len(set(stories) - listed)))
    sitemap_rows = []
    for sitemap_url in sitemap_urls[:2]:
        got = sampler.get(sitemap_url, accept=None)
        kind, locs = feed_entries(got.body) if got else ("", [])
        if kind == "sitemapindex":
            # The index is what the profile keeps (its children rotate); two children sampled.
            stories = []
            for child in locs[:2]:
                got = sampler.get(child, accept=None)
                ckind, clocs = feed_entries(got.body) if got else ("", [])
                if ckind == "sitemap":
                    stories += story_links(canonical_url(u, draft) for u in clocs)
            sitemap_rows.append((sitemap_url, len(stories), len(set(stories) - listed)))
        elif kind == "sitemap":
            stories = story_links(canonical_url(u, draft) for u in locs)
            sitemap_rows.append((sitemap_url, len(stories), len(set(stories) - listed)))

    byline, authors = agreed_byline([body for _u, body in samples[:4]])
    zone = timezone_for([stated_offsets(body) for _u, body in samples[:4]])
    aliases = [*draft.aliases, *(a for a in host_aliases(host) if a not in draft.aliases)]
    mirror = canonical_alias([(u, b) for u, b in samples[:4]], host)
    if mirror and mirror not in aliases:
        aliases.append(mirror)
    deepest = 0
    if pagination is not None:
        numbers = [pagination.number(page_key(u)) for _p, links in listing_links for u in links]
        deepest = max([n for n in numbers if n is not None], default=0)
    notes = []
    use_sitemaps = pagination is None and any(new for _u, _n, new in sitemap_rows)
    if pagination is None:
        notes.append("no pagination found: older stories come only from feeds and sitemaps"
                     if feed_rows or use_sitemaps else
                     "no pagination, feed or sitemap found: only the stories on the section "
                     "page will be crawled")
    elif sitemap_rows:
        notes.append("sitemaps not used: the section paginates, and a site's sitemap lists "
                     "other sections too")
    try:
        site = Site(
            name=name, start_urls=(start,), hosts=(host,), aliases=tuple(aliases),
            article_pattern=article_pattern,
            listing_pattern=pagination.pattern if pagination else f"^{re.escape(page_key(front_url))}$",
            page_step=pagination.step if pagination else 1,
            feeds=tuple(u for u, n, _new in feed_rows if n),
            sitemaps=tuple(u for u, n, _new in sitemap_rows if n) if use_sitemaps else (),
            byline_xpath=byline, author_pattern=f"(?i){AUTHOR_PATTERN}" if byline else None,
            timezone=zone or "UTC")
    except SiteError as exc:  # a pattern built from odd URLs: say so, do not crash
        raise InferenceError(f"the inferred profile is not valid: {exc}") from None
    return Report(
        site=site, requests=len(sampler.requests),
        listing_counts=[(u, len(story_links(links))) for u, links in listing_links],
        # The telling rejections (by kind of page, or no body) before the merely rare links.
        shapes=shapes, rejected=sorted(rejected, key=lambda r: r[1].startswith("seen"))[:8], feeds=feed_rows, sitemaps=sitemap_rows,
        pagination=(pagination.template + (f" (steps of {pagination.step})" if pagination.step > 1
                                           else "")) if pagination else "none found",
        deepest_page=deepest, byline_authors=authors, notes=notes,
        dates=date_sources([body for _u, body in samples[:4]]))


def format_report(report: Report) -> str:
    """The dry run, as a person reads it."""
    lines = [f"Inferred from {report.requests} requests.", "", "Listing pages (story links):"]
    lines += [f"  {n:4d}  {u}" for u, n in report.listing_counts]
    lines.append(f"Pagination: {report.pagination}"
                 + (f"; the pages link as deep as page {report.deepest_page}" if report.deepest_page else ""))
    lines.append("Link shapes (links on the listings):")
    lines += [f"  {n:4d}  {shape}  -> {verdict}" for shape, n, verdict in report.shapes[:12]]
    for label, rows in (("Feeds", report.feeds), ("Sitemaps", report.sitemaps)):
        if rows:
            lines.append(f"{label} (story links, not on the sampled listings):")
            lines += [f"  {n:4d} {new:4d}  {u}" for u, n, new in rows]
    if report.byline_authors:
        lines.append(f"Byline: {report.site.byline_xpath} (authors on the samples: "
                     f"{', '.join(a or '?' for a in report.byline_authors)})")
    else:
        lines.append("Byline: none that the sampled stories agree on (authors from meta tags)")
    lines.append("Dates on every sampled story: " + (", ".join(report.dates) or "none in the markup")
                 + ("; and the byline's date line" if report.site.byline_xpath else ""))
    lines.append(f"Time zone: {report.site.timezone}")
    if report.rejected:
        lines.append("Some links rejected:")
        lines += [f"  {u}: {why}" for u, why in report.rejected]
    lines += [f"Note: {n}" for n in report.notes]
    return "\n".join(lines)


def check_live(site: Site, sampler: Sampler | None = None) -> tuple[list[str], list[str]]:
    """Dry-run a profile against the live section: (what it finds, what is wrong).

    Fetches the section page, the next listing page and each feed and sitemap once, and
    counts the links the profile would follow.  A profile that finds no story link is a
    problem, never a silent empty crawl.
    """
    sampler = sampler or Sampler(max_requests=2 + 2 + len(site.feeds) + len(site.sitemaps))
    start = canonical_url(site.start_urls[0], site)
    parts = urlsplit(start)
    robots = sampler.get(f"{parts.scheme}://{parts.netloc}/robots.txt", accept=None)
    if robots is not None:
        sampler.robots = Protego.parse(robots.body[:500_000].decode("utf-8", "replace"))
    lines: list[str] = []
    problems: list[str] = []
    front = sampler.get(start)
    if front is None:
        return lines, [f"cannot fetch the section page {start}: {sampler.failures.get(start)}"]

    def count(url: str, body: bytes) -> tuple[list[str], list[tuple[int, str]]]:
        links = page_links(body, url, site)
        stories = [u for u in links if site.is_article(page_key(u))]
        pages = [(n, u) for u in links if (n := site.listing_page_number(page_key(u)))]
        return stories, pages

    stories, pages = count(front.url, front.body)
    lines.append(f"{len(stories):4d} story links on the section page {start}")
    if not stories:
        problems.append(f"no link on the section page matches article_pattern "
                        f"{site.article_pattern!r}")
    if pages:
        number, url = min(pages)
        page = sampler.get(url)
        if page is None:
            problems.append(f"cannot fetch listing page {number} ({url}): {sampler.failures.get(url)}")
        else:
            more, further = count(page.url, page.body)
            lines.append(f"{len(more):4d} story links on listing page {number} {url}; "
                         f"it links pages up to {max((n for n, _u in further), default=number)}")
            if not more:
                problems.append(f"listing page {number} has no link matching article_pattern")
    else:
        lines.append("     no other listing page linked from the section page "
                     f"(listing_pattern {site.listing_pattern!r})")
    for label, urls in (("feed", site.feeds), ("sitemap", site.sitemaps)):
        for url in urls:
            got = sampler.get(url, accept=None)
            kind, links = feed_entries(got.body) if got else ("", [])
            if got is None:
                problems.append(f"cannot fetch {label} {url}: {sampler.failures.get(url)}")
                continue
            if not kind:
                problems.append(f"{label} {url} is neither a feed nor a sitemap")
                continue
            hits = [u for u in links if site.is_article(page_key(canonical_url(urljoin(url, u), site)))]
            lines.append(f"{len(hits):4d} story links in {label} {url}"
                         + (f" ({len(links)} nested sitemaps)" if kind == "sitemapindex" else ""))
            if kind != "sitemapindex" and not hits:
                problems.append(f"{label} {url} has no link matching article_pattern")
    return lines, problems
