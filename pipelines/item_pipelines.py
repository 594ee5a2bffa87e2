"""Scrapy item pipelines: thin classes that route each fetched page to the workers and the
writer, and count what came of it.

The reactor thread does no per-page work of its own here: :class:`ExtractPipeline` sends the
raw page to a worker process (one parse there: extraction with the site's rules and current
template, language, hashes, template fingerprints, links, the compressed page) and gets a
compact :class:`~pipelines.extract.PageResult` back; :class:`StorePipeline` hands it to the
one writer thread (:mod:`pipelines.writer`) and awaits its commit.  What they share (the
pool, the writer, the template being learned) is one :class:`DataPath` per crawler.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import tempfile
import threading
from array import array
from typing import Any
from weakref import WeakKeyDictionary

import numpy as np

from scrapy import signals
from scrapy.exceptions import CloseSpider, DropItem, NotConfigured

from pipelines import template as templates
from pipelines.reextract import reextract
from pipelines.store import DatabaseLocked, RunLock, Saved, Store, StoreError
from pipelines.template import Template, TemplateRules
from pipelines.worker import ExtractFailed, ExtractWorkers, RulesFile, translate
from pipelines.writer import Writer

logger = logging.getLogger(__name__)


def _sorted_fps(fps: Any) -> np.ndarray:
    """Template fingerprints (16 hex digits each) as a sorted array of 8-byte integers."""
    return np.sort(np.fromiter((int(fp, 16) for fp in fps), dtype=np.uint64, count=len(fps)))


def percentile(values: list[float], share: float) -> float:
    """The ``share`` quantile of ``values`` (nearest rank), 0 for none."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, int(round(share * len(ordered))) - 1))]


class DataPath:
    """What the spider and the item pipelines of one crawl share, built once per crawler.

    * ``pool()`` - the extraction workers (started on first use, closed with the spider);
    * ``rules`` - the site's template rules as learned so far (replaced whole, never mutated,
      so the reactor reads them without a lock while the writer thread learns);
    * ``learn()`` - merges what a new story's page taught (called in the writer thread).
    """

    _of: WeakKeyDictionary[Any, DataPath] = WeakKeyDictionary()

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.workers_count = settings.getint("NEWSCRAWL_EXTRACT_WORKERS")
        self.timeout = settings.getfloat("NEWSCRAWL_EXTRACT_TIMEOUT")
        self.memory_mb = settings.getint("NEWSCRAWL_WORKER_MEMORY_MB")
        self.learning = settings.getbool("NEWSCRAWL_TEMPLATE_ENABLED")
        self.max_page_bytes = settings.getint("NEWSCRAWL_MAX_PAGE_BYTES")
        self.refresh = max(1, settings.getint("NEWSCRAWL_TEMPLATE_REFRESH"))
        self.template = Template()
        self.rules = TemplateRules()
        self._unapplied = 0
        # What each page stored in this run was extracted with, compactly: which rules, and
        # the block and line fingerprints it held, so the end of the run re-extracts only the
        # pages that rules learned later would change.  Both stay small whatever the run's
        # length: each version's rules as sorted 8-byte fingerprints (not sets of strings,
        # ten times the bytes, one set per refresh), each page's fingerprints in a temporary
        # file (a few kilobytes a page) with only their place in it kept in memory.
        self.versions: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.version_boxes: dict[str, frozenset[str]] = {}
        # story lines (pipelines.template): a page extracted before one was spared lost it
        self.version_story: dict[str, frozenset[str]] = {}
        self.shaped = tempfile.TemporaryFile(prefix="newscrawl-shaped-")
        self.shaped_index: list[tuple[int, str, int, int]] = []  # id, version, blocks, lines
        self._pool: ExtractWorkers | None = None
        self._lock = threading.Lock()
        self._slots: asyncio.Semaphore | None = None
        self.max_tasks = settings.getint("NEWSCRAWL_WORKER_MAX_TASKS")
        self._rules_dir = tempfile.TemporaryDirectory(prefix="newscrawl-rules-")
        self.rules_file: RulesFile | None = None
        crawler.signals.connect(self.close_pool, signal=signals.engine_stopped)

    @classmethod
    def of(cls, crawler: Any) -> DataPath:
        if crawler not in cls._of:
            cls._of[crawler] = cls(crawler)
        return cls._of[crawler]

    def pool(self) -> ExtractWorkers:
        with self._lock:
            if self._pool is None:
                self._pool = ExtractWorkers(self.workers_count, self.timeout, self.memory_mb,
                                            self.max_tasks)
            return self._pool

    def slots(self) -> asyncio.Semaphore:
        """Article pages queued for the workers at most: two per worker keeps them busy,
        and a listing page's links (submitted without a slot) wait behind two pages at
        most instead of behind every page downloaded meanwhile, so the walk never starves
        the downloader."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(2 * max(1, self.workers_count))
        return self._slots

    def close_pool(self) -> None:
        with self._lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None

    def start_template(self, template: Template) -> None:
        self.template = template
        self.publish(template.rules())

    def publish(self, rules: TemplateRules) -> None:
        if rules.version not in self.versions:
            self.versions[rules.version] = (_sorted_fps(rules.blocks), _sorted_fps(rules.lines))
            self.version_boxes[rules.version] = rules.boxes  # a few keys: kept as they are
            self.version_story[rules.version] = rules.story
        self.rules = rules
        self.rules_file = RulesFile(rules, self._rules_dir.name)

    def stored(self, article_id: int, result: Any) -> None:
        """Remember what a stored page was extracted with (called in the writer thread)."""
        blocks = result.page_print.fps if result.page_print is not None else array("Q")
        lines = array("Q", (int(fp, 16) for fp in result.body_print.lines)) \
            if result.body_print is not None else array("Q")
        blocks.tofile(self.shaped)
        lines.tofile(self.shaped)
        self.shaped_index.append((article_id, result.template_version, len(blocks), len(lines)))

    def stale(self, final: TemplateRules) -> list[int]:
        """The pages of this run whose body the ``final`` rules would change: extracted
        with no rules (another extraction mode), with rules that ``final`` dropped, whose
        boxes differ or that lacked a story line ``final`` spares, or holding a block or
        line that ``final`` added."""
        final_blocks, final_lines = _sorted_fps(final.blocks), _sorted_fps(final.lines)
        added: dict[str, tuple[np.ndarray, np.ndarray] | None] = {}  # per version; None: all
        for version, (blocks, lines) in self.versions.items():
            if version == final.version:
                continue
            boxes = self.version_boxes.get(version, frozenset())
            if not (len(blocks) or len(lines) or boxes) \
                    or len(np.setdiff1d(blocks, final_blocks)) \
                    or len(np.setdiff1d(lines, final_lines)) or boxes != final.boxes \
                    or final.story - self.version_story.get(version, frozenset()):
                added[version] = None
            else:
                added[version] = (np.setdiff1d(final_blocks, blocks),
                                  np.setdiff1d(final_lines, lines))
        ids = []
        self.shaped.flush()
        self.shaped.seek(0)
        for article_id, version, n_blocks, n_lines in self.shaped_index:
            held = np.fromfile(self.shaped, dtype=np.uint64, count=n_blocks + n_lines)
            if version == final.version:
                continue
            if added.get(version) is None:
                ids.append(article_id)
                continue
            new_blocks, new_lines = added[version]
            if np.isin(held[:n_blocks], new_blocks).any() \
                    or np.isin(held[n_blocks:], new_lines).any():
                ids.append(article_id)
        self.shaped.seek(0, 2)
        return sorted(set(ids))

    def learn(self, page: templates.PagePrint | None, body: templates.BodyPrint | None) -> None:
        """Count a new story's blocks and lines; publish new rules every ``refresh`` stories."""
        if not templates.merge(self.template, page, body):
            return
        self._unapplied += 1
        if self._unapplied >= self.refresh:
            self.publish(self.template.rules())
            self._unapplied = 0


class ExtractPipeline:
    """Extracts the article of each page in a worker process under a hard deadline.

    Pages without an article, pages that overrun ``NEWSCRAWL_EXTRACT_TIMEOUT`` (their worker
    is killed) and pages whose worker dies are dropped and counted under
    ``newscrawl/skipped/<reason>``; the crawl goes on.  The links the worker found are
    handed to the spider, which decides what to follow.
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = DataPath.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ExtractPipeline:
        if not crawler.settings.getbool("NEWSCRAWL_EXTRACT_ENABLED"):
            raise NotConfigured("NEWSCRAWL_EXTRACT_ENABLED is off")
        return cls(crawler)

    def open_spider(self) -> None:
        self.path.pool()

    async def process_item(self, item: Any) -> Any:
        if item.skipped:  # the spider knew there is no article (a redirect off the pattern)
            self.stats.inc_value(f"newscrawl/skipped/{item.skipped}")
            raise DropItem(f"no article: {item.skipped} ({item.fetched_url})", log_level="INFO")
        if item.status != 200 or item.withdrawn:
            return item  # a revisit's 304 or withdrawal: nothing to extract
        spider = self.crawler.spider
        path = self.path
        if path.max_page_bytes and len(item.body) > path.max_page_bytes:
            self.stats.inc_value("newscrawl/skipped/too_large")
            item.skipped = "too_large"
            raise DropItem(f"the page is {len(item.body):,} bytes, more than "
                           f"NEWSCRAWL_MAX_PAGE_BYTES={path.max_page_bytes:,}: not extracted "
                           f"({item.final_url})", log_level="WARNING")
        try:
            async with path.slots():
                future = path.pool().process(item.body, item.final_url, spider.site,
                                             item.encoding,
                                             template=path.rules_file if path.learning
                                             else None,
                                             learn=path.learning, base=item.fetched_url)
                result = await asyncio.wrap_future(future)
        except Exception as raw_exc:
            exc = translate(raw_exc, path.timeout)
            reason = getattr(exc, "reason", "extract_error")
            self.stats.inc_value(f"newscrawl/skipped/{reason}")
            if isinstance(exc, ExtractFailed):
                raise DropItem(f"{exc} ({item.final_url})", log_level="WARNING") from None
            logger.error("Extraction failed for %s: %r", item.final_url, exc)
            raise DropItem(f"extraction failed: {exc!r} ({item.final_url})",
                           log_level="ERROR") from None
        item.body = b""  # the worker sent the page back compressed; free the bytes now
        for request in spider.follow(result.links):
            request.meta["depth"] = item.depth + 1
            self.crawler.engine.crawl(request)
        if result.skipped is not None:
            exc = result.skipped
            self.stats.inc_value(f"newscrawl/skipped/{exc.reason}")
            item.skipped = exc.reason
            raise DropItem(f"{exc} ({item.final_url})", log_level="INFO")
        item.article = result.article
        item.result = result
        if item.article.rejected_dates:
            self.stats.inc_value("newscrawl/dates/rejected")
            logger.info("Rejected impossible dates %s on %s", item.article.rejected_dates,
                        item.final_url)
        if item.article.date_conflict:
            self.stats.inc_value("newscrawl/dates/conflict")
        return item


def _save(item: Any, site: str, run_id: int | None) -> Any:
    """The writer's job for one item (runs in the writer thread, inside the batch)."""
    def run(store: Store) -> Saved:
        if item.status == 304:
            return store.not_modified(item.url, run_id)
        if item.withdrawn:
            return store.withdraw(item.url, run_id, reason=item.withdrawn)
        result = item.result
        return store.save(item.article, site, run_id, fetched_url=item.final_url,
                          etag=item.headers.get("etag"),
                          last_modified=item.headers.get("last-modified"),
                          content_type=item.headers.get("content-type"),
                          raw_gzip=result.raw_gzip if result is not None else None,
                          raw=item.body or None,
                          template_version=result.template_version if result else None,
                          fetched_as=item.fetched_url, redirects=item.redirects)
    return run


class StorePipeline:
    """Writes articles through the one writer thread, keeps the run ledger, learns the template.

    It holds the database's run lock from open to close: a second run on the same database
    closes at once with the reason ``database_locked``.

    Outcome stats (``newscrawl/articles/*``, ``newscrawl/dedup/*``) are counted only when
    their batch is committed, so a database that fails mid-run (disk full, read-only) never
    reports as stored what was not: the spider closes with ``database_error`` and the
    rolled-back items are counted in ``newscrawl/store/lost``.

    Each new story's page teaches the site's template (the fingerprints its worker computed;
    nothing is parsed again here); the extraction pipeline applies the rules learned so far,
    and at the end of the run the run's pages are re-extracted on all workers if the rules
    changed, so the result does not depend on the order pages arrived in.
    """

    def __init__(self, crawler: Any, path: str) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.stats = crawler.stats
        self.path = path
        self.data = DataPath.of(crawler)
        self.flush_rows = settings.getint("NEWSCRAWL_FLUSH_ROWS")
        self.flush_seconds = settings.getfloat("NEWSCRAWL_FLUSH_SECONDS")
        self.max_bytes = settings.getint("NEWSCRAWL_DB_MAX_BYTES")
        self.in_flight = max(1, settings.getint("NEWSCRAWL_WRITER_QUEUE"))
        self.lock = RunLock(path)
        self.writer: Writer | None = None
        self.run_id: int | None = None
        self.site = ""
        self.failed = False
        self._room: asyncio.Semaphore | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> StorePipeline:
        settings = crawler.settings
        if not settings.getbool("NEWSCRAWL_STORE_ENABLED"):
            raise NotConfigured("NEWSCRAWL_STORE_ENABLED is off")
        pipeline = cls(crawler, settings.get("NEWSCRAWL_DB"))
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
        mode = "full" if getattr(spider, "full", False) else "incremental"
        try:
            self.writer = Writer(lambda: Store(self.path, batch_size=0, max_bytes=self.max_bytes),
                                 self.flush_rows, self.flush_seconds)
            self.run_id = self.writer.call(lambda s: s.start_run(self.site, mode=mode)).result()
            if self.data.learning:
                self.data.start_template(
                    self.writer.call(lambda s: s.load_template(self.site)).result())
        except (StoreError, sqlite3.Error) as exc:
            logger.error("%s", exc)
            self.stats.set_value("newscrawl/store/error", f"{self.path}: {exc}")
            if self.writer is not None:
                self.writer.close()
                self.writer = None
            self.lock.release()
            raise CloseSpider("database_unavailable") from None
        self.stats.set_value("newscrawl/run_id", self.run_id)  # the verdict goes to this row
        logger.info("Writing to %s (run %s)", self.path, self.run_id)

    def _fail(self, exc: Exception) -> None:
        """Give up on the database: count what was lost, close the spider (once)."""
        self.stats.inc_value("newscrawl/store/lost")
        if self.failed:
            return
        self.failed = True
        self.stats.set_value("newscrawl/store/error", f"{self.path}: {exc}")
        logger.error("Cannot write to the database %s: %s. Stopping the crawl; the items of "
                     "the open batch were rolled back, everything committed before is intact. "
                     "Check free disk space and write permission.", self.path, exc)
        self.crawler.engine.close_spider(self.crawler.spider, "database_error")

    async def process_item(self, item: Any) -> Any:
        if self.writer is None or self.failed:
            self.stats.inc_value("newscrawl/store/not_written")
            raise DropItem(f"no database: {item.final_url}", log_level="INFO")
        if self._room is None:
            self._room = asyncio.Semaphore(self.in_flight)  # back-pressure on the reactor
        learn = self.data.learn if self.data.learning else None
        result = item.result

        def after(saved: Saved) -> None:  # in the writer thread, once committed
            if learn is None or result is None:
                return
            if saved.outcome == "new":
                learn(result.page_print, result.body_print)
            if saved.outcome in ("new", "updated") or saved.copy:
                self.data.stored(saved.article_id, result)  # re-extracted if rules change

        async with self._room:
            try:
                saved = await asyncio.wrap_future(
                    self.writer.submit(_save(item, self.site, self.run_id), after))
            except sqlite3.Error as exc:
                self._fail(exc)
                raise DropItem(f"not stored ({exc}): {item.final_url}",
                               log_level="ERROR") from None
            except RuntimeError as exc:  # the writer stopped (the database failed before)
                self.stats.inc_value("newscrawl/store/not_written")
                raise DropItem(f"not stored ({exc}): {item.final_url}", log_level="INFO") from None
        if item.withdrawn:
            logger.info("Withdrawn (%s): %s", item.withdrawn, item.url)
        if saved.outcome == "duplicate":
            self.stats.inc_value(f"newscrawl/dedup/{saved.kind}")
            raise DropItem(f"{saved.kind} duplicate of {saved.url}: {item.final_url}",
                           log_level="INFO")
        self.stats.inc_value(f"newscrawl/articles/{saved.outcome}")
        item.result = None  # the stored page and prints are no longer needed
        return item

    def item_dropped(self, item: Any, response: Any, exception: Exception, spider: Any) -> None:
        """Remember pages that had no article, so the next run does not fetch them again."""
        if self.writer is not None and not self.failed and getattr(item, "skipped", None):
            url, site, reason = item.url, self.site, item.skipped
            future = self.writer.submit(lambda store: store.skip(url, site, reason))
            future.add_done_callback(self._skip_done)

    @staticmethod
    def _skip_done(future: Any) -> None:
        exc = future.exception()
        if exc is not None:
            logger.error("Cannot remember a skipped page: %s", exc)

    async def close_spider(self) -> None:
        """Flush, re-extract the run on all workers if the template changed, save it."""
        if self.writer is None or self.failed:
            return
        try:
            await asyncio.wrap_future(self.writer.flush())
            if not self.data.learning:
                return
            rules = self.data.template.rules()
            self.data.publish(rules)
            stale = self.data.stale(rules)
            if stale:
                site, pool = self.crawler.spider.site, self.data.pool()
                done = await asyncio.wrap_future(self.writer.call(
                    lambda store: reextract(store, site, rules, workers=pool, ids=stale)))
                self.stats.set_value("newscrawl/template/reextracted", done.changed)
                self.stats.set_value("newscrawl/template/rechecked", done.checked)
                logger.info("Template changed: re-extracted the %s pages of this run it "
                            "affects, %s bodies changed", done.checked, done.changed)
            template = self.data.template
            await asyncio.wrap_future(self.writer.call(
                lambda store: store.save_template(self.site, template)))
        except sqlite3.Error as exc:
            self.stats.set_value("newscrawl/store/error", f"{self.path}: {exc}")
            logger.error("Cannot finish the run in %s: %s", self.path, exc)
        finally:
            self.data.close_pool()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.writer is None:
            return
        holds = self.writer.hold_times
        self.stats.set_value("newscrawl/store/commits", len(holds))
        self.stats.set_value("newscrawl/store/lock_hold_p99_ms", round(1000 * percentile(holds, 0.99), 1))
        self.stats.set_value("newscrawl/store/lock_hold_max_ms", round(1000 * max(holds, default=0), 1))
        try:
            if not self.failed:
                self.writer.call(lambda store: store.finish_run(
                    self.run_id, reason, self.stats.get_stats())).result()
        except sqlite3.Error as exc:
            self.stats.set_value("newscrawl/store/error", f"{self.path}: {exc}")
            logger.error("Cannot finish the run in %s: %s", self.path, exc)
        finally:
            self.writer.close()
            self.writer = None
            self.lock.release()
