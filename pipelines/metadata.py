"""Page metadata: title, authors, canonical URL, description, declared language.

The page usually states its metadata several times: meta tags (og:title, author), JSON-LD
(``headline``, ``author``, ``publisher``) and the visible page (``h1``, the byline).  Each
source has its own habit (a site name after the og:title, the publisher as the meta author),
so they are read together: a title loses a site-name suffix or a kicker prefix when another
source confirms the clean one, authors are people before organizations.
"""

from __future__ import annotations

import html as html_lib
import itertools
import re
from typing import Any
from urllib.parse import urlsplit

import lxml.html
from lxml import etree
from trafilatura.metadata import (examine_meta, extract_author, extract_meta_json, extract_title,
                                  extract_url)
from trafilatura.settings import Document

from pipelines.dates import DATELINE_CHARS, DOTTED_DATE, TEXT_DATE, header_texts, json_ld_roots
from pipelines.dedup import canonical_url, normalize_text
from pipelines.html import _text_of
from pipelines.language import normalize_code
from pipelines.profile import SiteProfile

TITLE_SEPARATORS = (" | ", " - ", " – ", " — ", " :: ", " · ")

# Separators between the headline and a site name or section that pages add to a title.
AFFIX_SEPARATORS = TITLE_SEPARATORS + (" / ", " » ", " « ")

# JSON-LD types of the object that describes the story itself (schema.org's Article family).
ARTICLE_TYPE = re.compile(r"Article$|^(?:BlogPosting|LiveBlogPosting|Report|Review)$")

ORGANIZATION_TYPE = re.compile(r"Organization$|^(?:Corporation|NGO|WebSite|Brand)$")

# Words that join two names in one author string ("Anna Berg og Ole Dahl"), in the languages
# news is written in; a name itself never holds them as a lowercase word.
NAME_JOINERS = re.compile(r"\s+(?:and|und|og|och|et|y|e|en|ja|és|&)\s+|\s*[;|]\s*")

# Initials or a role in brackets after a name ("Anna Berg (abe)").
PAREN = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*$")

# An author part longer than this many words is a description ("professor of ..."), not a name.
MAX_NAME_WORDS = 5


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


def _clean(value: Any) -> str:
    return " ".join(html_lib.unescape(value).split()) if isinstance(value, str) else ""


def _compact(text: str) -> str:
    """A name as compared: case folded, without spaces, dots or dashes ("NDR.de" = "ndr de")."""
    return re.sub(r"\W+", "", text.casefold())


class JsonLd:
    """The page's JSON-LD, parsed once: all objects (``@graph`` flattened), by ``@id``, and
    the one that describes the story (the first of schema.org's Article types)."""

    def __init__(self, tree: lxml.html.HtmlElement) -> None:
        self.objects: list[dict[str, Any]] = []
        self.roots = json_ld_roots(tree)  # the scripts as parsed (dates read them too)
        for data in self.roots:
            stack: list[Any] = [data]
            while stack:
                item = stack.pop(0)
                if isinstance(item, list):
                    stack[:0] = item
                elif isinstance(item, dict):
                    self.objects.append(item)
                    if isinstance(item.get("@graph"), list):
                        stack[:0] = item["@graph"]
        self.by_id = {o["@id"]: o for o in self.objects if isinstance(o.get("@id"), str)}
        self.article = next((o for o in self.objects if any(
            ARTICLE_TYPE.search(t) for t in self.types(o))), None)

    @staticmethod
    def types(obj: dict[str, Any]) -> list[str]:
        value = obj.get("@type")
        return [value] if isinstance(value, str) else [t for t in value or [] if isinstance(t, str)]

    def resolve(self, value: Any) -> Any:
        if isinstance(value, dict) and set(value) <= {"@id", "@type"} and value.get("@id") in self.by_id:
            return self.by_id[value["@id"]]
        return value

    def headline(self) -> str | None:
        return _clean(self.article.get("headline")) or None if self.article else None

    def authors(self) -> tuple[list[str], list[str]]:
        """The story's authors as (people, organizations)."""
        people: list[str] = []
        organizations: list[str] = []
        # The story's own object; else the page's (a WebPage whose author is the story's).
        owners = [self.article] if self.article else []
        owners += [o for o in self.objects if "WebPage" in self.types(o)]
        owner = next((o for o in owners if o.get("author")), None)
        if owner is None:
            return people, organizations
        found = owner.get("author")
        for item in found if isinstance(found, list) else [found]:
            item = self.resolve(item)
            if isinstance(item, str):
                people.append(_clean(item))
            elif isinstance(item, dict):
                name = _clean(item.get("name"))
                if name:
                    is_org = any(ORGANIZATION_TYPE.search(t) for t in self.types(item))
                    (organizations if is_org else people).append(name)
        return [p for p in people if p], organizations

    def publishers(self) -> list[str]:
        found = []
        for obj in ([self.article] if self.article else []) + self.objects:
            publisher = self.resolve(obj.get("publisher"))
            if isinstance(publisher, dict) and _clean(publisher.get("name")):
                found.append(_clean(publisher.get("name")))
        return found


def publisher_names(tree: lxml.html.HtmlElement, ld: JsonLd, url: str | None) -> set[str]:
    """Compact names the page gives its publisher: og:site_name, JSON-LD publisher, the host."""
    names = {_compact(_clean(v)) for v in tree.xpath('//meta[@property="og:site_name"]/@content')}
    names |= {_compact(n) for n in ld.publishers()}
    host = (urlsplit(url).hostname or "") if url else ""
    if host:
        host = host.removeprefix("www.")
        names |= {_compact(host), _compact(host.split(".")[0])}
    return {n for n in names if len(n) >= 2}


def _is_publisher(name: str, publishers: set[str]) -> bool:
    key = _compact(name)
    first = _compact(name.split()[0]) if name.split() else ""
    return key in publishers or first in publishers or any(
        len(p) >= 6 and key.startswith(p) for p in publishers)


def _split_names(values: list[str], label: re.Pattern[str] | None = None) -> list[str]:
    out = []
    for value in values:
        for part in NAME_JOINERS.split(value):
            for name in part.split(","):
                name = PAREN.sub("", name).strip(" .-–—/").strip()
                if label is not None:
                    name = label.sub("", name, count=1).strip(" :")
                if name and len(name.split()) <= MAX_NAME_WORDS and not name.startswith("http"):
                    out.append(name)
    return out


def _people(values: list[str], publishers: set[str],
            label: re.Pattern[str] | None = None) -> list[str]:
    """Names from author strings: split, a language's label ("By", "Von") taken off,
    publishers left out, each name once."""
    seen: set[str] = set()
    out = []
    for name in _split_names(values, label):
        key = _compact(name)
        if key and key not in seen and not _is_publisher(name, publishers):
            seen.add(key)
            out.append(name)
    return out


# A class naming the byline itself ("byline", "author-name", "article__author"), not a box
# about authors ("author-info", "comment-author-link").
BYLINE_CLASS = re.compile(r"(?:^|[-_])(?:author|byline)(?:[-_]?name)?$")

# A byline is a line; a longer text with such a class is a bio or a box.
MAX_BYLINE_CHARS = 80


def visible_byline(tree: lxml.html.HtmlElement) -> list[str]:
    """The texts of the page's byline elements (``rel=author``, ``itemprop=author``, a class
    naming the byline), outside comments, asides and footers, in page order."""
    return [text for _node, text in _byline_nodes(tree)]


def story_byline_group(tree: lxml.html.HtmlElement) -> list[str]:
    """The texts of the story's byline: its first byline element and the byline elements
    beside it (one per reporter, in one container: "<div class=bylines><div class=byline>
    Anna Berg</div><div class=byline>Ole Dahl</div></div>")."""
    nodes = _byline_nodes(tree)
    if not nodes:
        return []
    parent = nodes[0][0].getparent()
    return [text for node, text in nodes if node is nodes[0][0] or node.getparent() is parent]


def _co_bylines(tree: lxml.html.HtmlElement) -> list[str]:
    """The story's byline group when it has one element per reporter (two or more); []
    for a single byline line, whose commas may hold a role ("By Jon King, News Reporter")."""
    group = story_byline_group(tree)
    return group if len(group) >= 2 else []


def _byline_nodes(tree: lxml.html.HtmlElement) -> list[tuple[Any, str]]:
    found = []
    # Within the story's <article> when the headline sits in one (teasers around it have
    # bylines of their own).
    h1 = next(tree.iter("h1"), None)
    story = next(h1.iterancestors("article"), None) if h1 is not None else None
    root, scope = (story, ".//*") if story is not None else (tree, "//body//*")
    for node in root.xpath(f"{scope}[@rel='author' or @itemprop='author' or contains(@class, 'author')"
                           " or contains(@class, 'byline')][not(ancestor::aside or ancestor::footer"
                           " or ancestor::*[contains(@class, 'comment')])]"):
        if not (node.get("rel") == "author" or node.get("itemprop") == "author"
                or any(BYLINE_CLASS.search(c) for c in (node.get("class") or "").split())):
            continue
        text = " ".join(node.text_content().split())
        if text and len(text) <= MAX_BYLINE_CHARS:
            found.append((node, text))
    return found


def _name_like(name: str) -> bool:
    """Whether a part of a visible byline reads as a person's name: no digits (a time, a
    date, a duration), no label or path left ("Quelle: dpa", "ORF.at/Agenturen"), and, in a
    script with capitals, a capital first (not initials such as "red", "amw")."""
    if any(ch.isdigit() for ch in name) or ":" in name or "/" in name:
        return False
    return not (name[0].isalpha() and name[0].islower())


# A person's name as a byline line writes it: two to four capitalized words ("Anna Berg",
# "MTHOBISI SITHOLE", "Jean-Luc de Vries"), letters only.
PERSON = re.compile(r"[^\W\d_][\w'’.-]*(?: (?:[a-z]{1,3} )?[^\W\d_][\w'’.-]*){1,3}")

# What separates the names of a byline line ("Anna Berg / Ole Dahl", "Anna Berg, Ole Dahl").
BYLINE_SEPARATORS = re.compile(r"\s*(?:/|,|&|\band\b|\bund\b)\s*")


def _person(name: str) -> bool:
    """Whether ``name`` reads as one person's name: 2-4 words, each starting with a capital
    (or a caseless script's letter), no digits."""
    return bool(PERSON.fullmatch(name)) and all(
        not w[0].islower() for w in name.split() if len(w) > 3)


def story_byline(header: list[Any]) -> list[str]:
    """The byline the story's text opens with: its first short paragraph, wholly in bold,
    holding only names ("<p><strong>Anna Berg/Ole Dahl</strong></p>").  Small newsrooms type
    the reporter's name there while the CMS credits the account that posted the story (the
    site itself, "admin"), so this line says who wrote it.  Read among the header's text
    nodes (:func:`pipelines.dates.header_texts`), before the story's second long line (a
    standfirst may come first)."""
    long_lines = 0
    for text in header:
        line = " ".join(text.split())
        if len(line) > DATELINE_CHARS:
            long_lines += 1
            if long_lines == 2:
                break
            continue
        bold = text.getparent()  # of a tail text, the element it follows: not inside it
        if bold is None or text.is_tail or bold.tag not in ("strong", "b"):
            continue
        block = next(bold.iterancestors("p", "div"), None)
        if block is None or " ".join(block.text_content().split()) != line:
            continue
        names = [n for n in BYLINE_SEPARATORS.split(line.strip(" .")) if n]
        return names if names and all(_person(n) for n in names) else []
    return []


def header_byline(header: list[Any], label: re.Pattern[str] | None) -> list[str]:
    """A byline in the story's header that no markup names: a line opening with the
    language's author label ("By Jane Roe, in News", "Von:" then the names in links), or a
    name set before the dateline ("Anna Berg | 05.04.2025").  Read among the header's text
    nodes, before the story's second long line (a standfirst may come first)."""
    texts = [" ".join(t.split()) for t in header]
    long_lines = 0
    for i, line in enumerate(texts):
        if len(line) > DATELINE_CHARS:
            long_lines += 1
            if long_lines == 2:
                break
            continue
        m = label.match(line + " ") if label is not None else None
        if m:
            # The names follow the label in its own text ("By TPN, in News"), or in the next
            # texts, one a link, joined by separators ("Von:", "Bill MCCARTHY", ",", "Marisha
            # GOLDHAMER"); they end where anything else begins (a role, a section, a date).
            names: list[str] = []
            wanted = True
            for part in [line[m.end():]] + texts[i + 1:i + 8]:
                parts = [p.strip() for p in BYLINE_SEPARATORS.split(part) if p.strip()]
                if not parts:
                    wanted = True  # a separator between two names
                    continue
                if not wanted:
                    break
                good = list(itertools.takewhile(
                    lambda p: _name_like(p) and len(p.split()) <= MAX_NAME_WORDS, parts))
                names += good
                if len(good) < len(parts):
                    break
                wanted = bool(BYLINE_SEPARATORS.fullmatch(part[-2:].strip() or " "))
            if names:
                return names
            continue
        name = line.rstrip(" |·").strip()
        if (line.endswith(("|", "·")) and _person(name) and i + 1 < len(texts)
                and (TEXT_DATE.search(texts[i + 1]) or DOTTED_DATE.search(texts[i + 1]))):
            return [name]
    return []


def _authors(tree: lxml.html.HtmlElement, site: SiteProfile | None, meta_author: str | None,
             ld: JsonLd | None = None, url: str | None = None,
             label: re.Pattern[str] | None = None) -> list[str]:
    """The story's authors: the site profile's byline, the story's own opening byline line,
    then JSON-LD's people, the meta tags' author, the visible byline (by markup, then by its
    label or its place before the dateline); publisher and organization names only when the
    page names no person (the reference sets and readers alike want the reporter, not the
    newspaper, when the page says who wrote it)."""
    if site is not None and site.byline_xpath and site.author_pattern:
        byline = _text_of(tree.xpath(site.byline_xpath))
        m = re.search(site.author_pattern, byline)
        if m:
            return [a.strip() for a in re.split(r"\s*(?:,|;|\band\b)\s*", m.group(1)) if a.strip()]
    ld = ld if ld is not None else JsonLd(tree)
    publishers = publisher_names(tree, ld, url)
    people, organizations = ld.authors()
    raw = [_clean(v) for v in tree.xpath("//meta[@name='author']/@content") if _clean(v)]
    # "hessenschau.de, Frankfurt, Germany": the publisher with its address, not three names.
    address = bool(raw) and "," in raw[0] and _is_publisher(raw[0].split(",")[0].strip(), publishers)
    if address:
        meta_author = None
    header = header_texts(tree)
    found = _people(story_byline(header), publishers)
    if found:
        return found
    found = _people(people, publishers, label)
    if found:
        # The story's byline names the JSON-LD's reporters and more (a CMS that lists the
        # first reporter only): the byline's names.
        keys = {_compact(n) for n in found}
        visible = [n for n in _people(_co_bylines(tree), publishers, label) if _name_like(n)]
        if keys < {_compact(n) for n in visible}:
            found = visible
        # An agency the story's JSON-LD credits beside its reporters ("Paula Steiger", "SDA")
        # is a co-author; the publisher named there is not.
        keys = {_compact(n) for n in found}
        return found + [o for o in _people(organizations, publishers) if _compact(o) not in keys]
    found = _people([meta_author] if meta_author else [], publishers, label)
    if found:
        return found
    # The first byline is the story's (later ones belong to teasers and lists).
    found = [n for n in _people(visible_byline(tree)[:1], publishers, label) if _name_like(n)]
    if found:
        return found
    found = _people(header_byline(header, label), publishers)
    if found:
        return found
    # The JSON-LD author as the page writes it ("nieuwsblad.be", typed as a Person), when it
    # is an organization or the publisher itself: trafilatura's copy of it is respelled.
    named = organizations + [p for p in people if _is_publisher(p, publishers)]
    if named:
        return list(dict.fromkeys(named))
    try:
        byline = extract_author(tree)
    except Exception:  # noqa: BLE001 - trafilatura's byline reader on odd markup
        byline = None
    found = _people([byline] if byline else [], publishers, label)
    if found:
        return found
    # The publisher as the page writes it ("nieuwsblad.be"), not as trafilatura respelled it.
    if address:
        raw = [raw[0].split(",")[0].strip()]
    fallback = raw or ([meta_author] if meta_author else [])
    return list(dict.fromkeys(n.strip() for v in fallback for n in v.split(";") if n.strip()))


def _strip_affix(title: str, clean: list[str], publishers: set[str]) -> str:
    """``title`` without a site-name or date suffix or a kicker prefix: cut at a separator
    when what is left is another source's headline (``h1``, JSON-LD), or when the part cut
    off is the site's name."""
    # A logo's h1 (the site's name) is no headline.
    for candidate in sorted({c for c in clean if c and _compact(c) not in publishers},
                            key=len, reverse=True):
        key = _compact(candidate)
        for sep in AFFIX_SEPARATORS:
            parts = title.split(sep)
            for i in range(1, len(parts)):
                for kept in (sep.join(parts[:i]), sep.join(parts[i:])):
                    if _compact(kept) == key:
                        return kept.strip()
    for sep in AFFIX_SEPARATORS:
        if sep in title:
            head, tail = (part.strip() for part in title.rsplit(sep, 1))
            if _compact(tail) in publishers:
                return head
            head, tail = (part.strip() for part in title.split(sep, 1))
            if _compact(head) in publishers:
                return tail
    return title


def choose_title(tree: lxml.html.HtmlElement, meta_title: str | None, ld: JsonLd,
                 url: str | None = None) -> str | None:
    """The headline: the meta title (og:title first) without the affixes that the ``h1`` or
    JSON-LD ``headline`` show are not part of it; without a meta title, the JSON-LD headline,
    then the ``h1``."""
    h1 = tree.xpath("(//body//h1)[1]")
    heading = " ".join(h1[0].text_content().split()) if h1 else None
    headline = ld.headline()
    og = tree.xpath('//meta[@property="og:title"]/@content')
    meta_title = _clean(og[0]) if og and _clean(og[0]) else meta_title
    publishers = publisher_names(tree, ld, url)
    if headline:
        # The story's declared headline; a social title (og:title) is often a rewrite for
        # sharing, and a site name appended to either is cut off when the h1 shows it.
        return _strip_affix(headline, [heading, _clean(meta_title)], publishers) or headline
    if meta_title:
        return _strip_affix(_clean(meta_title), [headline, heading], publishers) or meta_title
    return heading or None


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
