"""Scrapy item pipelines: thin classes that call the pure steps on each fetched page.

ExtractPipeline turns raw HTML into an Article (``pipelines.extract``, which also detects
the language); StorePipeline de-duplicates and writes it (``pipelines.store``).  The one-off
``newscrawl extract`` command calls the same functions.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from typing import Any

from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured

from crawler.items import PageItem
from crawler.summary import format_summary
from pipelines import template as templates
from pipelines.extract import NoArticle, page_tree
from pipelines.reextract import reextract
from pipelines.store import DatabaseLocked, RunLock, Store, StoreError
from pipelines.template import Template, TemplateRules
from pipelines.worker import ExtractFailed, ExtractWorkers, translate

logger = logging.getLogger(__name__)
# trafilatura warns "discarding data" for every page without a body; those are counted as
# newscrawl/skipped/* already, so only its errors reach the crawl log.
logging.getLogger("trafilatura").setLevel(logging.ERROR)


class ExtractPipeline:
    """Extracts the article of each page in worker processes under a hard deadline.

    Pages without an article, pages that overrun ``NEWSCRAWL_EXTRACT_TIMEOUT`` (their worker
    is killed) and pages whose worker dies are dropped and counted under
    ``newscrawl/skipped/<reason>``; the crawl goes on.
    """

    def __init__(self, crawler: Any, workers: int = 2, timeout: float = 60.0) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.workers_count = workers
        self.timeout = timeout
        self.workers: ExtractWorkers | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractPipeline:
        settings = crawler.settings
        if not settings.getbool("NEWSCRAWL_EXTRACT_ENABLED"):
            raise NotConfigured("NEWSCRAWL_EXTRACT_ENABLED is off")
        return cls(crawler, workers=settings.getint("NEWSCRAWL_EXTRACT_WORKERS"),
                   timeout=settings.getfloat("NEWSCRAWL_EXTRACT_TIMEOUT"))

    def open_spider(self) -> None:
        self.workers = ExtractWorkers(self.workers_count, self.timeout)

    def close_spider(self) -> None:
        if self.workers is not None:
            self.workers.close()
            self.workers = None

    async def process_item(self, item: PageItem) -> PageItem:
        if item.status != 200:
            return item  # a revisit's 304/404/410: nothing to extract
        assert self.workers is not None
        spider = self.crawler.spider
        future = self.workers.submit(item.body, item.final_url, spider.site, item.encoding,
                                     template=getattr(spider, "template_rules", None))
        try:
            item.article = await asyncio.wrap_future(future)
        except Exception as raw_exc:
            exc = translate(raw_exc, self.timeout)
            reason = getattr(exc, "reason", "extract_error")
            self.stats.inc_value(f"newscrawl/skipped/{reason}")
            if isinstance(exc, NoArticle):
                item.skipped = exc.reason
                raise DropItem(f"{exc} ({item.final_url})", log_level="INFO") from None
            if isinstance(exc, ExtractFailed):
                raise DropItem(f"{exc} ({item.final_url})", log_level="WARNING") from None
            logger.error("Extraction failed for %s: %r", item.final_url, exc)
            raise DropItem(f"extraction failed: {exc!r} ({item.final_url})",
                           log_level="ERROR") from None
        if item.article.rejected_dates:
            self.stats.inc_value("newscrawl/dates/rejected")
            logger.info("Rejected impossible dates %s on %s", item.article.rejected_dates,
                        item.final_url)
        if item.article.date_conflict:
            self.stats.inc_value("newscrawl/dates/conflict")
        return item


class StorePipeline:
    """Writes articles to SQLite in atomic batches, keeps the run ledger, learns the template.

    It holds the database's run lock from open to close: a second run on the same database
    closes at once with the reason ``database_locked``.

    Outcome stats (``newscrawl/articles/*``, ``newscrawl/dedup/*``) are counted only when
    their batch is committed, so a database that fails mid-run (disk full, read-only) never
    reports as stored what was not: the spider closes with ``database_error`` and the
    rolled-back items are counted in ``newscrawl/store/lost``.

    Each new story's page teaches the site's template (recurring blocks and lines); the
    extraction pipeline applies the rules learned so far, and at the end of the run the
    run's pages are re-extracted if the rules changed, so the result does not depend on the
    order pages arrived in.
    """

    def __init__(self, path: str, batch_size: int, stats: Any, learn_template: bool = True,
                 template_refresh: int = 10) -> None:
        self.path = path
        self.batch_size = batch_size
        self.stats = stats
        self.learn_template = learn_template
        self.template_refresh = template_refresh
        self.store: Store | None = None
        self.lock = RunLock(path)
        self.run_id: int | None = None
        self.site = ""
        self.template = Template()
        self.rules_at_start = TemplateRules()
        self.unapplied = 0
        self.uncommitted: list[str] = []
        self.max_bytes = 0

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        settings = crawler.settings
        if not settings.getbool("NEWSCRAWL_STORE_ENABLED"):
            raise NotConfigured("NEWSCRAWL_STORE_ENABLED is off")
        pipeline = cls(settings.get("NEWSCRAWL_DB"), settings.getint("NEWSCRAWL_BATCH_SIZE"),
                       crawler.stats, settings.getbool("NEWSCRAWL_TEMPLATE_ENABLED"),
                       settings.getint("NEWSCRAWL_TEMPLATE_REFRESH"))
        pipeline.crawler = crawler
        pipeline.max_bytes = settings.getint("NEWSCRAWL_DB_MAX_BYTES")
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(pipeline.item_dropped, signal=signals.item_dropped)
        return pipeline

    def open_spider(self) -> None:
        spider = self.crawler.spider
        self.site = spider.site.name
        try:
            self.lock.acquire()
        except DatabaseLocked as exc:
            logger.error("%s", exc)
            raise CloseSpider("database_locked") from None
        except OSError as exc:
            logger.error("cannot create the lock file %s: %s", self.lock.path, exc)
            raise CloseSpider("database_unavailable") from None
        try:
            self.store = Store(self.path, batch_size=self.batch_size, max_bytes=self.max_bytes)
            mode = "full" if getattr(spider, "full", False) else "incremental"
            self.run_id = self.store.start_run(self.site, mode=mode)
        except (StoreError, sqlite3.Error) as exc:
            logger.error("%s", exc)
            self.stats.set_value("newscrawl/store/error", f"{self.path}: {exc}")
            self.lock.release()
            raise CloseSpider("database_unavailable") from None
        logger.info("Writing to %s (run %s)", self.path, self.run_id)
        if self.learn_template:
            self.template = self.store.load_template(self.site)
            self.rules_at_start = self.template.rules()
            self.crawler.spider.template_rules = self.rules_at_start

    def _fail(self, exc: Exception) -> None:
        """Give up on the database: roll back, count what was lost, close the spider."""
        lost = len(self.uncommitted)
        self.uncommitted = []
        if lost:
            self.stats.inc_value("newscrawl/store/lost", lost)
        self.stats.set_value("newscrawl/store/error", f"{self.path}: {exc}")
        logger.error("Cannot write to the database %s: %s. Stopping the crawl; %d item(s) of "
                     "the open batch were rolled back, everything committed before is intact. "
                     "Check free disk space and write permission.", self.path, exc, lost)
        if self.store is not None:
            try:
                self.store.db.conn.rollback()
                self.store.db.conn.close()
            except sqlite3.Error:
                pass
        self.store = None
        self.lock.release()
        self.crawler.engine.close_spider(self.crawler.spider, "database_error")

    def _committed(self) -> None:
        for key in self.uncommitted:
            self.stats.inc_value(key)
        self.uncommitted = []

    def process_item(self, item: PageItem) -> PageItem:
        if self.store is None:
            self.stats.inc_value("newscrawl/store/not_written")
            raise DropItem(f"no database: {item.final_url}", log_level="INFO")
        try:
            if item.status == 304:
                saved = self.store.not_modified(item.url, self.run_id)
            elif item.status in (404, 410):
                saved = self.store.withdraw(item.url, self.run_id)
                logger.info("Withdrawn (HTTP %s): %s", item.status, item.url)
            else:
                saved = self.store.save(item.article, self.site, self.run_id,
                                        fetched_url=item.final_url,
                                        etag=item.headers.get("etag"),
                                        last_modified=item.headers.get("last-modified"),
                                        raw=item.body,
                                        content_type=item.headers.get("content-type"))
            duplicate = saved.outcome == "duplicate"
            self.uncommitted.append(f"newscrawl/dedup/{saved.kind}" if duplicate
                                    else f"newscrawl/articles/{saved.outcome}")
            if self.store.pending == 0:
                self._committed()
        except sqlite3.Error as exc:
            self.uncommitted.append("item")
            self._fail(exc)
            raise DropItem(f"not stored ({exc}): {item.final_url}", log_level="ERROR") from None
        if duplicate:
            raise DropItem(f"{saved.kind} duplicate of {saved.url}: {item.final_url}",
                           log_level="INFO")
        if saved.outcome == "new" and self.learn_template:
            self._learn(item)
        return item

    def _learn(self, item: PageItem) -> None:
        """Count a new story's blocks and lines; only distinct stories teach the template."""
        templates.learn([page_tree(item.body, item.encoding)], self.template)
        templates.learn_lines([item.article.text], self.template)
        self.unapplied += 1
        if self.unapplied >= self.template_refresh:
            self.crawler.spider.template_rules = self.template.rules()
            self.unapplied = 0

    def item_dropped(self, item: Any, response: Any, exception: Exception, spider: Any) -> None:
        """Remember pages that had no article, so the next run does not fetch them again."""
        if self.store is not None and isinstance(item, PageItem) and item.skipped:
            try:
                self.store.skip(item.url, self.site, item.skipped)
            except sqlite3.Error as exc:
                self._fail(exc)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.store is None:
            return
        try:
            if self.learn_template:
                self.store.save_template(self.site, self.template)
                rules = self.template.rules()
                if rules != self.rules_at_start:
                    with ExtractWorkers(1, self.crawler.settings.getfloat(
                            "NEWSCRAWL_EXTRACT_TIMEOUT")) as workers:
                        done = reextract(self.store, self.crawler.spider.site, rules,
                                         self.run_id, extract_page=workers.extract_or_skip)
                    self.stats.set_value("newscrawl/template/reextracted", done.changed)
                    logger.info("Template changed: re-extracted %s pages of this run, %s "
                                "bodies changed", done.checked, done.changed)
            self.store.commit()
            self._committed()
            self.store.finish_run(self.run_id, reason, self.stats.get_stats())
            self.store.close()
        except sqlite3.Error as exc:
            self.stats.set_value("newscrawl/store/error", f"{self.path}: {exc}")
            logger.error("Cannot finish the run in %s: %s", self.path, exc)
            if self.uncommitted:
                self.stats.inc_value("newscrawl/store/lost", len(self.uncommitted))
            self.uncommitted = []
            return
        finally:
            self.store = None
            self.lock.release()
        logger.info("Run %s summary:\n%s", self.run_id,
                    format_summary({**self.stats.get_stats(), "finish_reason": reason}, self.path))
