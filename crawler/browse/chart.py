"""Articles per day by language as a self-contained HTML page: inline SVG, no script, no CDN.

People would rather look at a crawl's shape than read a table of counts, and the page must
work offline and from a file, so it is plain markup built from one SQL query.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date, timedelta
from html import escape
from pathlib import Path
from typing import Callable

from crawler.browse.stories import for_columns

PER_DAY_BY_LANGUAGE = """
select substr(published, 1, 10) as day, coalesce(language, 'undetected') as language,
  count(*) as articles
from articles
where published glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*' and duplicate_of is null
group by day, 2
order by day, 2
"""
# Colour-blind-safe palette (Okabe-Ito); languages past it fall back to grey.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER = "#999999"
WIDTH, HEIGHT, MARGIN = 900, 320, 40
LEFT = 64  # room for the y-axis title and tick labels
MAX_X_TICKS = 8


def per_day_by_language(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
    """``(day, language, articles)`` for every day and language with a dated article
    (each story once: near copies are not counted)."""
    columns = [r[1] for r in conn.execute("pragma table_info(articles)")]
    return [(d, lang, n) for d, lang, n in conn.execute(for_columns(PER_DAY_BY_LANGUAGE, columns))]


def nice_step(peak: int, ticks: int = 5) -> int:
    """A round step (1, 2, 5, 10, 20, 50...) giving about ``ticks`` gridlines up to ``peak``."""
    raw = max(peak / ticks, 1)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    return next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)


def chart_svg(rows: list[tuple[str, str, int]],
              link: Callable[[str, str], str] | None = None) -> str:
    """A stacked bar per calendar day (empty days included, so gaps show), one colour a language.

    Both axes are labelled (publication date; articles per day, with gridlines).  Every bar
    segment carries ``data-day``, ``data-language`` and ``data-count`` and a ``<title>``
    tooltip, so the figures can be read back from the markup; with ``link(day, language)``
    each segment is a link (the live page opens the list of that day's articles).
    """
    if not rows:
        return ('<svg xmlns="http://www.w3.org/2000/svg" role="img" width="%d" height="60">'
                '<text x="10" y="35">No dated articles yet.</text></svg>' % WIDTH)
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    totals: dict[str, int] = defaultdict(int)
    for day, lang, n in rows:
        counts[day][lang] = n
        totals[lang] += n
    languages = sorted(totals, key=lambda lang: (-totals[lang], lang))
    colour = {lang: PALETTE[i] if i < len(PALETTE) else OTHER for i, lang in enumerate(languages)}
    first, last = date.fromisoformat(min(counts)), date.fromisoformat(max(counts))
    days = [(first + timedelta(i)).isoformat() for i in range((last - first).days + 1)]
    peak = max(sum(c.values()) for c in counts.values())
    step_y = nice_step(peak)
    top = -(-peak // step_y) * step_y  # the axis ends on a gridline at or above the peak
    base = HEIGHT - MARGIN
    plot_w, plot_h = WIDTH - LEFT - MARGIN, HEIGHT - 2 * MARGIN
    step = plot_w / len(days)
    bar = max(step * 0.8, 0.5)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" '
             f'height="{HEIGHT + 50}" viewBox="0 0 {WIDTH} {HEIGHT + 50}" '
             'font-family="sans-serif" font-size="12">',
             '<title>Articles per day by language</title>']
    for value in range(0, top + 1, step_y):
        y = base - plot_h * value / top
        parts.append(f'<line x1="{LEFT}" y1="{y:.2f}" x2="{WIDTH - MARGIN}" y2="{y:.2f}" '
                     f'stroke="{"#333" if value == 0 else "#e3e3e3"}"/>'
                     f'<text x="{LEFT - 6}" y="{y + 4:.2f}" text-anchor="end">{value}</text>')
    parts.append(f'<text transform="translate(14 {MARGIN + plot_h / 2:.0f}) rotate(-90)" '
                 'text-anchor="middle" class="axis-title">Articles per day</text>')
    for i, day in enumerate(days):
        y = base
        for lang in languages:
            n = counts.get(day, {}).get(lang, 0)
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            label = f"{day}: {n} {escape(lang)}"
            rect = (f'<rect x="{LEFT + i * step:.2f}" y="{y:.2f}" width="{bar:.2f}" '
                    f'height="{h:.2f}" fill="{colour[lang]}" data-day="{day}" '
                    f'data-language="{escape(lang)}" data-count="{n}">'
                    f'<title>{label}</title></rect>')
            if link is not None:
                rect = f'<a href="{escape(link(day, lang))}">{rect}</a>'
            parts.append(rect)
    every = max(1, -(-len(days) // MAX_X_TICKS))
    for i in range(0, len(days), every):
        x = LEFT + i * step + bar / 2
        parts.append(f'<line x1="{x:.2f}" y1="{base}" x2="{x:.2f}" y2="{base + 4}" '
                     f'stroke="#333"/><text x="{x:.2f}" y="{base + 17}" '
                     f'text-anchor="middle">{days[i]}</text>')
    parts.append(f'<text x="{LEFT + plot_w / 2:.0f}" y="{base + 34}" text-anchor="middle" '
                 'class="axis-title">Publication date (one bar per day)</text>')
    x = LEFT
    for lang in languages:
        parts.append(f'<rect x="{x}" y="{HEIGHT + 20}" width="12" height="12" '
                     f'fill="{colour[lang]}"/><text x="{x + 16}" y="{HEIGHT + 31}">'
                     f'{escape(lang)} ({totals[lang]})</text>')
        x += 40 + 8 * len(lang) + 8 * len(str(totals[lang]))
    parts.append("</svg>")
    return "\n".join(parts)


def chart_page(rows: list[tuple[str, str, int]], name: str,
               link: Callable[[str, str], str] | None = None,
               nav: dict[str, str] | None = None) -> str:
    """The whole HTML page for database ``name``: navigation, a heading, a total, the chart.

    ``nav`` (label -> URL) and ``link`` are for the live page; the file written beside the
    database has neither, since it opens without a server.
    """
    total = sum(n for _, _, n in rows)
    links = " | ".join(f'<a href="{escape(url)}">{"&larr; " if i == 0 else ""}{escape(label)}</a>'
                       for i, (label, url) in enumerate((nav or {}).items()))
    hint = " Click a bar to list that day's articles in that language." if link else ""
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Articles per day by language</title></head>\n<body style=\"font-family:"
            "sans-serif;margin:2em\">\n"
            + (f"<nav>{links}</nav>\n" if links else "")
            + "<h1>Articles per day by language</h1>\n"
            f"<p>{total} dated articles in {escape(name)}.{hint}</p>\n{chart_svg(rows, link)}\n"
            "</body></html>\n")


def chart_html(db_path: str | Path) -> str:
    """The chart page for the database at ``db_path``, read through a read-only connection."""
    conn = sqlite3.connect(Path(db_path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        rows = per_day_by_language(conn)
    finally:
        conn.close()
    return chart_page(rows, Path(db_path).name)
