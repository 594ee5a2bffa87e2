"""Turn one raw HTML page into an :class:`Article`: decoding, site rules, trafilatura.

This is the single extraction path: the crawl's pipeline and ``newscrawl extract`` both call
:func:`extract` with plain values (bytes, URL, site), never a Scrapy response.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections import Counter
from dataclasses import asdict, dataclass, field, replace
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from charset_normalizer import from_bytes
from lxml import etree
from htmldate import find_date
from trafilatura.metadata import (examine_meta, extract_author, extract_meta_json, extract_title,
                                  extract_url)
from trafilatura.settings import Document

from crawler.sites import Site
from pipelines import template as templates
from pipelines.dates import find_dates
from pipelines.dedup import canonical_url, content_hash, normalize_text, simhash
from pipelines.language import NO_ANSWER, detect_language, normalize_code

EXTRACTOR_VERSION = f"newscrawl-3/trafilatura-{trafilatura.__version__}"
# A body shorter than this (in letters) is a video page, a stub or a listing, not a story.
MIN_BODY_LETTERS = 150
# trafilatura's options for the crawl: comments are never the article.
TRAFILATURA_OPTIONS: dict[str, Any] = {"include_comments": False, "include_tables": True}
# favor_precision drops menus and teasers that the default keeps, but on some pages it
# drops the article too: keep its output unless it is shorter than this share of the
# default's (measured on the article-extraction-benchmark; 0.3..0.85 all do worse).
PRECISION_KEEP_RATIO = 0.5
# A paragraph or list item whose text is at least this share link text is a teaser
# ("Read more: ...", related-story lists inside the body), not article prose.
LINK_LINE_SHARE = 0.8
LINK_LINE_TAGS = ("p", "li", "h2", "h3", "h4", "h5", "h6", "strong", "b")
# These are lines only when they stand alone, not as the lead-in of a paragraph.
INLINE_LINK_LINE_TAGS = ("strong", "b")
INVISIBLE_TAGS = ("script", "style", "noscript", "template", "svg")
TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ")
# Class names of the containers an article body is split across (see join_split_bodies).
SPLIT_BODY_CLASS = re.compile(r"body|content|text", re.I)
TEXT_BLOCKS = "self::p or self::h1 or self::h2 or self::h3 or self::h4"
# A standfirst is a sentence, not a tagline, and sits within a few elements of the headline.
STANDFIRST_MIN_CHARS = 40
STANDFIRST_REACH = 25
# Lines that close a news story without being part of it, in any site's template; only
# looked for among a body's last lines, so the same words inside the story stay.
TRAILER = re.compile("|".join(f"(?:{p})" for p in (
    # provenance and credits
    r"(?:this|the) (?:article|story) (?:was )?(?:originally|initially|first) (?:appeared|published)\b",
    r".{0,80}\bcontributed (?:reporting )?to this (?:report|story)\.?$",
    r"with (?:\w+ ){0,2}wires?(?: services)?\.?$",
    r"this (?:is a developing story|(?:story|article|post) will be updated)\b.{0,80}$",
    # pointers to other pages, and a label whose list of links was removed ("ALSO:")
    r"(?:read|see|watch) (?:more|also)\b.{0,60}:?$",
    r"related(?: stories| articles| coverage)?:.{0,80}$",
    r"more from .{1,40}:?$",
    r"[A-Z][\w ]{0,20}:$",
    # the author's or the newsroom's contact and social-media lines, an author's bio
    r"(?:follow|twitter|email|e-mail|contact|reach)\b.{0,60}@\w+.{0,30}$",
    r"follow (?:us|\w+(?: \w+)?) on (?:twitter|facebook|instagram)\b",
    r".{0,300}\bfollow (?:me|her|him|us) on (?:[\w-]+ ){0,4}(?:twitter|facebook|instagram|tumblr)"
    r"\b.{0,80}$",
    r"got a (?:news )?tip\b.{0,300}$",
    r".{0,200}\b(?:share with us|contact us|get in touch)\b.{0,200}(?:@\w.{0,80}|:)$",
    r"(?:whatsapp|tweet|text|sms|send|email|e-mail|call|phone|signal)\b.{0,80}"
    r"(?:@\w|\+?\d[\d ]{7,})",
)), re.IGNORECASE)
# List markers in front of a trailer or leader line.
BULLETS = "-–—•* "
# How many lines from the end a trailer can reach (a newsroom's contact box is 7).
TRAILER_LINES = 8
# Lines that open a body without being part of it: a byline (the authors are their own
# column) or a comment counter whose number was a script's.  Only the first few lines.
LEADER = re.compile(r"By [A-Z][\w.'’-]*(?: (?:[A-Z][\w.'’-]*|and|de|da|van|von|der|la|le)){0,5}"
                    r"(?:,? (?:[A-Z][\w.'’-]*|and)(?: [A-Z][\w.'’-]*){0,4})?"
                    r"|(?i:\d*\s*comments?)")
LEADER_LINES = 3
# Guards against hostile pages (README, "Faults").  A decode or a body with more U+FFFD
# replacement characters than this share of its letters is mojibake, not text.
MAX_REPLACEMENT_SHARE = 0.005
# A body whose distinct lines hold less than this share of its characters is a paragraph or
# two repeated.  Counted in characters, not lines: a meal plan or a fixture list repeats many
# short lines legitimately (one such page in the article-extraction-benchmark: 0.42).
MIN_DISTINCT_TEXT_SHARE = 0.2
# A body with more than this share of control or unassigned characters is binary garbage.
MAX_GARBAGE_SHARE = 0.02
DATE_HINT = re.compile(r"date|time|publish|posted|updated", re.I)

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")
CANONICAL_LINK = re.compile(
    rb"""<link\b(?=[^>]*\brel\s*=\s*["']?canonical)[^>]*\bhref\s*=\s*["']?([^"'\s>]+)""", re.I)


class NoArticle(ValueError):
    """The page holds no article body; ``reason`` is a short stat-friendly slug."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:  # crosses the extraction worker's process boundary
        return (NoArticle, (self.reason, str(self)))


@dataclass
class Article:
    """What we keep of one article page, as plain values ready for storage or JSON."""

    url: str | None
    page_url: str | None
    title: str | None
    authors: list[str]
    published: str | None
    description: str | None
    text: str
    modified: str | None = None
    date_conflict: str | None = None
    rejected_dates: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    declared_language: str | None = None
    language: str | None = None
    language_probability: float | None = None
    language_detector: str | None = None
    encoding: str | None = None
    content_hash: str = ""
    simhash: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_text(self, text: str, language: bool = True) -> Article:
        """This article with ``text`` as its body and everything derived from it renewed
        (fingerprints, and the detected language unless ``language`` is off)."""
        found = detect_language(text) if language else NO_ANSWER
        return replace(self, text=text, content_hash=content_hash(text), simhash=simhash(text),
                       language=found.language, language_probability=found.probability,
                       language_detector=found.detector)


def decode_html(raw: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode page bytes, trusting the bytes over the label.

    UTF-8 is tried first because a valid UTF-8 decode of text in another charset is
    practically impossible, while a page labelled latin-1 or windows-1252 that is really
    UTF-8 is common and decodes "successfully" into mojibake.  Then the HTTP and ``<meta>``
    labels, then charset detection on the bytes.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    meta = META_CHARSET.search(raw[:4096])
    labels = ["utf-8", declared, meta.group(1).decode("ascii", "ignore") if meta else None]
    for label in labels:
        if not label:
            continue
        try:
            return raw.decode(label), label.lower()
        except (UnicodeDecodeError, LookupError):
            continue
    # Mixed encodings: UTF-8 with a few stray bytes keeps its UTF-8 text; a page that is
    # mostly another charset (windows-1251 labelled UTF-8) is re-decoded from the bytes.
    repaired = raw.decode("utf-8", errors="replace")
    if replacement_share(repaired) <= MAX_REPLACEMENT_SHARE:
        return repaired, "utf-8"
    best = from_bytes(raw[:200_000]).best()
    if best is not None:
        return raw.decode(best.encoding, errors="replace"), best.encoding
    return raw.decode("utf-8", errors="replace"), "utf-8"


def has_letters(text: str, enough: int = MIN_BODY_LETTERS) -> bool:
    """Whether ``text`` holds at least ``enough`` letters (stops counting once it does)."""
    count = 0
    for ch in text:
        if ch.isalpha():
            count += 1
            if count >= enough:
                return True
    return False


def replacement_share(text: str) -> float:
    """U+FFFD replacement characters per letter: how much of a decode went wrong."""
    bad = text.count("\ufffd")
    return bad / max(1, sum(ch.isalpha() for ch in text)) if bad else 0.0


def sniff_canonical(raw: bytes) -> str | None:
    """The ``rel=canonical`` URL from a page's head, cheaply, to pick a site profile."""
    m = CANONICAL_LINK.search(raw[:65536])
    return m.group(1).decode("utf-8", "replace") if m else None


def parse_html(text: str) -> lxml.html.HtmlElement:
    """Parse decoded HTML; the bytes are re-encoded so ``<meta charset>`` cannot mislead lxml.

    Raises :class:`NoArticle` (``too_deep``) when libxml2 stopped at its nesting limit: what
    it kept is the page's top (the menu), and the article below was silently dropped.
    """
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    text = XML_DECL.sub("", text, count=1)
    tree = lxml.html.document_fromstring(text.encode("utf-8", errors="replace"), parser=parser)
    for error in parser.error_log:
        if error.type_name == "ERR_RESOURCE_LIMIT" or "Excessive depth" in error.message:
            raise NoArticle("too_deep", f"the HTML parser gave up on the page: {error.message}")
    return tree


def structure_only(tree: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    """A copy of the page without free text, for date guessing: only ``<head>``, ``<time>``,
    JSON-LD and elements whose class, id or itemprop names a date keep their text.

    htmldate scans all visible text even with ``extensive_search=False``, where a phone
    number (``Tel 2021-07-15``) or a copyright line (``© 2003-2019``) looks like a date.
    """
    tree = copy.deepcopy(tree)
    body = tree.find("body")
    if body is None:
        return tree
    keep: set[object] = set()
    for el in body.iter():
        if el in keep or not isinstance(el.tag, str):
            continue
        hints = " ".join(el.get(a, "") for a in ("class", "id", "itemprop"))
        if el.tag == "time" or (el.tag == "script" and "ld+json" in el.get("type", "")) \
                or DATE_HINT.search(hints):
            keep.update(el.iter())
    for el in body.iter():
        if el not in keep:
            el.text = None
        if el.getparent() is not None and el.getparent() not in keep:
            el.tail = None
    return tree


def _text_of(nodes: list[Any]) -> str:
    return " ".join(" ".join(n.text_content().split()) if hasattr(n, "text_content") else str(n)
                    for n in nodes).strip()


def _remove(node: etree._Element) -> None:
    """Remove ``node`` but keep its tail text, which belongs to the parent."""
    parent = node.getparent()
    if parent is None:
        return
    if node.tail and node.tail.strip():
        prev = node.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + node.tail
        else:
            parent.text = (parent.text or "") + node.tail
    parent.remove(node)


def page_metadata(tree: lxml.html.HtmlElement, url: str | None) -> Document:
    """Title, author, canonical URL and description, the way trafilatura's
    ``extract_metadata`` finds them (meta tags, then JSON-LD, then the page), without the
    parts newscrawl does not use or does itself: its htmldate run (dates come from
    :func:`pipelines.dates.find_dates`), site name, categories, tags and licence, which
    were a third of its cost.
    """
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None  # a single word there is a handle or the site, not a byline
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # noqa: BLE001 - trafilatura's JSON-LD reader fails on broken data
        pass
    meta.title = meta.title or extract_title(tree)
    meta.author = meta.author or extract_author(tree)
    meta.url = meta.url or extract_url(tree, url)
    meta.clean_and_trim()
    return meta


def declared_language(tree: lxml.html.HtmlElement) -> str | None:
    """The language the page says it is in: ``<html lang>``, then og:locale, then meta."""
    for xpath in ("/html/@lang", "/html/@xml:lang", "//meta[@property='og:locale']/@content",
                  "//meta[@http-equiv='content-language' or @http-equiv='Content-Language']"
                  "/@content"):
        values = tree.xpath(xpath, namespaces={"xml": "http://www.w3.org/XML/1998/namespace"})
        code = normalize_code(str(values[0])) if values else None
        if code:
            return code
    return None


def _authors(tree: lxml.html.HtmlElement, site: Site | None, meta_author: str | None) -> list[str]:
    if site is not None and site.byline_xpath and site.author_pattern:
        byline = _text_of(tree.xpath(site.byline_xpath))
        m = re.search(site.author_pattern, byline)
        if m:
            return [a.strip() for a in re.split(r"\s*(?:,|;|\band\b)\s*", m.group(1)) if a.strip()]
    if meta_author:
        return [a.strip() for a in meta_author.split(";") if a.strip()]
    return []


def _apply_line_rules(text: str, site: Site | None, captions: list[str],
                      extras: dict[str, Any]) -> str:
    if site is None:
        return text
    drops = [re.compile(p) for p in site.drop_line_patterns]
    fields = {name: re.compile(p) for name, p in site.field_line_patterns.items()}
    kept = []
    for line in text.splitlines():
        stripped = line.strip()
        if any(p.search(stripped) for p in drops):
            continue
        for name, pattern in fields.items():
            m = pattern.search(stripped)
            if m:
                value = m.group(1) if m.groups() else stripped
                if name == "captions":
                    captions.append(value)
                else:
                    extras.setdefault(name, value)
                break
        else:
            kept.append(line)
    return "\n".join(kept).strip()


def choose_url(page_url: str | None, canonical: str | None, site: Site | None) -> str | None:
    """The story's URL: ``rel=canonical`` when it is an article URL of the same site.

    A canonical link to another host, to a section front or to garbage is a CMS mistake,
    not a better name for the story, so the page's own URL is kept then.
    """
    own = canonical_url(page_url, site) if page_url else None
    if not canonical or not canonical.startswith(("http://", "https://")):
        return own
    candidate = canonical_url(canonical, site)
    if site is not None:
        parts = urlsplit(candidate)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if parts.netloc != site.primary_host or not site.is_article(path):
            return own
    elif own is not None and urlsplit(candidate).netloc != urlsplit(own).netloc:
        return own
    return candidate


def strip_invisible(root: etree._Element) -> None:
    """Remove scripts, styles and the like: they are never text a reader sees."""
    for node in list(root.iter(*INVISIBLE_TAGS)):
        _remove(node)


def _flat(node: etree._Element) -> str:
    return " ".join("".join(node.itertext()).split())


def _is_link_line(node: etree._Element) -> bool:
    links = node.findall(".//a")
    if not links:
        return False
    text = _flat(node)
    if not any(ch.isalnum() for ch in text):
        return False
    link_text = sum(len(_flat(a)) for a in links)
    return link_text >= LINK_LINE_SHARE * len(text)


def drop_link_lines(root: etree._Element) -> None:
    """Remove paragraphs and list items that are (almost) all link text: teasers.

    A list whose items are mostly such teasers is a "related" list as a whole: its few
    plain items (a story not yet linked) go with it rather than stand alone in the body.
    """
    teaser: dict[etree._Element, bool] = {}  # list items are judged once, in the first pass
    for listing in list(root.iter("ul", "ol")):
        items = [li for li in listing if li.tag == "li"]
        for li in items:
            teaser[li] = _is_link_line(li)
        teasers = sum(teaser[li] for li in items)
        if teasers >= 2 and teasers > len(items) / 2 and listing.getparent() is not None:
            _remove(listing)
    for node in list(root.iter(*LINK_LINE_TAGS)):
        parent = node.getparent()
        if parent is None or not (teaser[node] if node in teaser else _is_link_line(node)):
            continue
        if node.tag in INLINE_LINK_LINE_TAGS and parent.tag in ("p", "li") \
                and _flat(parent) != _flat(node):
            continue  # a linked lead-in of a longer item ("<b><a>Headline</a></b> story...")
        _remove(node)


def page_titles(root: etree._Element) -> set[str]:
    """Normalized candidate headlines (og:title, <title> with and without the site name, h1)."""
    found: list[str] = []
    for xpath in ('//meta[@property="og:title"]/@content', '//meta[@name="twitter:title"]/@content',
                  "//title//text()", "(//h1)[1]//text()"):
        text = " ".join(" ".join(str(v) for v in root.xpath(xpath)).split())
        if not text:
            continue
        found.append(text)
        for sep in TITLE_SEPARATORS:
            if sep in text:
                found += [text.split(sep)[0], text.rsplit(sep, 1)[0]]
    return {normalize_text(t) for t in found if len(t.strip()) >= 8}


def _drop_leading_title(text: str, titles: set[str]) -> str:
    """The headline is metadata, not body: drop it when the body starts with it."""
    lines = text.splitlines()
    while lines and (not lines[0].strip() or normalize_text(lines[0]) in titles):
        lines.pop(0)
    return "\n".join(lines)


def drop_trailers(text: str) -> str:
    """Drop trailer lines ("This article originally appeared on ...", "Read more:") at the end."""
    lines = text.splitlines()
    cut = len(lines)
    for i in range(len(lines) - 1, max(-1, len(lines) - 1 - TRAILER_LINES), -1):
        if not lines[i].strip() or TRAILER.match(lines[i].strip().lstrip(BULLETS)):
            cut = i
        else:
            break
    return "\n".join(lines[:cut])


def drop_leaders(text: str) -> str:
    """Drop a byline or a comment counter among the first lines of a body."""
    lines = text.splitlines()
    start = 0
    while start < min(len(lines), LEADER_LINES) and (
            not lines[start].strip()
            or LEADER.fullmatch(lines[start].strip().lstrip(BULLETS).rstrip("."))):
        start += 1
    return "\n".join(lines[start:])


def join_split_bodies(root: etree._Element) -> None:
    """Join an article body that the template splits across same-class containers.

    Some sites cut the body into blocks between ads, each in its own wrapper
    (``div.article__body`` twice); trafilatura takes the first container it recognizes and
    loses the rest.  Blocks that share tag and class and hold paragraphs are moved into the
    first one, in order, when nothing but ads and wrappers lies between them: not siblings
    (trafilatura takes their parent anyway), in the same ``<article>``, and no headline or
    paragraph in between (entries of a live blog, a second story).
    """
    groups: dict[tuple[str, str], list[etree._Element]] = {}
    for node in root.iter("div", "section"):
        classes = node.get("class") or ""
        if SPLIT_BODY_CLASS.search(classes) and "comment" not in classes.lower() \
                and len(node.findall("p")) >= 2:
            groups.setdefault((node.tag, classes), []).append(node)
    def text_blocks_after(node: etree._Element) -> float:
        return node.xpath(f"count(following::*[{TEXT_BLOCKS}])")

    for nodes in groups.values():
        first = nodes[0]
        story = first.xpath("ancestor::article[1]")
        joined = []  # decided on the untouched tree, then moved
        for previous, node in zip(nodes, nodes[1:]):
            between = (text_blocks_after(previous) - text_blocks_after(node)
                       - node.xpath(f"count(descendant::*[{TEXT_BLOCKS}])"))
            if between or node.getparent() is previous.getparent() \
                    or node.xpath("ancestor::article[1]") != story:
                break
            joined.append(node)
        for node in joined:
            first.extend(list(node))
            _remove(node)


def find_standfirst(root: etree._Element, description: str | None) -> str | None:
    """The standfirst (dek): the summary line printed under the headline.

    Many templates put it in the page header, outside the container trafilatura picks as
    the body, so it is lost although it is the story's first sentence.  It is recognized
    by its text being the page's own description (``og:description``) and by standing
    just after the headline (``h1``), which a site-wide tagline never does.
    """
    wanted = normalize_text(description or "")
    if len(wanted) < STANDFIRST_MIN_CHARS:
        return None
    headlines = root.xpath("//body//h1")
    if not headlines:
        return None
    for node in headlines[0].xpath(f"following::*[position() <= {STANDFIRST_REACH}]"):
        if not isinstance(node.tag, str) or node.tag in ("a", "meta", "img"):
            continue
        text = _flat(node)
        if normalize_text(text) == wanted:
            return text
    return None


def _with_standfirst(text: str, standfirst: str | None, yardstick: str) -> str:
    """Put the standfirst back first when favor_precision dropped it but the default
    extraction (``yardstick``) had it as part of the article.

    Only then: whether a standfirst is body text is a convention that differs by reference
    set (big9's and fundus' references have it, the article-extraction-benchmark's do not:
    always adding it costs about 0.007 precision there), and the page's description
    column holds it in any case.
    """
    if not standfirst:
        return text
    wanted = normalize_text(standfirst)
    if wanted in normalize_text(text) or wanted not in normalize_text(yardstick):
        return text
    return f"{standfirst}\n{text}"


def _body_text(target: lxml.html.HtmlElement, url: str | None,
               precise_first: bool = True) -> tuple[str, str]:
    """trafilatura's body, preferring its favor_precision output unless that lost the article.

    The default output is only needed to judge the precise one, and a ``fast`` run (no
    fallback extractors) is a good enough yardstick in most cases, so the full default
    extraction runs only when the precise output looks short against the fast one.
    Returns the body and the yardstick it was judged against.
    """
    def run(tree: lxml.html.HtmlElement, **options: Any) -> str:
        doc = trafilatura.bare_extraction(tree, url=url, with_metadata=False,
                                          **TRAFILATURA_OPTIONS, **options)
        return (doc.text if doc is not None else "") or ""

    if not precise_first:
        text = run(target)
        return text, text
    pristine = copy.deepcopy(target)  # trafilatura prunes the tree it is given
    precise = run(target, favor_precision=True, fast=True)
    fast = run(copy.deepcopy(pristine), fast=True)
    if len(precise) >= PRECISION_KEEP_RATIO * len(fast):
        return precise, fast
    default = run(pristine)
    return (precise if len(precise) >= PRECISION_KEEP_RATIO * len(default) else default), default


def page_tree(raw: bytes | str, encoding: str | None = None) -> lxml.html.HtmlElement:
    """The page as the extractor sees it (decoded, parsed, invisible parts removed).

    Template learning reads pages through this too, so what it counts is what extraction
    later removes."""
    html = decode_html(raw, encoding)[0] if isinstance(raw, bytes) else raw
    tree = parse_html(html)
    strip_invisible(tree)
    return tree


def extract(raw: bytes | str, url: str | None = None, site: Site | None = None, *,
            encoding: str | None = None, template: Any = None,
            prune_xpaths: list[str] | None = None, language: bool = True) -> Article:
    """Extract the article from one page.

    ``raw`` is the page as fetched (bytes are decoded here, see :func:`decode_html`);
    ``encoding`` is the charset the server declared, if any.  ``template`` is a site's
    learned boilerplate (:class:`pipelines.template.TemplateRules` or ``Template``);
    ``prune_xpaths`` removes configured boilerplate before trafilatura runs.  ``language``
    off skips language detection (benchmarks time extraction alone with it).  Raises
    :class:`NoArticle` when the page holds no article body.
    """
    if isinstance(raw, bytes):
        html, used = decode_html(raw, encoding)
    else:
        html, used = raw, encoding
    html = html.replace("\x00", "")
    if not html.strip():
        raise NoArticle("empty", "the page is empty")
    try:
        tree = parse_html(html)
    except NoArticle:
        raise
    except (etree.ParserError, ValueError) as exc:
        raise NoArticle("unparsable", f"the page could not be parsed as HTML: {exc}") from exc

    meta = page_metadata(tree, url)  # reads, never changes it
    visible = _text_of(tree.xpath(site.byline_xpath)) if site is not None and site.byline_xpath \
        else None

    def guess() -> str | None:
        # htmldate's guess from structure only: never a date read out of the free text.
        return find_date(structure_only(tree), extensive_search=False, original_date=True,
                         url=url, min_date="1800-01-01", max_date="2200-12-31")

    dates = find_dates(tree, url, visible, guess, site.timezone if site else "UTC")
    strip_invisible(tree)
    declared = declared_language(tree)
    titles = page_titles(tree)
    title = None
    if site is not None and site.title_xpath:
        title = _text_of(tree.xpath(site.title_xpath)) or None
    if title:
        titles.add(normalize_text(title))
    authors = _authors(tree, site, meta.author)

    captions: list[str] = []
    extras: dict[str, Any] = {}
    xpaths = list(prune_xpaths or [])
    if site is not None:
        for xpath in site.caption_xpaths:
            for node in tree.xpath(xpath):
                text = " ".join(node.text_content().split())
                if text:
                    captions.append(text)
                _remove(node)
        xpaths.extend(site.drop_xpaths)
    for xpath in xpaths:
        for node in tree.xpath(xpath):
            _remove(node)
    if template is not None:
        templates.apply(tree, template)

    target = tree
    if site is not None and site.body_xpath:
        bodies = tree.xpath(site.body_xpath)
        if bodies:
            target = lxml.html.document_fromstring("<html><body></body></html>")
            target.body.extend(copy.deepcopy(b) for b in bodies)
    standfirst = find_standfirst(tree, meta.description)
    join_split_bodies(target)
    drop_link_lines(target)
    # A learned template already took the site's boilerplate out; favor_precision would
    # then mostly cut article text (big9: recall 0.954 -> 0.960 without it).
    learned = template is not None and bool(getattr(template, "blocks", None) or
                                            getattr(template, "n_pages", 0))
    text, yardstick = _body_text(target, url, precise_first=not learned)
    text = drop_leaders(_drop_leading_title(text, titles))
    text = _with_standfirst(text, standfirst, yardstick)
    text = _apply_line_rules(text, site, captions, extras)
    text = drop_trailers(text)
    if template is not None:
        text = templates.clean_text(text, template)
    if not has_letters(text):
        raise NoArticle("no_body", "no article body found on the page")
    check_body(text)

    return Article(
        url=choose_url(url, meta.url, site),
        page_url=url,
        title=title or meta.title,
        authors=authors,
        published=dates.published,
        modified=dates.modified,
        date_conflict=dates.conflict,
        rejected_dates=dates.rejected,
        description=meta.description,
        text=text,
        captions=captions,
        extras=extras,
        declared_language=declared,
        encoding=used,
    ).with_text(text, language)


def check_body(text: str) -> None:
    """Raise :class:`NoArticle` for a body that is mojibake, binary garbage or one repeated line."""
    if replacement_share(text) > MAX_REPLACEMENT_SHARE:
        raise NoArticle("bad_encoding", "the page's text does not decode cleanly (mojibake)")
    garbage = sum(n for ch, n in Counter(text).items()  # per distinct character: fast
                  if ch not in "\n\t\r" and unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs"))
    if garbage > MAX_GARBAGE_SHARE * len(text):
        raise NoArticle("garbage", "the page's text is mostly control or unassigned characters")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) >= 5 and (sum(map(len, set(lines)))
                            < MIN_DISTINCT_TEXT_SHARE * sum(map(len, lines))):
        raise NoArticle("repetitive", "the page's text is one paragraph repeated")


def extract_many(pages: Iterable[tuple[bytes | str, str | None]], site: Site | None = None,
                 template: templates.Template | None = None,
                 extract_page: Callable[..., Article] | None = None,
                 ) -> tuple[list[Article | NoArticle], templates.Template]:
    """Extract a set of pages of one site, learning the site's template from all of them.

    Learns the recurring blocks of every page first, extracts each page without them, then
    learns the lines that recur across the bodies and drops those.  Returns one Article
    (or the NoArticle explaining why not) per page, in order, and the updated template.
    This is ``newscrawl extract --same-site`` and the learning a crawl does as it goes.
    ``extract_page`` (default :func:`extract`) lets a caller run each page under a deadline
    (:class:`pipelines.worker.ExtractWorkers`); it raises NoArticle for a page it gives up on.
    """
    extract_page = extract_page or extract
    pages = list(pages)
    trees = []
    for raw, _url in pages:
        try:
            trees.append(page_tree(raw))
        except (etree.ParserError, ValueError):
            continue
    template = templates.learn(trees, template)
    rules = template.rules()
    results: list[Article | NoArticle] = []
    for raw, url in pages:
        try:
            results.append(extract_page(raw, url, site, template=rules))
        except NoArticle as exc:
            results.append(exc)
    template = templates.learn_lines([r.text for r in results if isinstance(r, Article)],
                                     template)
    rules = template.rules()
    final: list[Article | NoArticle] = []
    for result in results:
        if isinstance(result, Article):
            text = templates.clean_text(result.text, rules)
            if not has_letters(text):
                result = NoArticle("no_body", "no article body left once the site template is removed")
            elif text != result.text:
                result = result.with_text(text)
        final.append(result)
    return final, template
