"""Rebuild stored bodies from stored raw pages, after an extractor, template or rule change."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from crawler.sites import Site
from pipelines.extract import Article, NoArticle, extract
from pipelines.store import Store
from pipelines.template import TemplateRules

logger = logging.getLogger(__name__)


@dataclass
class Reextracted:
    checked: int = 0
    changed: int = 0
    failed: int = 0


def reextract(store: Store, site: Site, template: TemplateRules | None = None,
              run_id: int | None = None,
              extract_page: Callable[..., Article] | None = None) -> Reextracted:
    """Re-extract every stored page of ``site`` (or of one run) and rewrite changed bodies.

    The story keeps its row and URL; a page that no longer yields a body keeps its old one
    (and is counted as failed), so nothing stored is lost.  ``extract_page`` (default
    :func:`extract`) lets the caller put each page under the extraction deadline
    (:meth:`pipelines.worker.ExtractWorkers.extract_or_skip`): a new extractor version or
    rule can make a page slow that was not.
    """
    extract_page = extract_page or extract
    result = Reextracted()
    for row in store.stored_pages(site.name, run_id):
        result.checked += 1
        try:
            article = extract_page(row["html"], row["page_url"], site, encoding=row["encoding"],
                                   template=template)
        except NoArticle as exc:
            result.failed += 1
            logger.warning("Kept the stored body of %s: re-extraction found none (%s)",
                           row["url"], exc)
            continue
        if article.content_hash != row["content_hash"]:
            store.rewrite(row["id"], article)
            result.changed += 1
    store.commit()
    return result
