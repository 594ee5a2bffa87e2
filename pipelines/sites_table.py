"""The ``sites`` table: site profiles stored in the database, so a crawl started from a bare
section URL infers its profile once and reuses it on every later run.

Profiles are plain data here (the JSON of a profile's fields); turning them into a
``crawler.sites.Site`` and checking them is the crawler's job, so this module stays pure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pipelines.store import connect, utcnow


def save_profile(db_path: str | Path, name: str, start_url: str, profile: dict[str, Any],
                 source: str) -> None:
    """Store (or replace) profile ``name``; ``source`` says where it came from
    (``inferred``, or the file it was read from)."""
    db = connect(db_path)
    try:
        now = utcnow()
        created = next(db.query("select created from sites where name = ?", [name]), {})
        with db.conn:
            db["sites"].upsert({"name": name, "start_url": start_url, "source": source,
                                "profile": json.dumps(profile, ensure_ascii=False),
                                "created": created.get("created", now), "updated": now},
                               pk="name")
    finally:
        db.close()


def load_profile(db_path: str | Path, name: str) -> dict[str, Any] | None:
    """The stored row of profile ``name`` with ``profile`` decoded, or None."""
    return _one(db_path, "select * from sites where name = ?", [name])


def profile_for_url(db_path: str | Path, start_url: str) -> dict[str, Any] | None:
    """The stored profile whose section starts at ``start_url`` (canonical form), or None."""
    return _one(db_path, "select * from sites where start_url = ? order by updated desc",
                [start_url])


def profile_names(db_path: str | Path) -> list[str]:
    if not Path(db_path).is_file():
        return []
    db = connect(db_path)
    try:
        return [r["name"] for r in db.query("select name from sites order by name")]
    finally:
        db.close()


def _one(db_path: str | Path, sql: str, params: list[Any]) -> dict[str, Any] | None:
    if not Path(db_path).is_file():
        return None
    db = connect(db_path)
    try:
        row = next(db.query(sql, params), None)
    finally:
        db.close()
    if row is not None:
        row["profile"] = json.loads(row["profile"])
    return row
