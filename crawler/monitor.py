"""Reactor lag: how late the event loop runs a timer, the measure of work done in it.

Everything slow (parsing, extraction, SQLite) belongs in the workers and the writer thread; if
some of it leaks back into the reactor, callbacks run late and downloads stall.  A timer asks to
run every ``INTERVAL`` seconds and records by how much it is late; the crawl's stats get the
p50/p99/max (``newscrawl/reactor/lag_*_ms``), so every run reports it.
"""

from __future__ import annotations

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
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Any) -> ReactorLag:
        return cls(crawler)

    def spider_opened(self, spider: Any) -> None:
        self.expected = time.monotonic() + INTERVAL
        self.loop = task.LoopingCall(self._tick)
        self.loop.start(INTERVAL, now=False)

    def _tick(self) -> None:
        now = time.monotonic()
        self.lags.append(max(0.0, now - self.expected))
        self.expected = now + INTERVAL

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        if not self.lags:
            return
        for name, share in (("p50", 0.50), ("p99", 0.99), ("max", 1.0)):
            self.stats.set_value(f"newscrawl/reactor/lag_{name}_ms",
                                 round(1000 * percentile(self.lags, share), 1))
