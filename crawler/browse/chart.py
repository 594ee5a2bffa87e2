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

PER_DAY_BY_LANGUAGE = """
select substr(published, 1, 10) as day, coalesce(language, 'undetected') as language,
  count(*) as articles
from articles
where published glob '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]*'
group by day, 2
order by day, 2
"""
# Colour-blind-safe palette (Okabe-Ito); languages past it fall back to grey.
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442")
OTHER = "#999999"
WIDTH, HEIGHT, MARGIN = 900, 320, 40


def per_day_by_language(conn: sqlite3.Connection) -> list[tuple[str, str, int]]:
    """``(day, language, articles)`` for every day and language with a dated article."""
    return [(d, lang, n) for d, lang, n in conn.execute(PER_DAY_BY_LANGUAGE)]


def chart_svg(rows: list[tuple[str, str, int]]) -> str:
    """A stacked bar per calendar day (empty days included, so gaps show), one colour a language.

    Every bar segment carries ``data-day``, ``data-language`` and ``data-count`` and a
    ``<title>`` tooltip, so the figures can be read back from the markup.
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
    plot_w, plot_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    step = plot_w / len(days)
    bar = max(step * 0.8, 0.5)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" '
             f'height="{HEIGHT + 30}" viewBox="0 0 {WIDTH} {HEIGHT + 30}" '
             'font-family="sans-serif" font-size="12">',
             '<title>Articles per day by language</title>',
             f'<line x1="{MARGIN}" y1="{HEIGHT - MARGIN}" x2="{WIDTH - MARGIN}" '
             f'y2="{HEIGHT - MARGIN}" stroke="#333"/>',
             f'<text x="{MARGIN - 6}" y="{MARGIN + 4}" text-anchor="end">{peak}</text>',
             f'<text x="{MARGIN - 6}" y="{HEIGHT - MARGIN + 4}" text-anchor="end">0</text>']
    for i, day in enumerate(days):
        y = HEIGHT - MARGIN
        for lang in languages:
            n = counts.get(day, {}).get(lang, 0)
            if not n:
                continue
            h = plot_h * n / peak
            y -= h
            label = f"{day}: {n} {escape(lang)}"
            parts.append(f'<rect x="{MARGIN + i * step:.2f}" y="{y:.2f}" width="{bar:.2f}" '
                         f'height="{h:.2f}" fill="{colour[lang]}" data-day="{day}" '
                         f'data-language="{escape(lang)}" data-count="{n}">'
                         f'<title>{label}</title></rect>')
    parts.append(f'<text x="{MARGIN}" y="{HEIGHT - MARGIN + 18}">{days[0]}</text>')
    parts.append(f'<text x="{WIDTH - MARGIN}" y="{HEIGHT - MARGIN + 18}" '
                 f'text-anchor="end">{days[-1]}</text>')
    x = MARGIN
    for lang in languages:
        parts.append(f'<rect x="{x}" y="{HEIGHT}" width="12" height="12" fill="{colour[lang]}"/>'
                     f'<text x="{x + 16}" y="{HEIGHT + 11}">{escape(lang)} ({totals[lang]})</text>')
        x += 40 + 8 * len(lang) + 8 * len(str(totals[lang]))
    parts.append("</svg>")
    return "\n".join(parts)


def chart_page(rows: list[tuple[str, str, int]], name: str) -> str:
    """The whole HTML page for database ``name``: a heading, a total and the chart."""
    total = sum(n for _, _, n in rows)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>Articles per day by language</title></head>\n<body style=\"font-family:"
            "sans-serif;margin:2em\">\n<h1>Articles per day by language</h1>\n"
            f"<p>{total} dated articles in {escape(name)}.</p>\n{chart_svg(rows)}\n"
            "</body></html>\n")


def chart_html(db_path: str | Path) -> str:
    """The chart page for the database at ``db_path``, read through a read-only connection."""
    conn = sqlite3.connect(Path(db_path).resolve().as_uri() + "?mode=ro", uri=True)
    try:
        rows = per_day_by_language(conn)
    finally:
        conn.close()
    return chart_page(rows, Path(db_path).name)
