"""A run's skips and errors from its stats: one definition for the crawl's summary, the runs
ledger and ``newscrawl runs``, so the three never disagree.

A page without an article is a skip (``newscrawl/skipped/REASON``).  An error is a final
failure (``newscrawl/errors/KIND``: a download that failed after its retries counts once,
its tries are in ``downloader/exception_type_count/*``) or an exception in a spider callback
(``spider_exceptions/CLASS``; Scrapy's own ``spider_exceptions/count`` is their sum and is
not counted again).
"""

from __future__ import annotations

from typing import Any, Mapping

SKIPPED = "newscrawl/skipped/"
ERRORS = "newscrawl/errors/"
SPIDER_EXCEPTIONS = "spider_exceptions/"


def _by_kind(stats: Mapping[str, Any], prefix: str) -> dict[str, int]:
    return dict(sorted((k[len(prefix):], v) for k, v in stats.items()
                       if k.startswith(prefix) and isinstance(v, int)))


def skips_by_kind(stats: Mapping[str, Any]) -> dict[str, int]:
    """Pages without an article, by reason (``no_body``, ``not_html``, ...)."""
    return _by_kind(stats, SKIPPED)


def errors_by_kind(stats: Mapping[str, Any]) -> dict[str, int]:
    """Errors by kind: ``http_503``, ``timeout``, ... and ``spider_exception_CLASS``."""
    errors = _by_kind(stats, ERRORS)
    for name, n in _by_kind(stats, SPIDER_EXCEPTIONS).items():
        if name != "count":
            errors[f"spider_exception_{name}"] = n
    return errors
