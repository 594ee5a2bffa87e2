"""Stream stored articles out as JSON Lines or CSV, one row at a time.

Rows come from a cursor and go straight to the output, so memory stays flat however large
the database is; the connection is read-only, so an export can run during a crawl.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import IO, Any, Iterator

__all__ = ["FORMATS", "ExportError", "connect_readonly", "export", "iter_articles", "open_output"]

FORMATS = ("jsonl", "csv")
# Columns stored as JSON text: JSON Lines gets them as real arrays/objects.
JSON_COLUMNS = frozenset({"authors", "captions", "extras"})


# A spreadsheet runs a cell that starts with one of these as a formula (=HYPERLINK(...),
# +cmd|..., @SUM(...)); OWASP's CSV-injection advice: prefix such text with a quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> Any:
    """``value`` safe to open in a spreadsheet: text that a spreadsheet would evaluate gets
    a leading ``'`` (shown as text, the quote hidden); numbers and NULLs stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class ExportError(ValueError):
    """The export cannot run as asked; the message says how to fix it."""


def connect_readonly(path: str | Path) -> sqlite3.Connection:
    """A read-only connection; a missing file is an error, never a new empty database."""
    path = Path(path)
    if not path.is_file():
        raise ExportError(f"no database at {path}: crawl first (newscrawl crawl --db {path})"
                          " or give --db")
    return sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)


@contextmanager
def open_output(target: str) -> Iterator[IO[str]]:
    """A UTF-8 text stream without newline translation (CSV writes its own line ends).

    ``-`` is standard output, whatever the terminal's locale says.
    """
    if target == "-":
        out = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8", newline="")
        try:
            yield out
        finally:
            out.flush()
            out.detach()
    else:
        with open(target, "w", encoding="utf-8", newline="") as out:
            yield out


def iter_articles(conn: sqlite3.Connection, since: date | None = None,
                  language: str | None = None, duplicates: bool = False,
                  ) -> tuple[list[str], Iterator[tuple[Any, ...]]]:
    """The article columns and a lazy cursor over matching rows, in ``id`` order.

    ``since`` keeps stories published on or after that day (undated ones drop out);
    ``language`` keeps stories whose detected language is that code.  Near copies of a
    stored story (rows with ``duplicate_of``) are left out unless ``duplicates``: an
    export has each story once.
    """
    where, params = [], []
    columns = {r[1] for r in conn.execute("pragma table_info(articles)")}
    if not duplicates and "duplicate_of" in columns:  # a file made before m009 has none
        where.append("duplicate_of is null")
    if since is not None:
        where.append("published >= ?")
        params.append(since.isoformat())
    if language:
        where.append("language = ?")
        params.append(language.lower())
    sql = "select * from articles" + (" where " + " and ".join(where) if where else "")
    cursor = conn.execute(sql + " order by id", params)
    return [d[0] for d in cursor.description], iter(cursor)


def export(conn: sqlite3.Connection, out: IO[str], fmt: str, since: date | None = None,
           language: str | None = None, duplicates: bool = False) -> int:
    """Write matching articles to ``out`` in ``fmt`` (jsonl or csv); return how many."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    columns, rows = iter_articles(conn, since, language, duplicates)
    count = 0
    if fmt == "csv":
        writer = csv.writer(out)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_cell(v) for v in row])
            count += 1
        return count
    decode = [c in JSON_COLUMNS for c in columns]
    for row in rows:
        record = {c: (json.loads(v) if d and v is not None else v)
                  for c, v, d in zip(columns, row, decode)}
        out.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count
