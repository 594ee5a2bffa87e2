"""The end-of-run summary a person reads: from the crawl's stats, the same for every entry."""

from __future__ import annotations

from typing import Any


def _grouped(stats: dict[str, Any], prefix: str) -> str:
    items = sorted((k[len(prefix):], v) for k, v in stats.items() if k.startswith(prefix))
    return ", ".join(f"{k} {v}" for k, v in items) or "none"


def format_summary(stats: dict[str, Any], db_path: str) -> str:
    """Pages fetched, articles new/updated/unchanged, duplicates and errors by kind."""
    errors = {k: v for k, v in stats.items()
              if k.startswith(("newscrawl/errors/", "downloader/exception_type_count/"))}
    error_text = ", ".join(f"{k.rsplit('/', 1)[-1]} {v}" for k, v in sorted(errors.items()))
    lines = [
        f"Finished: {stats.get('finish_reason', 'unknown')}",
        f"Pages fetched: {stats.get('response_received_count', 0)} "
        f"(listing {stats.get('newscrawl/pages/listing', 0)}, "
        f"article {stats.get('newscrawl/pages/article', 0)})",
        "Articles: new {new}, updated {updated}, unchanged {unchanged}, not modified {nm}, "
        "withdrawn {withdrawn}".format(
            new=stats.get("newscrawl/articles/new", 0),
            updated=stats.get("newscrawl/articles/updated", 0),
            unchanged=stats.get("newscrawl/articles/unchanged", 0),
            nm=stats.get("newscrawl/articles/not_modified", 0),
            withdrawn=stats.get("newscrawl/articles/withdrawn", 0)),
        f"Known links skipped: {stats.get('newscrawl/links/known', 0)}, "
        f"revisits: {stats.get('newscrawl/revisits/requested', 0)}, "
        f"pagination stopped: {'yes' if stats.get('newscrawl/listing/stopped') else 'no'}",
        f"Duplicates dropped: {_grouped(stats, 'newscrawl/dedup/')}",
        f"Skipped: {_grouped(stats, 'newscrawl/skipped/')}",
        f"Errors: {error_text or 'none'}",
        f"Database: {db_path}",
    ]
    return "\n".join(lines)
