"""How stored values read on a page: dates with their zone, bylines, bodies as paragraphs.

The database keeps ISO strings and JSON arrays (right for machines); a reader wants
"23 June 2025, 14:05 UTC+08:00" and "By Ma Miaomiao and Li Xiaoyang".
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any


def format_date(value: str | None, zone: str | None = None) -> str:
    """``2025-06-23`` -> ``23 June 2025``; a date-time keeps its time and zone
    (``2025-06-23T14:05:00+08:00`` -> ``23 June 2025, 14:05 UTC+08:00``); a time without a
    zone says so; anything unparseable is shown as stored.

    ``zone`` is the site's time zone (its profile's): a page that gives only a day gives
    it in the site's local time, so the reader is told which (``23 June 2025
    (Asia/Shanghai)``); UTC, every profile's default, is not worth saying."""
    if not value:
        return ""
    try:
        if len(value) == 10:
            day = f"{date.fromisoformat(value):%-d %B %Y}"
            return f"{day} ({zone})" if zone and zone != "UTC" else day
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return value
    text = f"{moment:%-d %B %Y, %H:%M}"
    offset = moment.utcoffset()
    if offset is None:
        return f"{text} (no time zone given)"
    if not offset:
        return f"{text} UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"{text} UTC{sign}{hours:02d}:{mins:02d}"


def json_list(value: str | None) -> list[str]:
    """A JSON array column (authors, captions) as a list of strings; bad JSON gives []."""
    if not value:
        return []
    try:
        found = json.loads(value)
    except ValueError:
        return []
    return [str(v) for v in found if v] if isinstance(found, list) else []


def byline(authors: str | None) -> str:
    """``["A", "B", "C"]`` -> ``By A, B and C``; no authors -> ``""``."""
    names = json_list(authors)
    if not names:
        return ""
    if len(names) == 1:
        return f"By {names[0]}"
    return f"By {', '.join(names[:-1])} and {names[-1]}"


def paragraphs(text: str | None) -> list[str]:
    """The body's paragraphs: one per stored line, blank lines dropped."""
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def standfirst(description: str | None, paragraphs: list[str]) -> str:
    """The description to print under the headline, or ``""`` when the body already opens
    with it (sites often cut the first paragraph into the meta description, with "...")."""
    text = (description or "").strip()
    lead = text.rstrip(".… ").strip()
    if not lead or (paragraphs and paragraphs[0].startswith(lead[:80])):
        return ""
    return text


def length_label(chars: Any) -> str:
    """``5321`` -> ``5.3k chars``: short enough for a list column."""
    try:
        n = int(chars)
    except (TypeError, ValueError):
        return ""
    return f"{n / 1000:.1f}k chars" if n >= 1000 else f"{n} chars"
