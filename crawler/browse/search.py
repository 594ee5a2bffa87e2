"""Ranked full-text search over the articles, with a highlighted snippet per result.

Datasette's table search filters and keeps the table's date order; a reader searching wants
the best match first and the sentence it is in.  Three ways to match, chosen by the query:

- ``articles_fts`` (porter stemming) for words of space-separated languages, ranked by FTS5
  ``rank`` (bm25), snippet from FTS5 ``snippet()``;
- ``articles_trigram`` (trigram tokenizer) when the query holds Chinese, Japanese or Korean
  words of three or more characters: a word is found inside a clause, ranked the same way;
- a substring scan when such a word is shorter than three characters (the trigram index
  cannot match it), ranked by how often the words occur, snippet cut around the first one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape
from typing import Any

from markupsafe import Markup

CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
# Snippet markers that cannot occur in stored text, replaced by <mark> after escaping.
START, END = "\x02", "\x03"
SNIPPET_WORDS = 32
SUBSTRING_CONTEXT = 60  # characters of context either side of a substring match
COLUMNS = ("a.id, a.title, a.site, a.published, a.language, a.url, length(a.text) as chars")


@dataclass
class Query:
    """A reader's search: the words and the optional site / language filters."""

    text: str
    site: str | None = None
    language: str | None = None
    limit: int = 20
    offset: int = 0
    terms: list[str] = field(init=False)

    def __post_init__(self) -> None:
        self.terms = re.findall(r'[^\s"]+', self.text)

    @property
    def mode(self) -> str:
        """``porter``, ``trigram`` or ``substring`` (see the module docstring)."""
        cjk = [t for t in self.terms if CJK.search(t)]
        if not cjk:
            return "porter"
        return "trigram" if all(len(t) >= 3 for t in cjk) else "substring"


def fts_match(terms: list[str]) -> str:
    """Each term a quoted FTS5 string (operators and punctuation in a query are text)."""
    return " ".join('"' + t.replace('"', '""') + '"' for t in terms)


def _filters(query: Query, tables: set[str], columns: set[str]) -> tuple[str, dict[str, Any]]:
    where, params = [], {}
    if query.site:
        where.append("a.site = :site")
        params["site"] = query.site
    if query.language:
        where.append("a.language = :language")
        params["language"] = query.language
    if "withdrawn_at" in columns:
        where.append("a.withdrawn_at is null")
    return "".join(f" and {w}" for w in where), params


def search_sql(query: Query, tables: set[str], columns: set[str]) -> tuple[str, str, dict[str, Any]]:
    """``(results_sql, from_where_sql, params)``: the ranked page of results, and the
    ``from ... where ...`` part alone, for the facet counts over all matches."""
    extra, params = _filters(query, tables, columns)
    mode = query.mode
    if mode == "trigram" and "articles_trigram" not in tables:
        mode = "substring"  # a database made before the trigram index
    if mode in ("porter", "trigram"):
        fts = "articles_fts" if mode == "porter" else "articles_trigram"
        params["q"] = fts_match(query.terms)
        if "duplicate_of" in columns:
            # A near copy is found for the words only it has (an update's new sentences),
            # never beside its story: each story once.
            extra += (f" and (a.duplicate_of is null or a.duplicate_of not in "
                      f"(select rowid from {fts} where {fts} match :q))")
        body = f"from {fts} join articles a on a.id = {fts}.rowid where {fts} match :q{extra}"
        results = (f"select {COLUMNS}, highlight({fts}, 0, char(2), char(3)) as title_marked, "
                   f"snippet({fts}, 1, char(2), char(3), '…', {SNIPPET_WORDS}) as snippet, "
                   f"a.text as text {body} order by {fts}.rank limit :limit offset :offset")
    else:
        conditions, counts = [], []
        for i, term in enumerate(query.terms):
            params[f"t{i}"] = term.lower()
            conditions.append(f"(instr(lower(a.title), :t{i}) or instr(lower(a.text), :t{i}))")
            counts.append(f"(length(a.text) - length(replace(lower(a.text), :t{i}, '')))"
                          f" / length(:t{i})")
        if "duplicate_of" in columns:
            extra += " and a.duplicate_of is null"
        body = f"from articles a where {' and '.join(conditions) or '0'}{extra}"
        results = (f"select {COLUMNS}, a.title as title_marked, null as snippet, a.text as text, "
                   f"{' + '.join(counts) or '0'} as hits {body} "
                   "order by hits desc, a.published desc limit :limit offset :offset")
    params.update(limit=query.limit, offset=query.offset)
    return results, body, params


def marked(text: str | None) -> Markup:
    """FTS5 output with START/END markers as escaped HTML with ``<mark>``."""
    return Markup(escape(text or "").replace(START, "<mark>").replace(END, "</mark>"))


def substring_snippet(text: str, terms: list[str]) -> Markup:
    """The text around the first occurrence of any term, every term marked."""
    lower = text.lower()
    hits = [i for i in (lower.find(t.lower()) for t in terms) if i >= 0]
    if not hits:
        return Markup(escape(text[:2 * SUBSTRING_CONTEXT]))
    start = max(0, min(hits) - SUBSTRING_CONTEXT)
    window = text[start:min(hits) + 2 * SUBSTRING_CONTEXT]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)),
                         re.I)
    parts, last = [], 0
    for m in pattern.finditer(window):
        parts += [escape(window[last:m.start()]), f"<mark>{escape(m.group())}</mark>"]
        last = m.end()
    parts.append(escape(window[last:]))
    return Markup(("…" if start else "") + "".join(parts) + "…")


def snippet_for(row: dict[str, Any], query: Query) -> Markup:
    if row.get("snippet"):
        return marked(row["snippet"])
    return substring_snippet(row.get("text") or "", query.terms)
