"""Body rules: from the page tree to the article's text (trafilatura, then generic cleanup).

Every rule here is true of news pages in general; a site's own rules come from its profile
(``_apply_line_rules``) and its learned template (:mod:`pipelines.template`).
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from typing import Any

import lxml.html
import trafilatura
from lxml import etree

from pipelines.article import NoArticle
from pipelines.decode import MAX_REPLACEMENT_SHARE, replacement_share
from pipelines.dedup import normalize_text
from pipelines.html import _flat, _remove
from pipelines.profile import SiteProfile
from pipelines.rulepacks import LineRules

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

# Class names of the containers an article body is split across (see join_split_bodies).
SPLIT_BODY_CLASS = re.compile(r"body|content|text", re.I)

TEXT_BLOCKS = "self::p or self::h1 or self::h2 or self::h3 or self::h4"

# A standfirst is a sentence, not a tagline, and sits within a few elements of the headline.
STANDFIRST_MIN_CHARS = 40

STANDFIRST_REACH = 25

# Lines that close a news story without being part of it, in any site's template and any
# language; only looked for among a body's last lines, so the same words inside the story
# stay.  Wording of one language or publisher ("With Post wires", "Il vous reste 57% de cet
# article à lire") lives in the rule packs (pipelines/rules/*.toml, pipelines.rulepacks).
TRAILER = re.compile(
    # a label whose list of links was removed ("ALSO:", "MEHR:")
    r"[A-Z][\w ]{0,20}:$"
    # a line of nothing but an e-mail address or a handle (the author's contact)
    r"|[\w.+-]+@[\w-]+\.[\w.]+$|@\w{2,30}$"
    # a bracketed source credit ("[Reuters]"), a separator line ("___", "* * *")
    r"|\[[^\]]{1,40}\]$|[\W_]+$")

# List markers in front of a trailer or leader line.
BULLETS = "-–—•* "

# How many lines from the end a trailer can reach (a newsroom's contact box is 7).
TRAILER_LINES = 8

LEADER_LINES = 3

# A body whose distinct lines hold less than this share of its characters is a paragraph or
# two repeated.  Counted in characters, not lines: a meal plan or a fixture list repeats many
# short lines legitimately (one such page in the article-extraction-benchmark: 0.42).
MIN_DISTINCT_TEXT_SHARE = 0.2

# A body with more than this share of control or unassigned characters is binary garbage.
MAX_GARBAGE_SHARE = 0.02


# Photo captions in any site's markup: <figcaption>, and the class names CMSs give a
# caption (WordPress' wp-caption-text, "image-caption", "caption", "bildunterschrift"...).
# A caption is short; a longer element with such a class is a layout wrapper that happens
# to be named after one.
CAPTION_XPATH = ("//figcaption | //*[not(self::body or self::article or self::main)]"
                 "[re:test(@class, '(^|[\\s_-])(wp-caption-text|(image|img|photo|media|picture)?"
                 "-?caption|bildunterschrift|legende)([\\s_-]|$)', 'i')]")

MAX_CAPTION_CHARS = 600

_EXSLT = {"re": "http://exslt.org/regular-expressions"}


def caption_nodes(root: etree._Element) -> list[tuple[etree._Element, str]]:
    """The page's photo captions as (node, text), outermost only, in document order."""
    found = []
    taken: set[etree._Element] = set()
    for node in root.xpath(CAPTION_XPATH, namespaces=_EXSLT):
        if any(a in taken or a.tag == "a" for a in node.iterancestors()):
            continue  # inside another caption, or a teaser's picture (another story's)
        text = _flat(node)
        if len(text) > MAX_CAPTION_CHARS or node.find(".//p") is not None and len(node.findall(".//p")) > 2:
            continue
        taken.add(node)
        found.append((node, text))
    return found


def has_letters(text: str, enough: int = MIN_BODY_LETTERS) -> bool:
    """Whether ``text`` holds at least ``enough`` letters (stops counting once it does)."""
    count = 0
    for ch in text:
        if ch.isalpha():
            count += 1
            if count >= enough:
                return True
    return False


def _apply_line_rules(text: str, site: SiteProfile | None, captions: list[str],
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


def _drop_leading_title(text: str, titles: set[str]) -> str:
    """The headline is metadata, not body: drop it when the body starts with it."""
    lines = text.splitlines()
    while lines and (not lines[0].strip() or normalize_text(lines[0]) in titles):
        lines.pop(0)
    return "\n".join(lines)


def drop_trailers(text: str, rules: LineRules | None = None) -> str:
    """Drop trailer lines at the end: the generic ones ("ALSO:", a lone handle) and those of
    the page's rule packs ("This article originally appeared on ...", "Read more:")."""
    pack = rules.trailer if rules is not None else None
    lines = text.splitlines()
    cut = len(lines)
    for i in range(len(lines) - 1, max(-1, len(lines) - 1 - TRAILER_LINES), -1):
        line = lines[i].strip().lstrip(BULLETS)
        if not line or TRAILER.match(line) or (pack is not None and pack.match(line)):
            cut = i
        else:
            break
    return "\n".join(lines[:cut])


def drop_leaders(text: str, rules: LineRules | None = None) -> str:
    """Drop the page's rule packs' leader lines (a byline, a comment counter, a badge) among
    the first lines of a body.  There are no generic ones: a byline's wording is a language's."""
    pack = rules.leader if rules is not None else None
    if pack is None:
        return text
    lines = text.splitlines()
    start = 0
    while start < min(len(lines), LEADER_LINES) and (
            not lines[start].strip()
            or pack.fullmatch(lines[start].strip().lstrip(BULLETS).rstrip("."))):
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


# A story's last section: trafilatura's favor_precision deletes a short last block that holds
# a link (under 200 characters, one child is enough), and then the heading left trailing, so
# a closing "Who runs the OBR?" and its two paragraphs are lost where the default keeps them.
# What the default has after the precise output's last line is taken back when it is such a
# section: one heading (a few words, no closing stop) and then only sentences.
SECTION_MAX_LINES = 6
HEADING_MAX_WORDS = 12
SENTENCE_MIN_WORDS = 6
_SENTENCE_END = re.compile(r"[.!?][\"'”’»)]*$")


def _is_heading(line: str) -> bool:
    words = line.split()
    return 0 < len(words) <= HEADING_MAX_WORDS and line[0].isupper() \
        and not re.search(r"[.,;:]$", line)


def _is_sentence(line: str) -> bool:
    return len(line.split()) >= SENTENCE_MIN_WORDS and bool(_SENTENCE_END.search(line))


def last_section(precise: str, default: str) -> str:
    """``precise`` with the story's end put back where favor_precision cut it: its last
    paragraph when the precise output stops partway through it (the rest of the paragraph
    follows a ``<div>`` or ``<br>`` inside it), and the lines of ``default`` after that
    paragraph when they are a last section, a heading followed by sentences (a related box
    or a footer is links and labels, not sentences)."""
    lines = precise.rstrip("\n").splitlines()
    fuller = [line.strip() for line in default.splitlines() if line.strip()]
    last = lines[-1].strip() if lines else ""
    if not last or not fuller:
        return precise
    ends = [i for i, line in enumerate(fuller) if line == last]
    if not ends:  # cut short: the default's line that starts with it, when a sentence
        ends = [i for i, line in enumerate(fuller)
                if len(line) > len(last) and line.startswith(last) and _is_sentence(line)
                and line not in lines]
        if not ends:
            return precise
        lines[-1] = fuller[ends[-1]]
    tail = fuller[ends[-1] + 1:]
    if 2 <= len(tail) <= SECTION_MAX_LINES and _is_heading(tail[0]) \
            and all(_is_sentence(line) for line in tail[1:]) \
            and not any(line in lines for line in tail):
        lines.extend(tail)
    return "\n".join(lines)


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
        return last_section(precise, fast), fast
    default = run(pristine)
    if len(precise) >= PRECISION_KEEP_RATIO * len(default):
        return last_section(precise, default), default
    return default, default


def check_body(text: str) -> None:
    """Raise :class:`NoArticle` for a body that is mojibake, binary garbage or one repeated line."""
    if replacement_share(text) > MAX_REPLACEMENT_SHARE:
        raise NoArticle("bad_encoding", "the page's text does not decode cleanly (mojibake)")
    garbage = sum(n for ch, n in Counter(text).items()  # per distinct character: fast
                  if ch not in "\n\t\r" and unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs"))
    if garbage > MAX_GARBAGE_SHARE * len(text):
        raise NoArticle("garbage", "the page's text is mostly control or unassigned characters")
    check_repetition(text.splitlines())


def check_repetition(paragraphs: Iterable[str]) -> None:
    """Raise :class:`NoArticle` when a few paragraphs make up most of the text, repeated.

    Run on the page's own paragraphs as well as on the body: trafilatura keeps one copy of
    a paragraph repeated word for word, so the body alone shows no repetition."""
    lines = [" ".join(line.split()) for line in paragraphs]
    lines = [line for line in lines if line]
    if len(lines) >= 5 and (sum(map(len, set(lines)))
                            < MIN_DISTINCT_TEXT_SHARE * sum(map(len, lines))):
        raise NoArticle("repetitive", "the page's text is one paragraph repeated")
