"""A damaged JOBDIR is moved aside before Scrapy reads it, so the run crawls instead of
ending in a traceback.

A SIGKILL or a full disk while Scrapy writes its JOBDIR leaves a truncated
``requests.queue/active.json``, queue file or ``spider.state``; Scrapy then fails while
opening the spider (``UnpicklingError``, ``JSONDecodeError``, "Scraper slot not assigned")
and stores nothing.  :class:`JobdirCheck` reads every file Scrapy will read (a copy of each
queue, so nothing is consumed), and when one does not load it renames the folder to
``<JOBDIR>.damaged-<UTC time>`` with a warning and counts ``newscrawl/jobdir/damaged``.  The
run then starts afresh; the database's state (known articles) still keeps it incremental.
"""

from __future__ import annotations

import json
import logging
import marshal
import pickle
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from queuelib import FifoDiskQueue, LifoDiskQueue
from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.utils.job import job_dir

logger = logging.getLogger(__name__)


def _check_queue(path: Path, deserialize: Any) -> None:
    """Pop every record of a copy of one disk queue (a LIFO file or a FIFO folder)."""
    with tempfile.TemporaryDirectory(prefix="newscrawl-jobdir-") as tmp:
        copy = Path(tmp) / path.name
        if path.is_dir():
            shutil.copytree(path, copy)
            queue: Any = FifoDiskQueue(copy)
        else:
            shutil.copyfile(path, copy)
            queue = LifoDiskQueue(copy)
        try:
            for _ in range(len(queue)):
                data = queue.pop()
                if data is None:
                    raise ValueError("fewer records than its header says")
                deserialize(data)
        finally:
            queue.close()


def jobdir_damage(jobdir: str | Path, disk_queue: str = "") -> str | None:
    """What is wrong with ``jobdir`` (the first file that does not load), or None."""
    root = Path(jobdir)
    deserialize = marshal.loads if "marshal" in disk_queue.lower() else pickle.loads
    state = root / "spider.state"
    checks: list[tuple[Path, Any]] = []
    if state.exists():
        checks.append((state, lambda p: pickle.loads(p.read_bytes())))
    queues = root / "requests.queue"
    active = queues / "active.json"
    if active.exists():
        checks.append((active, lambda p: json.loads(p.read_text(encoding="utf-8")).items()))
    if queues.is_dir():
        for slot in sorted(p for p in queues.iterdir() if p.is_dir()):
            for queue in sorted(slot.iterdir()):
                checks.append((queue, lambda p: _check_queue(p, deserialize)))
    for path, load in checks:
        try:
            load(path)
        except Exception as exc:  # anything a damaged file raises: that is the finding
            return f"{path.relative_to(root)}: {type(exc).__name__}: {exc}"
    return None


class JobdirCheck:
    """Scrapy extension: checks JOBDIR when the crawler is built, before the scheduler and
    the SpiderState extension open it."""

    def __init__(self, crawler: Any, damage: str | None) -> None:
        self.crawler = crawler
        self.damage = damage
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)

    @classmethod
    def from_crawler(cls, crawler: Any) -> JobdirCheck:
        jobdir = job_dir(crawler.settings)
        if not jobdir:
            raise NotConfigured
        damage = jobdir_damage(jobdir, crawler.settings.get("SCHEDULER_DISK_QUEUE") or "")
        if damage:
            stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
            aside = Path(f"{Path(jobdir).resolve()}.damaged-{stamp}")
            Path(jobdir).rename(aside)
            Path(jobdir).mkdir()
            logger.warning("JOBDIR %s is damaged (%s): moved to %s; this run starts a new "
                           "queue (stored articles are still skipped)", jobdir, damage, aside)
        return cls(crawler, damage)

    def spider_opened(self, spider: Any) -> None:
        if self.damage:
            self.crawler.stats.inc_value("newscrawl/jobdir/damaged")
