"""Publication and modification dates, cross-checked between the URL, the meta tags and the
page's visible date line, so a wrong date is flagged or dropped instead of stored silently."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree

PUBLISHED_XPATHS = (
    "//meta[@property='article:published_time' or @property='og:published_time'"
    " or @name='article:published_time' or @itemprop='datePublished'"
    " or @name='pubdate' or @name='publishdate' or @name='publish-date'"
    " or @name='dc.date.issued' or @name='DC.date.issued' or @name='date']/@content",
    "//time[@itemprop='datePublished']/@datetime",
    "//*[@itemprop='datePublished' and not(self::meta)]/@content",
)
MODIFIED_XPATHS = (
    "//meta[@property='article:modified_time' or @property='og:updated_time'"
    " or @itemprop='dateModified' or @name='lastmod' or @name='last-modified']/@content",
    "//time[@itemprop='dateModified']/@datetime",
)
URL_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[/-]?(0[1-9]|1[0-2])[/-]?(0[1-9]|[12]\d|3[01])(?!\d)")
TEXT_DATE = re.compile(r"(?<!\d)((?:19|20)\d{2})[-/.](0?[1-9]|1[0-2])[-/.](0?[1-9]|[12]\d|3[01])(?!\d)")
# A numeric date with dots, day first (25.04.2024, 25.04.24): the way datelines are written
# wherever dots separate a date's parts (month-first dates use slashes).
DOTTED_DATE = re.compile(r"(?<![\d.])(0?[1-9]|[12]\d|3[01])\.(0?[1-9]|1[0-2])\.((?:19|20)?\d{2})(?!\.?\d)")
# The story's dateline sits in its header, a few text nodes after the headline.
DATELINE_NODES = 40
DATELINE_CHARS = 120
# News on the web starts here; earlier dates on a page are history, phone numbers or junk.
EARLIEST = date(1994, 1, 1)
# Dates more than a day apart (time zones) disagree.
TOLERANCE = timedelta(days=1)


@dataclass
class Dates:
    published: str | None = None
    modified: str | None = None
    conflict: str | None = None
    rejected: list[str] = field(default_factory=list)


def _parse(value: str, tz: ZoneInfo) -> datetime | date | None:
    """An ISO 8601 date or date-time; a naive time is taken to be in the site's time zone."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        m = TEXT_DATE.search(value)
        if not m:
            return None
        try:
            return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return None
    if len(value) <= 10:
        return parsed.date()
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=tz)


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _compact(text: str) -> str:
    return re.sub(r"\W+", "", text.casefold())


def story_heading(tree: etree._Element) -> etree._Element | None:
    """The story's headline element: the first heading that the page's title repeats or that
    repeats it (with a kicker), an h1 before an h2 or h3 (a sticky bar's h3 repeats the
    title above the story); teasers above it have other titles.  Else the first h1."""
    # Paths from the root and lxml's tag iterator, not "//" scans: this runs on every page.
    titles = [key for t in tree.xpath("/html/head/title//text() | /html/head/meta"
                                      "[@property='og:title']/@content")
              if len(key := _compact(t)) >= 12]
    matching = (h for h in tree.iter("h1", "h2", "h3")
                if len(key := _compact(h.text_content())) >= 12
                and any(key in t or t in key for t in titles))
    heading = min(matching, key=lambda h: h.tag != "h1", default=None)
    return heading if heading is not None else next(tree.iter("h1"), None)


def header_texts(tree: etree._Element) -> list[Any]:
    """The first text nodes after the story's headline (its header: dateline, byline,
    standfirst, then the story's first lines), scripts and styles left out; [] without a
    headline.  The nodes are lxml's smart strings (``getparent()`` gives their element)."""
    heading = story_heading(tree)
    if heading is None:
        return []
    return heading.xpath(f"following::text()[normalize-space()][position() <= {DATELINE_NODES}]"
                         "[not(ancestor::script or ancestor::style)]")


def dateline(tree: etree._Element) -> str | None:
    """The date of the story's visible dateline ("Do 25.04.24 | 14:07 Uhr | Von ..."), as
    ``YYYY-MM-DD``: the first short text after the headline that holds an ISO or a dotted
    day-first date.  Only the header is read (a few short text nodes, up to the first line of
    story text), so a date quoted in the story or on a teaser further down is never taken;
    for pages whose meta tags give no date."""
    for text in header_texts(tree):
        if len(text) > DATELINE_CHARS:
            break  # the story's text has begun: a date from here on is not the dateline
        if m := TEXT_DATE.search(text):
            year, month, day = (int(g) for g in m.groups())
        elif m := DOTTED_DATE.search(text):
            day, month, year = (int(g) for g in m.groups())
            year += 2000 if year < 100 else 0
        else:
            continue
        try:
            return date(year, month, day).isoformat()
        except ValueError:  # 31.02.: not a date, and not the dateline either
            continue
    return None


def json_ld_roots(tree: etree._Element) -> list[Any]:
    """The page's JSON-LD scripts, parsed (the broken ones left out)."""
    roots = []
    for script in tree.xpath("//script[@type='application/ld+json']/text()"):
        try:
            roots.append(json.loads(script))
        except ValueError:
            continue
    return roots


def _json_ld(roots: list[Any], key: str) -> list[str]:
    """Every string value of ``key`` anywhere in the parsed JSON-LD."""
    found = []
    for data in roots:
        stack: list[Any] = [data]
        while stack:
            item = stack.pop()
            if isinstance(item, dict):
                if isinstance(item.get(key), str):
                    found.append(item[key])
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return found


def find_dates(tree: etree._Element, url: str | None, visible: str | None = None,
               fallback: str | Callable[[], str | None] | None = None,
               site_timezone: str = "UTC",
               today: date | None = None, story: str | None = None,
               json_ld: list[Any] | None = None) -> Dates:
    """Cross-check the page's dates.  ``tree`` must still hold its scripts (JSON-LD);
    ``visible`` is the site's date line text; ``fallback`` is htmldate's guess, or a function
    that makes it (called only when the meta tags and the date line have no date: it is slow).

    Published: the story's own JSON-LD ``datePublished`` (``story``: the Article object's,
    not a video's or a related story's), then the meta tags (they carry a time and zone),
    then the visible line,
    then the fallback, then the URL.  A date in the future or before the web had news is
    rejected (NULL, listed in ``rejected``).  Sources more than a day apart are a conflict.
    ``json_ld``: the page's :func:`json_ld_roots` when the caller parsed them already.
    """
    tz = ZoneInfo(site_timezone)
    roots = json_ld if json_ld is not None else json_ld_roots(tree)
    today = today or datetime.now(timezone.utc).date()
    result = Dates()

    def sane(values: list[str]) -> list[datetime | date]:
        out = []
        for raw in values:
            parsed = _parse(raw, tz)
            if parsed is None:
                continue
            if not EARLIEST <= _day(parsed) <= today + TOLERANCE:
                result.rejected.append(raw.strip())
                continue
            out.append(parsed)
        return out

    meta = sane([v for x in PUBLISHED_XPATHS for v in tree.xpath(x)]
                + _json_ld(roots, "datePublished"))
    modified = sane([v for x in MODIFIED_XPATHS for v in tree.xpath(x)]
                    + _json_ld(roots, "dateModified"))
    m = URL_DATE.search(url or "")
    from_url = sane(["-".join(m.groups())]) if m else []
    m = TEXT_DATE.search(visible or "")
    from_page = sane(["-".join(m.groups())]) if m else []

    # Prefer the story's own JSON-LD date, then a meta value with a time of day, then any
    # meta date; then the page; then the rest.
    meta.sort(key=lambda v: not isinstance(v, datetime))
    own = sane([story]) if isinstance(story, str) else []
    meta = own + meta
    guess: list[datetime | date] = []
    if not meta and not from_page and fallback:
        value = fallback() if callable(fallback) else fallback
        guess = sane([value]) if value else []
    chosen = (meta or from_page or guess or from_url or [None])[0]
    result.published = chosen.isoformat() if chosen is not None else None
    if modified:
        latest = max(modified, key=_day)
        if chosen is None or _day(latest) >= _day(chosen):
            result.modified = latest.isoformat()

    sources = {"url": from_url, "meta": meta[:1], "page": from_page}
    days = {name: _day(v[0]) for name, v in sources.items() if v}
    if days and max(days.values()) - min(days.values()) > TOLERANCE:
        result.conflict = ", ".join(f"{name} {day.isoformat()}" for name, day in days.items())
    return result
