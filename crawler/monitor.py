"""Reactor lag: how late the event loop runs a timer, the measure of work done in it.

Everything slow (parsing, extraction, SQLite) belongs in the workers and the writer thread; if
some of it leaks back into the reactor, callbacks run late and downloads stall.  A timer asks to
run every ``INTERVAL`` seconds and records by how much it is late; the crawl's stats get the
p50/p99/max (``newscrawl/reactor/lag_*_ms``), so every run reports it.

The other thing that stops the loop is Python's collector: a full collection walks every
object of the process, and a crawl process holds Scrapy, Twisted, trafilatura and the site
profile (some 75,000 objects: 150-280 ms a collection on this machine).  Those live for the
whole run, so at the spider's start they are collected once and frozen (``gc.freeze``): later
collections walk only what the crawl itself created.  The pauses are reported too
(``newscrawl/gc/full_pauses``, ``newscrawl/gc/pause_max_ms``).
"""

from __future__ import annotations

import gc
import time
from typing import Any

from scrapy import signals
from twisted.internet import task

from pipelines.item_pipelines import percentile

INTERVAL = 0.05


class ReactorLag:
    def __init__(self, crawler: Any) -> None:
        self.stats = crawler.stats
        self.lags: list[float] = []
        self.loop: task.LoopingCall | None = None
        self.expected = 0.0
        self.pauses: list[float] = []
        self._gc_start = 0.0
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ReactorLag:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        gc.collect()
        gc.freeze()
        gc.callbacks.append(self._gc)
        self.expected = time.monotonic() + INTERVAL
        self.loop = task.LoopingCall(self._tick)
        self.loop.start(INTERVAL, now=False)

    def _tick(self) -> None:
        now = time.monotonic()
        self.lags.append(max(0.0, now - self.expected))
        self.expected = now + INTERVAL

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._gc_start = time.monotonic()
        elif self._gc_start:
            self.pauses.append(time.monotonic() - self._gc_start)

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self._gc in gc.callbacks:
            gc.callbacks.remove(self._gc)
        self.stats.set_value("newscrawl/gc/full_pauses", len(self.pauses))
        self.stats.set_value("newscrawl/gc/pause_max_ms", round(1000 * max(self.pauses, default=0), 1))
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if not self.lags:
            return
        for name, share in (("p50", 0.50), ("p99", 0.99), ("max", 1.0)):
            self.stats.set_value(f"newscrawl/reactor/lag_{name}_ms",
                                 round(1000 * percentile(self.lags, share), 1))
