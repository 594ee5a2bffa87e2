"""Distributed crawling on scrapy-redis: one shared frontier in Redis, any number of workers.

A worker (``newscrawl crawl --redis-url URL``) is the ordinary spider with scrapy-redis's
scheduler and duplicate filter, and four additions:

* **Nothing is lost when a worker dies.**  scrapy-redis pops a request destructively; here a
  pop moves it, in one Lua script, from the frontier into the worker's in-flight hash
  (``newscrawl:<site>:inflight:<worker>``), and it leaves that hash only once what came of
  it is itself in Redis: the requests its page links to are queued, its finished page is on
  the item queue, or it failed and was counted.  Each worker refreshes a heartbeat key with
  a TTL (``NEWSCRAWL_REDIS_LEASE_SECONDS``); every live worker, and the ingest, put the
  in-flight requests of a worker whose heartbeat expired back on the frontier.  A SIGKILLed
  worker costs a second fetch of the pages it had in flight, never a page.
* **Identity across workers.**  The duplicate filter's fingerprint is the key URL
  (:func:`pipelines.dedup.canonical_url`), so URL variants linked from pages that different
  workers read are still one request; the "already stored" check asks the known set the
  ingest publishes.
* **Storage stays in one process.**  The last item pipeline pushes the finished page as JSON
  to the item queue; a worker never opens the SQLite file.  The ingest
  (:mod:`crawler.ingest`) stores it through the same writer as a local crawl.
* **Queues are JSON** (:mod:`pipelines.wire`), never pickle; a payload that is not one of
  ours is refused, counted (``newscrawl/redis/refused``) and kept aside for a look.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Iterable
from typing import Any
from weakref import WeakKeyDictionary

import redis
import scrapy
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, DropItem, NotConfigured
from scrapy.utils.request import request_from_dict
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import task

from crawler.spiders.world import WorldSpider
from pipelines import wire
from pipelines.dedup import canonical_url
from pipelines.item_pipelines import DataPath
from pipelines.store import CrawlState

logger = logging.getLogger(__name__)

LEASE = "newscrawl_lease"  # request.meta: the in-flight entry this request came from

# Pop the best request and keep it in the worker's in-flight hash, in one step.
POP = """
local r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
if #r == 0 then return false end
redis.call('ZREM', KEYS[1], r[1])
redis.call('HSET', KEYS[2], r[1], r[2])
return r
"""
# Put a dead worker's in-flight requests back on the frontier (unless it came back to life).
REQUEUE = """
if redis.call('EXISTS', KEYS[1]) == 1 then return -1 end
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do redis.call('ZADD', KEYS[3], all[i + 1], all[i]) end
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[4], ARGV[1])
return #all / 2
"""


def connect(url: str) -> redis.Redis:
    """A client for ``url`` (``redis://[:PASSWORD@]HOST:PORT/DB``), bytes in and out."""
    return redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=5,
                                retry_on_timeout=True, health_check_interval=30)


def requeue_dead(server: redis.Redis, keys: wire.Keys, alive: str | None = None) -> int:
    """Put the in-flight requests of every worker whose heartbeat expired back on the
    frontier; returns how many.  Any live worker and the ingest call it periodically."""
    script = server.register_script(REQUEUE)
    moved = 0
    for raw in server.smembers(keys.workers):
        worker = raw.decode()
        if worker == alive:
            continue
        n = script(keys=[keys.alive(worker), keys.inflight(worker), keys.requests,
                         keys.workers], args=[worker])
        if n and n > 0:
            logger.warning("Worker %s stopped answering: %s of its requests put back on "
                           "the frontier", worker, n)
            moved += n
    return moved


def frontier_size(server: redis.Redis, keys: wire.Keys) -> int:
    """Requests waiting plus requests in flight at any worker of the site."""
    pipe = server.pipeline(transaction=False)
    pipe.zcard(keys.requests)
    workers = [w.decode() for w in server.smembers(keys.workers)]
    for worker in workers:
        pipe.hlen(keys.inflight(worker))
    return sum(pipe.execute())


def new_run(server: redis.Redis, keys: wire.Keys, replace: bool) -> str:
    """The run token the site's items are counted under; ``replace`` starts a new run."""
    token = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    pipe = server.pipeline()
    if replace:
        pipe.set(keys.run, token)
    else:
        pipe.set(keys.run, token, nx=True)
    pipe.sadd(keys.sites, keys.site)
    pipe.get(keys.run)
    return pipe.execute()[-1].decode()


class Worker:
    """One worker's share of the distributed state (one per crawler, like DataPath): its id,
    its Redis client and keys, its leases (requests popped, not yet done), its heartbeat,
    the run it counts under, and the idle exit.  Also the Scrapy extension that drives it."""

    _of: WeakKeyDictionary[Any, Worker] = WeakKeyDictionary()

    def __init__(self, crawler: Any) -> None:
        settings = crawler.settings
        url = settings.get("NEWSCRAWL_REDIS_URL")
        if not url:
            raise NotConfigured("NEWSCRAWL_REDIS_URL is not set")
        self.crawler = crawler
        self.server = connect(url)
        self.keys = wire.Keys(settings.get("NEWSCRAWL_REDIS_SITE"))
        self.id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
        self.heartbeat_seconds = settings.getfloat("NEWSCRAWL_REDIS_HEARTBEAT")
        self.lease_seconds = settings.getfloat("NEWSCRAWL_REDIS_LEASE_SECONDS")
        self.idle_exit = settings.getfloat("NEWSCRAWL_REDIS_IDLE_EXIT")
        self.leases: dict[str, bytes] = {}  # lease -> the payload in the in-flight hash
        self.pending: dict[str, int] = {}  # lease -> items of its page not yet done
        self._numbers = itertools.count(1)
        self.run: str | None = None
        self._base: dict[str, float] = {}
        self.idle_since: float | None = None
        self.queue: LeasedQueue | None = None
        self._loop: task.LoopingCall | None = None
        self._closing = False
        self._next_rescue = 0.0
        self._lost: float | None = None  # when Redis stopped answering the heartbeat
        # Redis failed under a queue operation: nothing is released any more (what this
        # worker holds comes back from its in-flight hash) and the worker stops.
        self.broken = False

    def fail(self, exc: Exception) -> None:
        """Redis is gone or refuses us: stop, releasing nothing (see ``broken``)."""
        self.crawler.stats.inc_value("newscrawl/redis/errors")
        if self.broken:
            return
        self.broken = True
        logger.error("Lost Redis (%s): the worker stops; the requests it held go back on the "
                     "frontier when its heartbeat expires", exc)
        from scrapy.utils.defer import deferred_from_coro

        if self.crawler.engine is not None:
            deferred_from_coro(self.crawler.engine.close_spider_async(reason="redis_error"))

    @classmethod
    def of(cls, crawler: Any) -> Worker:
        if crawler not in cls._of:
            cls._of[crawler] = cls(crawler)
        return cls._of[crawler]

    @classmethod
    def from_crawler(cls, crawler: Any) -> Worker:
        worker = cls.of(crawler)
        crawler.signals.connect(worker.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(worker.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(worker.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(worker.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(worker.item_done, signal=signals.item_dropped)
        crawler.signals.connect(worker.item_done, signal=signals.item_error)
        crawler.signals.connect(worker.spider_error, signal=signals.spider_error)
        return worker

    # -- leases -----------------------------------------------------------------------------
    def lease(self, payload: bytes) -> str:
        name = f"{next(self._numbers)}"
        self.leases[name] = payload
        return name

    def release(self, lease: str | None) -> None:
        """The request of ``lease`` is done: everything that came of it is in Redis."""
        if lease is None or lease not in self.leases or self.broken:
            return
        self.pending.pop(lease, None)
        try:
            self.server.hdel(self.keys.inflight(self.id), self.leases[lease])
        except redis.RedisError as exc:
            self.fail(exc)
            return
        del self.leases[lease]

    def item_started(self, lease: str | None) -> None:
        if lease in self.leases:
            self.pending[lease] = self.pending.get(lease, 0) + 1

    def item_finished(self, lease: str | None) -> None:
        if lease not in self.pending:
            return
        self.pending[lease] -= 1
        if self.pending[lease] <= 0:
            self.release(lease)

    # -- signals ----------------------------------------------------------------------------
    def spider_opened(self, spider: Any) -> None:
        self.beat()
        self.server.sadd(self.keys.workers, self.id)
        self.server.sadd(self.keys.sites, self.keys.site)
        # The ingest re-extracts with the profile the workers used (a --site-file too).
        from crawler.sites import site_to_dict

        self.server.set(self.keys.profile, json.dumps(site_to_dict(spider.site)))
        self.refresh()
        logger.info("Worker %s on the frontier %s", self.id, self.keys.requests)
        self._loop = task.LoopingCall(self.tick)
        self._loop.start(self.heartbeat_seconds, now=False).addErrback(
            lambda f: logger.error("The worker's heartbeat stopped: %s", f.getErrorMessage()))

    def beat(self) -> None:
        self.server.set(self.keys.alive(self.id), "1", px=int(self.lease_seconds * 1000))

    def tick(self) -> None:
        """Every heartbeat: stay alive, rescue dead workers' requests, follow the run and
        the template, report counts, wake the engine for new requests, exit when idle."""
        if self._closing:
            return
        try:
            self.beat()
            self.server.sadd(self.keys.workers, self.id)
            if time.monotonic() >= self._next_rescue:  # every half lease is soon enough
                self._next_rescue = time.monotonic() + self.lease_seconds / 2
                requeue_dead(self.server, self.keys, alive=self.id)
            self.refresh()
            self.push_stats()
            self.wake()
            self._lost = None
        except redis.RedisError as exc:
            # A short outage (a restart, a failover) is waited out; one longer than a lease
            # means this worker's requests are being handed to others: stop.
            self.crawler.stats.inc_value("newscrawl/redis/errors")
            now = time.monotonic()
            if self._lost is None:
                self._lost = now
                logger.warning("Cannot reach Redis (%s); waiting up to %.0f s", exc,
                               self.lease_seconds)
            elif now - self._lost >= self.lease_seconds:
                self.fail(exc)

    def refresh(self) -> None:
        """Follow the run token and the template rules the ingest publishes."""
        token = self.server.get(self.keys.run)
        token = token.decode() if token else None
        if token != self.run:
            self.push_stats()
            self.run = token
            self._base = self._numbers_of(self.crawler.stats.get_stats())
            spider = self.crawler.spider
            if isinstance(spider, DistributedSpider):
                spider.known_cache.clear()
        version, rules = self.server.hmget(self.keys.template, ["version", "rules"])
        data = DataPath.of(self.crawler)
        if version and rules and version.decode() != data.rules.version:
            data.publish(wire.load_rules(rules))
            self.crawler.stats.inc_value("newscrawl/redis/template_updates")

    @staticmethod
    def _numbers_of(stats: dict[str, Any]) -> dict[str, float]:
        return {k: v for k, v in stats.items()
                if isinstance(v, (int, float)) and not isinstance(v, bool)}

    def push_stats(self) -> None:
        """This worker's counts in the current run (since it joined it), for the ledger."""
        if self.run is None:
            return
        stats = dict(self.crawler.stats.get_stats())
        numbers = self._numbers_of(stats)
        delta = {k: v - self._base.get(k, 0) for k, v in numbers.items()
                 if v != self._base.get(k, 0)}
        self.server.hset(self.keys.run_stats(self.run), self.id, json.dumps(delta))

    def wake(self) -> None:
        """Scrapy's engine asks an empty scheduler again only every 5 s: when it last found
        nothing and the frontier has requests now, take one and hand it to the engine
        (which then asks the scheduler for more at once).  With ``idle_exit``, close once
        nothing is waiting or in flight anywhere for that long."""
        engine = self.crawler.engine
        if engine is None or self.queue is None or self._closing:
            return
        if self.queue.starved:
            request = self.queue.pop()
            if request is not None:
                self.queue.starved = False
                self.queue.prefetched.append(request)
                engine.crawl(request)  # the scheduler serves it from `prefetched`
        if not engine.spider_is_idle() or frontier_size(self.server, self.keys):
            self.idle_since = None
            return
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if self.idle_exit > 0 and now - self.idle_since >= self.idle_exit:
            from scrapy.utils.defer import deferred_from_coro

            logger.info("Nothing waiting or in flight for %.0f s: the worker exits",
                        now - self.idle_since)
            self._closing = True
            deferred_from_coro(engine.close_spider_async(reason="finished"))

    def spider_idle(self, spider: Any) -> None:
        """A worker waits for new requests (``--idle-exit`` ends the wait, see :meth:`wake`)."""
        raise DontCloseSpider

    def request_dropped(self, request: Any, spider: Any) -> None:
        self.release(request.meta.get(LEASE))

    def item_done(self, item: Any, response: Any = None, exception: Any = None,
                  spider: Any = None, failure: Any = None) -> None:
        """A dropped page: remember why it had no article (the ingest keeps it in
        ``skipped_pages``), then its request is done."""
        lease = getattr(item, "lease", None)
        if getattr(item, "skipped", None):
            try:
                self.push_page(wire.Page(self.item_id(), "skip", item.site, self.run,
                                         _item_fields(item)))
            except redis.RedisError as exc:
                self.fail(exc)
                return  # not released: another worker fetches it again
        self.item_finished(lease)

    def spider_error(self, failure: Any, response: Any, spider: Any) -> None:
        request = getattr(response, "request", None)
        if request is not None:
            self.release(request.meta.get(LEASE))

    def item_id(self) -> str:
        return f"{self.id}:{next(self._numbers)}"

    def push_page(self, page: wire.Page) -> None:
        self.server.lpush(self.keys.items, wire.dump_page(page))
        self.crawler.stats.inc_value(f"newscrawl/redis/queued_{page.kind}s")

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Report the final counts; requests still held go back on the frontier."""
        self._closing = True
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        try:
            self.push_stats()
            self.server.delete(self.keys.alive(self.id))
            left = self.server.register_script(REQUEUE)(
                keys=[self.keys.alive(self.id), self.keys.inflight(self.id),
                      self.keys.requests, self.keys.workers], args=[self.id])
            if left:
                logger.info("%s requests this worker held went back on the frontier", left)
        except redis.RedisError as exc:
            logger.error("Redis, while closing: %s (requests this worker held come back "
                         "when its heartbeat expires)", exc)


def _item_fields(item: Any) -> dict[str, Any]:
    return {"url": item.url, "final_url": item.final_url, "fetched_url": item.fetched_url,
            "redirects": list(item.redirects), "status": item.status,
            "withdrawn": item.withdrawn, "headers": dict(item.headers),
            "skipped": item.skipped}


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue, popping into the worker's in-flight hash (see the
    module docstring), refusing payloads that are not our JSON."""

    def __init__(self, server: Any, spider: Any, key: str, serializer: Any = None) -> None:
        super().__init__(server, spider, key, serializer=serializer or wire)
        self.worker = Worker.of(spider.crawler)
        self.worker.queue = self
        self.prefetched: deque[Any] = deque()
        self.starved = False  # the engine last asked for a request and got none
        self._pop = server.register_script(POP)
        self.stats = spider.crawler.stats

    def push(self, request: Any) -> None:
        """Queue ``request``; one that replaces a leased one (a redirect, a retry) releases
        that lease in the same transaction."""
        old = request.meta.pop(LEASE, None)
        try:
            data = self._encode_request(request)
        except (TypeError, ValueError) as exc:
            self.stats.inc_value("newscrawl/redis/unserializable")
            logger.error("Cannot queue %s: %s", request.url, exc)
            self.worker.release(old)
            return
        pipe = self.server.pipeline()
        pipe.zadd(self.key, {data: -request.priority})
        payload = self.worker.leases.get(old) if old and not self.worker.broken else None
        if payload is not None:
            pipe.hdel(self.worker.keys.inflight(self.worker.id), payload)
        try:
            pipe.execute()
        except redis.RedisError as exc:
            self.worker.fail(exc)
            return
        if payload is not None:
            self.worker.leases.pop(old, None)
            self.worker.pending.pop(old, None)

    def pop(self, timeout: int = 0) -> Any:
        if self.worker.broken:
            return None
        while True:
            try:
                found = self._pop(keys=[self.key, self.worker.keys.inflight(self.worker.id)])
            except redis.RedisError as exc:
                self.worker.fail(exc)
                return None
            if not found:
                return None
            payload = found[0]
            try:
                request = self._decode_request(payload)
            except (wire.PayloadRefused, ValueError, TypeError) as exc:
                self._refuse(payload, exc)
                continue
            request.meta[LEASE] = self.worker.lease(payload)
            return request

    def _refuse(self, payload: bytes, exc: Exception) -> None:
        """Never run what is not ours: count it, keep a copy aside, drop it from flight."""
        self.stats.inc_value("newscrawl/redis/refused")
        logger.error("Refused a request payload from %s that is not newscrawl's JSON: %s "
                     "(kept in %s)", self.key, exc, self.worker.keys.refused)
        pipe = self.server.pipeline()
        pipe.lpush(self.worker.keys.refused, payload[:4096])
        pipe.ltrim(self.worker.keys.refused, 0, 99)
        pipe.hdel(self.worker.keys.inflight(self.worker.id), payload)
        pipe.execute()

    def _decode_request(self, encoded_request: bytes) -> Any:
        return request_from_dict(wire.loads(encoded_request), spider=self.spider)


class Scheduler(RedisScheduler):
    """scrapy-redis's scheduler that never flushes the shared frontier on close (other
    workers are still on it) and serves first what the worker took while waking up."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> Scheduler:
        instance = cls.from_settings(crawler.settings)
        instance.counts = crawler.stats  # scrapy-redis's own counting uses a deprecated API
        return instance

    def close(self, reason: str) -> None:
        return None  # the frontier and the duplicate filter belong to every worker

    def enqueue_request(self, request: Any) -> bool:
        queue = self.queue
        if any(request is r for r in queue.prefetched):
            return True  # taken from the frontier by Worker.wake: next_request serves it
        try:
            queued = super().enqueue_request(request)
        except redis.RedisError as exc:  # the duplicate filter could not be asked
            self.queue.worker.fail(exc)
            return False
        if queued:
            self.counts.inc_value("scheduler/enqueued/redis")
        return queued

    def next_request(self) -> Any:
        if self.queue.prefetched:
            request = self.queue.prefetched.popleft()
        else:
            request = super().next_request()
            self.queue.starved = request is None
        if request is not None:
            self.counts.inc_value("scheduler/dequeued/redis")
        return request

    def has_pending_requests(self) -> bool:
        if self.queue.prefetched:
            return True
        if self.queue.worker.broken:
            return False
        try:
            return super().has_pending_requests()
        except redis.RedisError as exc:
            self.queue.worker.fail(exc)
            return False


class KeyDupeFilter(RFPDupeFilter):
    """scrapy-redis's duplicate filter on the key URL: ``/a?utm_source=x`` linked on one
    worker's page and ``/a`` on another's are one request.  A redirect's next hop is
    fingerprinted by its URL as requested (as Scrapy's own filter does)."""

    def __init__(self, server: Any, key: str, debug: bool = False, site: Any = None) -> None:
        super().__init__(server, key, debug)
        self.site = site

    @classmethod
    def from_spider(cls, spider: Any) -> KeyDupeFilter:
        instance = super().from_spider(spider)
        instance.site = getattr(spider, "site", None)
        return instance

    def request_fingerprint(self, request: Any) -> str:
        if self.site is None or request.meta.get("redirect_urls"):
            return super().request_fingerprint(request)
        return wire.fingerprint(request.method, canonical_url(request.url, self.site))

    def close(self, reason: str = "") -> None:
        return None  # shared with the other workers: cleared by the next --seed only


class LeaseMiddleware:
    """Spider middleware closest to the engine: marks when a page's output is safe.

    The requests a page yields are queued here, at once (Scrapy's own loop would queue them
    a little later, after this page's lease could already be released); its items carry
    the lease to the item pipelines, and the lease is released when the last one is done."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.worker = Worker.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> LeaseMiddleware:
        if not crawler.settings.get("NEWSCRAWL_REDIS_URL"):
            raise NotConfigured("NEWSCRAWL_REDIS_URL is not set")
        return cls(crawler)

    async def process_spider_output_async(self, response: Any, result: AsyncIterator[Any]
                                          ) -> AsyncIterator[Any]:
        lease = response.meta.get(LEASE)
        self.worker.item_started(lease)  # the page itself, until its output is done
        try:
            async for output in result:
                if self._kept(output, lease):
                    yield output
        finally:
            self.worker.item_finished(lease)

    def process_spider_output(self, response: Any, result: Iterable[Any]) -> Iterable[Any]:
        lease = response.meta.get(LEASE)
        self.worker.item_started(lease)
        try:
            for output in result:
                if self._kept(output, lease):
                    yield output
        finally:
            self.worker.item_finished(lease)

    def _kept(self, output: Any, lease: Any) -> bool:
        """Queue a request now (False: not passed on); an item carries the page's lease."""
        if isinstance(output, scrapy.Request):
            self.crawler.engine.crawl(output)
            return False
        self.worker.item_started(lease)
        output.lease = lease
        return True


class RedisItemsPipeline:
    """The workers' last item pipeline: the finished page goes to the ingest's queue."""

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.worker = Worker.of(crawler)

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedisItemsPipeline:
        if not crawler.settings.get("NEWSCRAWL_REDIS_URL"):
            raise NotConfigured("NEWSCRAWL_REDIS_URL is not set")
        return cls(crawler)

    def process_item(self, item: Any) -> Any:
        result = item.result
        lease = getattr(item, "lease", None)
        page = wire.Page(
            id=self.worker.item_id(), kind="page", site=item.site, run=self.worker.run,
            item=_item_fields(item), article=item.article,
            raw_gzip=result.raw_gzip if result is not None else None,
            template_version=result.template_version if result is not None else "none",
            page_print=result.page_print if result is not None else None,
            body_print=result.body_print if result is not None else None)
        try:
            self.worker.push_page(page)
        except redis.RedisError as exc:
            item.lease = None  # not done: its request comes back from this worker's flight
            self.worker.fail(exc)
            raise DropItem(f"not queued for the ingest ({exc}): {item.final_url}",
                           log_level="ERROR") from None
        item.result = None
        self.worker.item_finished(lease)
        return item


class SharedKnown:
    """The stored key URLs, as the ingest publishes them to Redis (a set of digests),
    asked once per URL and remembered for the run."""

    def __init__(self, worker: Worker, cache: dict[str, bool]) -> None:
        self.worker, self.cache = worker, cache

    def __contains__(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        if url not in self.cache:
            try:
                found = self.worker.server.sismember(self.worker.keys.known, wire.digest(url))
            except redis.RedisError as exc:
                self.worker.fail(exc)
                return True  # not followed now; the page it is on comes back to a worker
            self.cache[url] = bool(found)
        return self.cache[url]

    def __len__(self) -> int:
        return len(self.cache)

    def __bool__(self) -> bool:
        return True


class DistributedSpider(WorldSpider):
    """The world spider as a worker: its "already stored" check asks Redis; it seeds the
    frontier only with ``seed``; the incremental stop's count travels with the listing
    page requests (the next page may be read by another worker); a failed request's lease
    is released once it is counted."""

    def __init__(self, *args: Any, seed: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.seed = seed
        self.known_cache: dict[str, bool] = {}

    async def start(self) -> AsyncIterator[scrapy.Request]:
        worker = Worker.of(self.crawler)
        self.db_state = CrawlState(SharedKnown(worker, self.known_cache), (), True)
        if not self.seed:
            return
        waiting = frontier_size(worker.server, worker.keys)
        if waiting:
            self.logger.warning("Not seeding: %s requests are still on the frontier or in "
                                "flight (a run is going on); this worker joins it", waiting)
            return
        worker.server.delete(worker.keys.dupefilter)
        worker.run = None
        new_run(worker.server, worker.keys, replace=True)
        worker.refresh()
        self.logger.info("Seeded run %s: %s", worker.run, ", ".join(self.site.start_urls))
        for url in self.site.start_urls:
            yield self._request(url, self.parse_listing, page=0, known_streak=0,
                                full=self.full)
        for url in self.site.feeds:
            yield self._request(url, self.parse_feed)
        for url in self.site.sitemaps:
            yield self._request(url, self.parse_sitemap)

    async def parse_listing(self, response: Any) -> AsyncIterator[scrapy.Request]:
        self.known_streak = response.meta.get("known_streak", 0)
        self.full = bool(response.meta.get("full", self.full))
        self.stopped = self.known_streak >= self.site.stop_after_known
        async for request in super().parse_listing(response):
            if request.meta.get("page") is not None:
                request.meta["known_streak"] = self.known_streak
                request.meta["full"] = self.full
            yield request

    def on_error(self, failure: Any) -> None:
        super().on_error(failure)
        Worker.of(self.crawler).release(failure.request.meta.get(LEASE))


def worker_settings(settings: Any, redis_url: str, site: str, idle_exit: float) -> None:
    """Turn a crawl's settings into a worker's: scrapy-redis scheduler and filter, JSON
    queues, the item queue instead of the database."""
    settings.set("NEWSCRAWL_REDIS_URL", redis_url, priority="cmdline")
    settings.set("NEWSCRAWL_REDIS_SITE", site, priority="cmdline")
    settings.set("NEWSCRAWL_REDIS_IDLE_EXIT", idle_exit, priority="cmdline")
    keys = wire.Keys(site)
    settings.set("REDIS_URL", redis_url, priority="cmdline")
    settings.set("SCHEDULER", "crawler.distributed.Scheduler", priority="cmdline")
    settings.set("SCHEDULER_QUEUE_CLASS", "crawler.distributed.LeasedQueue", priority="cmdline")
    settings.set("SCHEDULER_QUEUE_KEY", keys.requests, priority="cmdline")
    settings.set("DUPEFILTER_CLASS", "crawler.distributed.KeyDupeFilter", priority="cmdline")
    settings.set("SCHEDULER_DUPEFILTER_KEY", keys.dupefilter, priority="cmdline")
    settings.set("SCHEDULER_SERIALIZER", "pipelines.wire", priority="cmdline")
    settings.set("SCHEDULER_PERSIST", True, priority="cmdline")
    settings.set("NEWSCRAWL_STORE_ENABLED", False, priority="cmdline")
    pipelines = dict(settings.getdict("ITEM_PIPELINES"))
    pipelines.pop("pipelines.item_pipelines.StorePipeline", None)
    pipelines["crawler.distributed.RedisItemsPipeline"] = 800
    settings.set("ITEM_PIPELINES", pipelines, priority="cmdline")
    extensions = dict(settings.getdict("EXTENSIONS"))
    extensions["crawler.distributed.Worker"] = 100
    settings.set("EXTENSIONS", extensions, priority="cmdline")
    middlewares = dict(settings.getdict("SPIDER_MIDDLEWARES"))
    middlewares["crawler.distributed.LeaseMiddleware"] = 1
    settings.set("SPIDER_MIDDLEWARES", middlewares, priority="cmdline")


def enqueue_urls(server: redis.Redis, site: Any, urls: Iterable[str]
                 ) -> tuple[int, list[tuple[str, str]]]:
    """Put ``urls`` of ``site`` on its frontier as the spider would request them; returns
    how many were queued and the (URL, reason) of those refused (another host, a URL that
    is neither an article, a listing page, a feed nor a sitemap of the site)."""
    from urllib.parse import urlsplit

    from pipelines.dedup import request_url

    keys = wire.Keys(site.name)
    refused: list[tuple[str, str]] = []
    pipe = server.pipeline()
    queued = 0
    for url in urls:
        key = canonical_url(url, site)
        parts = urlsplit(key)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        meta: dict[str, Any] = {}
        if parts.netloc != site.primary_host:
            refused.append((url, f"not on {site.primary_host}"))
            continue
        if url in site.feeds:
            callback = "parse_feed"
        elif url in site.sitemaps:
            callback = "parse_sitemap"
        elif site.is_article(path):
            callback = "parse_article"
        elif site.listing_page_number(path) is not None:
            callback = "parse_listing"
            meta = {"page": site.listing_page_number(path), "known_streak": 0, "full": False}
        else:
            refused.append((url, "neither an article, a listing page, a feed nor a sitemap "
                                 "of the site"))
            continue
        request = {"url": request_url(url, site), "callback": callback, "errback": "on_error",
                   "method": "GET", "headers": {}, "body": b"", "cookies": {}, "meta": meta,
                   "encoding": "utf-8", "priority": 0, "dont_filter": False, "flags": [],
                   "cb_kwargs": {}}
        pipe.zadd(keys.requests, {wire.dumps(request): 0})
        pipe.sadd(keys.dupefilter, wire.fingerprint("GET", key))
        queued += 1
    pipe.execute()
    if queued:
        new_run(server, keys, replace=False)
    return queued, refused


def push_revisits(server: redis.Redis, keys: wire.Keys, due: list[dict[str, Any]]) -> int:
    """Put the revisits of stored stories on the site's frontier as the local crawl starts
    them (``WorldSpider.start``): a conditional GET of the URL as fetched, with the stored
    ``etag`` and ``last_modified``, ``dont_filter`` (its answer is wanted even when it
    redirects to a page this run fetches anyway), its 304/404/410 handled by the pipelines.
    ``due`` holds rows with ``fetch_url``, ``etag`` and ``last_modified``; returns how many."""
    from crawler.spiders.world import REVISIT_STATUSES

    if not due:
        return 0
    pipe = server.pipeline(transaction=False)
    for row in due:
        headers = {}
        if row.get("etag"):
            headers["If-None-Match"] = [row["etag"]]
        if row.get("last_modified"):
            headers["If-Modified-Since"] = [row["last_modified"]]
        request = {"url": row["fetch_url"], "callback": "parse_article", "errback": "on_error",
                   "method": "GET", "headers": headers, "body": b"", "cookies": {},
                   "meta": {"revisit": True, "handle_httpstatus_list": REVISIT_STATUSES},
                   "encoding": "utf-8", "priority": 0, "dont_filter": True, "flags": [],
                   "cb_kwargs": {}}
        pipe.zadd(keys.requests, {wire.dumps(request): 0})
    pipe.execute()
    return len(due)
