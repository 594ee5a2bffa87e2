"""Extraction in worker processes under a hard per-page deadline.

trafilatura and libxml2 have no timeout of their own, and a hostile page (200,000 inline
elements in one paragraph) keeps one busy for tens of seconds.  Each page is extracted in a
pebble worker process; a page that overruns its deadline has its worker killed and replaced,
and the caller gets :class:`ExtractTimeout`, so one page never stalls the crawl.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import Future, TimeoutError as FutureTimeout
from typing import Any

from pebble import ProcessExpired, ProcessPool

from crawler.sites import Site
from pipelines.extract import Article, NoArticle, extract



class ExtractFailed(RuntimeError):
    """The worker did not return an article; ``reason`` is a stat-friendly slug."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ExtractTimeout(ExtractFailed):
    """The page overran the deadline; its worker was killed."""


def _context() -> Any:
    # A fork starts with the extractor already imported, so a replaced worker is ready in
    # milliseconds and its first page is not charged the import time against the deadline.
    # (forkserver/spawn would re-import the caller's __main__, which fails under pytest and
    # stdin scripts.)  Anything a fork could inherit badly is bounded by the deadline too.
    return multiprocessing.get_context("fork")


WARM_UP_PAGE = ("<html><body><article>" + "".join(
    f"<p>Paragraph {i}: a short story about the weather, the harvest and the markets.</p>"
    for i in range(5)) + "</article></body></html>").encode()


def warm_up() -> None:
    """Load the lazily initialised parts (langdetect's profiles, trafilatura's caches) once,
    in the parent, so every forked worker starts warm and no page is charged for them."""
    try:
        extract(WARM_UP_PAGE, "http://warm-up.invalid/a.html")
    except NoArticle:
        pass


class ExtractWorkers:
    """A pool of extraction processes; :meth:`submit` returns a future of an :class:`Article`."""

    def __init__(self, workers: int = 2, timeout: float = 60.0) -> None:
        self.timeout = timeout
        warm_up()
        self.pool = ProcessPool(max_workers=max(1, workers), context=_context())

    def submit(self, raw: bytes, url: str | None, site: Site | None,
               encoding: str | None = None, template: Any = None) -> Future:
        return self.pool.schedule(extract, args=(raw, url, site),
                                  kwargs={"encoding": encoding, "template": template},
                                  timeout=self.timeout)

    def result(self, future: Future) -> Article:
        """The future's article; a timeout or a dead worker becomes :class:`ExtractFailed`."""
        try:
            return future.result()
        except Exception as exc:
            raise translate(exc, self.timeout) from None

    def extract(self, raw: bytes, url: str | None, site: Site | None,
                encoding: str | None = None, template: Any = None) -> Article:
        """Blocking extraction with the deadline (for the CLI)."""
        return self.result(self.submit(raw, url, site, encoding, template))

    def extract_or_skip(self, raw: bytes, url: str | None, site: Site | None,
                        encoding: str | None = None, template: Any = None) -> Article:
        """:meth:`extract` for :func:`pipelines.extract.extract_many` and
        :func:`pipelines.reextract.reextract`: a page given up on becomes
        :class:`NoArticle`, so the other pages of the set still go through."""
        try:
            return self.extract(raw, url, site, encoding, template)
        except ExtractFailed as exc:
            raise NoArticle(exc.reason, str(exc)) from None

    def close(self) -> None:
        """Stop the workers now (a running extraction is abandoned) and reap them."""
        self.pool.stop()
        self.pool.join()

    def __enter__(self) -> ExtractWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def translate(exc: BaseException, timeout: float) -> BaseException:
    """Map a worker failure onto :class:`ExtractFailed`; extraction's own errors pass through."""
    if isinstance(exc, FutureTimeout):
        return ExtractTimeout("extract_timeout",
                              f"extraction took longer than {timeout:g} s; its worker was killed")
    if isinstance(exc, ProcessExpired):
        return ExtractFailed("extract_crashed", f"the extraction worker died ({exc})")
    return exc
