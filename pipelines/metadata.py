"""Page metadata: title, authors, canonical URL, description, declared language."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from trafilatura.metadata import (examine_meta, extract_author, extract_meta_json, extract_title,
                                  extract_url)
from trafilatura.settings import Document

from pipelines.dedup import canonical_url, normalize_text
from pipelines.html import _text_of
from pipelines.language import normalize_code
from pipelines.profile import SiteProfile

TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ")


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


def _authors(tree: lxml.html.HtmlElement, site: SiteProfile | None, meta_author: str | None) -> list[str]:
    if site is not None and site.byline_xpath and site.author_pattern:
        byline = _text_of(tree.xpath(site.byline_xpath))
        m = re.search(site.author_pattern, byline)
        if m:
            return [a.strip() for a in re.split(r"\s*(?:,|;|\band\b)\s*", m.group(1)) if a.strip()]
    if meta_author:
        return [a.strip() for a in meta_author.split(";") if a.strip()]
    return []


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


def choose_url(page_url: str | None, canonical: str | None, site: SiteProfile | None) -> str | None:
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
