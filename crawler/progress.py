"""The crawl's progress line, read from Scrapy's stats collector.

On a terminal it is one line updated in place (a rich ``Progress``); in a cron log it is a
plain line every ``NEWSCRAWL_PROGRESS_INTERVAL`` seconds.  The figures come from the stats
only (``response_received_count``, ``newscrawl/pages/listing``, ``newscrawl/articles/*``,
``newscrawl/dedup/*``, ``newscrawl/skipped/*``, ``newscrawl/errors/*``), so the line knows
nothing of how the pipelines count.  ``newscrawl crawl`` turns it on (``NEWSCRAWL_PROGRESS``);
``scrapy crawl`` and scrapyd keep Scrapy's own LogStats line.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from typing import Any

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import create_looping_call

from crawler import console

TERMINAL_REFRESH = 0.5  # seconds between updates of the line on a terminal


def _total(stats: dict[str, Any], prefix: str) -> int:
    return sum(v for k, v in stats.items() if k.startswith(prefix) and isinstance(v, int))


def progress_text(stats: dict[str, Any], elapsed: float) -> str:
    """``pages 120 (listing 3) | articles new 40, updated 2, unchanged 5 | duplicates 3 |
    skipped 4 | errors 1 | 52 pages/min``."""
    pages = stats.get("response_received_count", 0)
    rate = pages / elapsed * 60 if elapsed > 0 else 0.0
    return (f"pages {pages} (listing {stats.get('newscrawl/pages/listing', 0)}) | "
            f"articles new {stats.get('newscrawl/articles/new', 0)}, "
            f"updated {stats.get('newscrawl/articles/updated', 0)}, "
            f"unchanged {stats.get('newscrawl/articles/unchanged', 0)} | "
            f"duplicates {_total(stats, 'newscrawl/dedup/')} | "
            f"skipped {_total(stats, 'newscrawl/skipped/')} | "
            f"errors {_total(stats, 'newscrawl/errors/')} | "
            f"{rate:.0f} pages/min")


class Progress:
    """Scrapy extension: shows :func:`progress_text` while the spider runs."""

    def __init__(self, stats: Any, interval: float, terminal: bool) -> None:
        self.stats = stats
        self.interval = interval
        self.terminal = terminal
        self.started = time.monotonic()
        self.task: Any = None
        self.bar: Any = None
        self.bar_task: Any = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> Progress:
        settings = crawler.settings
        if not settings.getbool("NEWSCRAWL_PROGRESS"):
            raise NotConfigured  # no message: Scrapy would log it as a warning, under -q too
        ext = cls(crawler.stats, settings.getfloat("NEWSCRAWL_PROGRESS_INTERVAL"),
                  console.is_terminal())
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        # After every spider_closed handler: the store commits its last batch there.
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    def spider_opened(self, spider: Any) -> None:
        self.started = time.monotonic()
        if self.terminal:
            from rich.progress import Progress as Bar, SpinnerColumn, TextColumn, TimeElapsedColumn
            from rich.table import Column

            # On a narrow terminal the line wraps (and is redrawn as two) rather than losing
            # its tail (errors, rate) to an ellipsis.
            text = TextColumn("{task.description}",
                              table_column=Column(no_wrap=False, overflow="fold"))
            self.bar = Bar(SpinnerColumn(), TimeElapsedColumn(), text,
                           console=console.console(), transient=False)
            self.bar_task = self.bar.add_task(self.text(), total=None)
            self.bar.start()
        self.task = create_looping_call(self.tick)
        self.task.start(TERMINAL_REFRESH if self.terminal else self.interval, now=False)

    def text(self) -> str:
        return progress_text(self.stats.get_stats(), time.monotonic() - self.started)

    def tick(self) -> None:
        if self.bar is not None:
            self.bar.update(self.bar_task, description=self.text())
            return
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        print(f"{stamp} progress: {self.text()}", file=sys.stderr, flush=True)

    def engine_stopped(self) -> None:
        if self.task is not None and self.task.running:
            self.task.stop()
        if self.bar is not None:
            self.bar.update(self.bar_task, description=self.text())
            self.bar.stop()
            self.bar = None
