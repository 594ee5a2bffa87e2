"""Rebuild stored bodies from stored raw pages, after an extractor, template or rule change.

Streamed: pages are read in keyset-paginated chunks and extracted on every worker of the
pool, a bounded number in flight, and changed bodies are written in one short transaction per
chunk, so memory stays bounded whatever the database's size and the write lock is never held
while pages are being extracted.
"""

from __future__ import annotations

import gzip
import logging
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from pipelines.article import Article, NoArticle
from pipelines.extract import extract
from pipelines.profile import SiteProfile
from pipelines.store import Store
from pipelines.template import TemplateRules

logger = logging.getLogger(__name__)

# Page ids read from the database at a time.
CHUNK = 100
# Rows rewritten per transaction: a rewrite re-indexes the body for full-text search, so
# a short batch keeps the write lock short for a crawl or a one-off writing meanwhile.
WRITE_BATCH = 20


@dataclass
class Reextracted:
    checked: int = 0
    changed: int = 0
    failed: int = 0


def _results(store: Store, site: SiteProfile, template: TemplateRules | None,
             run_id: int | None, workers: Any, chunk: int, ids: list[int] | None,
             ) -> Iterator[tuple[dict[str, Any], Article | NoArticle]]:
    """(stored row, new extraction) pairs in id order, ``2 x workers`` pages in flight."""
    in_flight: deque[tuple[dict[str, Any], Future | Article | NoArticle]] = deque()
    limit = 2 * workers.size if workers is not None else 1

    def settle(row: dict[str, Any], pending: Any) -> tuple[dict[str, Any], Article | NoArticle]:
        if not isinstance(pending, Future):
            return row, pending
        try:
            return row, workers.result(pending)
        except NoArticle as exc:
            return row, exc
        except Exception as exc:  # noqa: BLE001 - a timeout or a dead worker: keep the row
            return row, NoArticle(getattr(exc, "reason", "extract_error"), str(exc))

    for row in store.stored_pages(site.name, run_id, chunk, ids, compressed=True):
        stored = row.pop("html_gzip")
        if workers is not None:
            pending: Any = workers.submit_stored(stored, row["page_url"], site,
                                                 row["encoding"], template)
        else:
            try:
                pending = extract(gzip.decompress(stored), row["page_url"], site,
                                  encoding=row["encoding"], template=template)
            except NoArticle as exc:
                pending = exc
        in_flight.append((row, pending))
        while len(in_flight) >= limit:
            yield settle(*in_flight.popleft())
    while in_flight:
        yield settle(*in_flight.popleft())


def reextract(store: Store, site: SiteProfile, template: TemplateRules | None = None,
              run_id: int | None = None, workers: Any = None,
              chunk: int = CHUNK, ids: list[int] | None = None) -> Reextracted:
    """Re-extract every stored page of ``site`` (or of one run) and rewrite changed bodies.

    The story keeps its row and URL; a page that no longer yields a body keeps its old one
    (and is counted as failed), so nothing stored is lost.  ``workers``
    (:class:`pipelines.worker.ExtractWorkers`) runs the pages on all its processes under the
    extraction deadline: a new extractor version or rule can make a page slow that was not.
    ``ids`` restricts it to those articles (the crawl passes the pages a rule change affects).
    Each row records the extractor and template version that produced its body.
    """
    version = template.version if template is not None else "none"
    result = Reextracted()
    writes: list[tuple[int, Article | None]] = []

    def write() -> None:
        with store.transaction():
            for article_id, article in writes:
                if article is None:
                    store.mark_extracted(article_id, version)
                else:
                    store.rewrite(article_id, article, version)
        writes.clear()

    for row, found in _results(store, site, template, run_id, workers, chunk, ids):
        result.checked += 1
        if isinstance(found, NoArticle):
            result.failed += 1
            logger.warning("Kept the stored body of %s: re-extraction found none (%s)",
                           row["url"], found)
            continue
        if found.content_hash != row["content_hash"]:
            writes.append((row["id"], found))
            result.changed += 1
        else:
            writes.append((row["id"], None))
        if len(writes) >= WRITE_BATCH:
            write()
    if writes:
        write()
    return result
