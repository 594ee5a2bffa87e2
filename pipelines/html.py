"""Text to tree: parse a decoded page once, with the parser-limit guard, and read its links."""

from __future__ import annotations

import copy
import re
from typing import Any

import lxml.html
from lxml import etree

from pipelines.article import NoArticle
from pipelines.decode import decode_html
from pipelines.dedup import SiteLinks, site_links
from pipelines.profile import SiteProfile

INVISIBLE_TAGS = ("script", "style", "noscript", "template", "svg")

XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")

CANONICAL_LINK = re.compile(
    rb"""<link\b(?=[^>]*\brel\s*=\s*["']?canonical)[^>]*\bhref\s*=\s*["']?([^"'\s>]+)""", re.I)

DATE_HINT = re.compile(r"date|time|publish|posted|updated", re.I)


def sniff_canonical(raw: bytes) -> str | None:
    """The ``rel=canonical`` URL from a page's head, cheaply, to pick a site profile."""
    m = CANONICAL_LINK.search(raw[:65536])
    return m.group(1).decode("utf-8", "replace") if m else None


# Every element an HtmlElement, chosen in C: lxml.html's own lookup (FormElement, InputElement
# and the like, which newscrawl never uses) is a Python call each time lxml makes an element
# object, over a million of them per 300 pages in the extraction.
_LOOKUP = etree.ElementDefaultClassLookup(element=lxml.html.HtmlElement,
                                          comment=lxml.html.HtmlComment,
                                          pi=lxml.html.HtmlProcessingInstruction,
                                          entity=lxml.html.HtmlEntity)


def parse_html(text: str, huge: bool = False) -> lxml.html.HtmlElement:
    """Parse decoded HTML; the bytes are re-encoded so ``<meta charset>`` cannot mislead lxml.

    Raises :class:`NoArticle` (``too_deep``) when libxml2 stopped at its nesting limit: what
    it kept is the page's top (the menu), and the article below was silently dropped.
    ``huge`` raises that limit from 256 to 2,048 levels (libxml2's XML_PARSE_HUGE), as
    parsel does: for reading a listing's links, where no body is at stake.
    """
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True,
                                  huge_tree=huge)
    parser.set_element_class_lookup(_LOOKUP)
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


def strip_invisible(root: etree._Element) -> None:
    """Remove scripts, styles and the like: they are never text a reader sees."""
    for node in list(root.iter(*INVISIBLE_TAGS)):
        _remove(node)


def _flat(node: etree._Element) -> str:
    return " ".join("".join(node.itertext()).split())


def page_tree(raw: bytes | str, encoding: str | None = None) -> lxml.html.HtmlElement:
    """The page as the extractor sees it (decoded, parsed, invisible parts removed).

    Template learning reads pages through this too, so what it counts is what extraction
    later removes."""
    html = decode_html(raw, encoding)[0] if isinstance(raw, bytes) else raw
    tree = parse_html(html)
    strip_invisible(tree)
    return tree


def page_links(tree: etree._Element, base: str | None, site: SiteProfile | None = None) -> SiteLinks:
    """The page's ``<a href>`` and ``<link rel=next>`` links on the site's own host, canonical,
    in document order (some sections paginate only through ``rel=next``: a script loads
    "More stories").

    Computed in the extraction worker on the tree it already parsed, so the spider never
    parses an article page only to follow its links, nor canonicalizes them."""
    hrefs = tree.xpath("//a/@href | //link[contains(concat(' ', normalize-space(@rel), ' '),"
                       " ' next ')]/@href")
    return site_links(base or "", (str(h) for h in hrefs), site)


def links_of(raw: bytes, url: str | None, encoding: str | None = None,
             site: SiteProfile | None = None) -> SiteLinks:
    """The links of a listing page, from its bytes (what a worker runs for the spider).

    Raises :class:`NoArticle` (``too_deep``, ``empty``) when the page parses to nothing, so
    the caller counts and logs it instead of finding no links silently."""
    html = decode_html(raw, encoding)[0].replace("\x00", "")
    if not html.strip():
        raise NoArticle("empty", "the page is empty")
    return page_links(parse_html(html, huge=True), url, site)
