"""Which article rows are stories: the near copies of a story (``duplicate_of``) are kept
in the database but left out of lists, counts and the chart, so each story counts once.

SQL written for browsing says ``duplicate_of is null``; a file made before that column
existed (browsed without being crawled again, so never migrated) has only stories, and
:func:`for_columns` turns the condition into ``1`` for it rather than break the page.
"""

from __future__ import annotations

from typing import Iterable

ONLY_STORIES = "duplicate_of is null"


def for_columns(sql: str, columns: Iterable[str]) -> str | None:
    """``sql`` as an articles table with these ``columns`` can run it, or None when it
    needs ``duplicate_of`` for more than leaving the copies out."""
    if "duplicate_of" in set(columns):
        return sql
    sql = sql.replace(ONLY_STORIES, "1")
    return None if "duplicate_of" in sql else sql
