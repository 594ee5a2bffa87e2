"""Extraction in worker processes under a hard per-page deadline and a memory bound.

trafilatura and libxml2 have no timeout of their own, and a hostile page (200,000 inline
elements in one paragraph) keeps one busy for tens of seconds.  Each page is processed in a
pebble worker process; a page that overruns its deadline has its worker killed and replaced,
and the caller gets :class:`ExtractTimeout`, so one page never stalls the crawl.

Workers are started by a *forkserver*, not forked from the caller: the crawl's parent is
threaded (Twisted's pool, the writer) and holds the database's run lock, and a forked child
inherits both.  The forkserver is a fresh interpreter that preloads the extractor once
(:mod:`pipelines._warm`), so every worker it forks starts warm in milliseconds and none holds
the lock: a SIGKILLed crawl leaves no lock behind.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
from concurrent.futures import Future, TimeoutError as FutureTimeout
from typing import Any, Callable

from pebble import ProcessExpired, ProcessPool

from pipelines.article import Article, NoArticle
from pipelines.profile import SiteProfile

#: What the forkserver imports (and warms up) once, before it forks any worker.
PRELOAD = ["pipelines._warm"]


class ExtractFailed(RuntimeError):
    """The worker did not return an article; ``reason`` is a stat-friendly slug."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


class ExtractTimeout(ExtractFailed):
    """The page overran the deadline; its worker was killed."""


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


WARM_UP_PAGE = ("<html><body><article>" + "".join(
    f"<p>Paragraph {i}: a short story about the weather, the harvest and the markets.</p>"
    for i in range(5)) + "</article></body></html>").encode()


def warm_up() -> None:
    """Load the lazily initialised parts (langdetect's profiles, trafilatura's caches) once,
    so no page is charged for them against its deadline."""
    from pipelines.extract import extract

    try:
        extract(WARM_UP_PAGE, "http://warm-up.invalid/a.html")
    except NoArticle:
        pass


def _init_worker(memory_mb: int) -> None:
    """Runs in each worker: bound its memory, keep trafilatura's per-page warnings quiet."""
    # trafilatura warns "discarding data" for every page without a body; those pages are
    # counted as newscrawl/skipped/* by the caller already.
    logging.getLogger("trafilatura").setLevel(logging.ERROR)
    if memory_mb > 0:
        limit = memory_mb * 1024 * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


class RulesFile:
    """A site's template rules by reference: the file they were written to, and their
    version.  A crawl's rules grow with what it learns (thousands of fingerprints); sent with
    every page they would cost each page more as the crawl goes on.  A worker reads the file
    once per version and keeps the rules."""

    def __init__(self, rules: Any, folder: str) -> None:
        import os
        import pickle

        self.version = rules.version
        self.path = os.path.join(folder, f"rules-{self.version}.pickle")
        if not os.path.exists(self.path):
            tmp = f"{self.path}.{os.getpid()}"
            with open(tmp, "wb") as f:
                pickle.dump(rules, f)
            os.replace(tmp, self.path)


_RULES: dict[str, Any] = {}  # in a worker: version -> rules, the last few


def _rules(template: Any) -> Any:
    if not isinstance(template, RulesFile):
        return template
    if template.version not in _RULES:
        import pickle

        with open(template.path, "rb") as f:
            rules = pickle.load(f)
        if len(_RULES) >= 4:
            _RULES.pop(next(iter(_RULES)))
        _RULES[template.version] = rules
    return _RULES[template.version]


def _process(raw: bytes, url: str | None, site: SiteProfile | None, encoding: str | None,
             template: Any, learn: bool, links: bool, base: str | None = None) -> Any:
    from pipelines.extract import process_page

    return process_page(raw, url, site, encoding=encoding, template=_rules(template),
                        learn=learn, links=links, base=base)


def _extract(raw: bytes | str, url: str | None, site: SiteProfile | None,
             encoding: str | None, template: Any) -> Article:
    from pipelines.extract import extract

    return extract(raw, url, site, encoding=encoding, template=template)


def _extract_stored(raw_gzip: bytes, url: str | None, site: SiteProfile | None,
                    encoding: str | None, template: Any) -> Article:
    """Re-extraction of a stored page: decompressed here, so the caller never holds it."""
    import gzip

    return _extract(gzip.decompress(raw_gzip), url, site, encoding, template)


def _learn(raw: bytes | str, encoding: str | None) -> Any:
    from pipelines.extract import learn_page

    return learn_page(raw, encoding)


class ExtractWorkers:
    """A pool of extraction processes; each call returns a future of the page's result.

    ``memory_mb`` caps each worker's address space (``RLIMIT_AS``): a page that would need
    more fails with ``extract_memory`` instead of taking the machine; ``max_tasks`` renews
    a worker after that many pages."""

    def __init__(self, workers: int = 2, timeout: float = 60.0, memory_mb: int = 0,
                 max_tasks: int = 0) -> None:
        self.timeout = timeout
        self.size = max(1, workers)
        # max_tasks: a worker is replaced (forked warm from the forkserver, milliseconds)
        # after that many pages, so what a long crawl fragments or leaks stays bounded.
        self.pool = ProcessPool(max_workers=self.size, max_tasks=max(0, max_tasks),
                                context=_context(), initializer=_init_worker,
                                initargs=(memory_mb,))

    def submit(self, function: Callable[..., Any], *args: Any) -> Future:
        """Run a module-level function of the processing library under the deadline."""
        return self.pool.schedule(function, args=args, timeout=self.timeout)

    def process(self, raw: bytes, url: str | None, site: SiteProfile | None,
                encoding: str | None = None, template: Any = None, learn: bool = True,
                links: bool = True, base: str | None = None) -> Future:
        """A future of :func:`pipelines.extract.process_page`'s :class:`PageResult`."""
        return self.submit(_process, raw, url, site, encoding, template, learn, links, base)

    def submit_extract(self, raw: bytes | str, url: str | None, site: SiteProfile | None,
                       encoding: str | None = None, template: Any = None) -> Future:
        return self.submit(_extract, raw, url, site, encoding, template)

    def submit_stored(self, raw_gzip: bytes, url: str | None, site: SiteProfile | None,
                      encoding: str | None = None, template: Any = None) -> Future:
        """Extraction of a page as stored (gzip-compressed), decompressed in the worker."""
        return self.submit(_extract_stored, raw_gzip, url, site, encoding, template)

    def result(self, future: Future) -> Any:
        """The future's result; a timeout or a dead worker becomes :class:`ExtractFailed`."""
        try:
            return future.result()
        except Exception as exc:
            raise translate(exc, self.timeout) from None

    def extract(self, raw: bytes | str, url: str | None, site: SiteProfile | None,
                encoding: str | None = None, template: Any = None) -> Article:
        """Blocking extraction with the deadline (for the CLI)."""
        return self.result(self.submit_extract(raw, url, site, encoding, template))

    def extract_or_skip(self, raw: bytes | str, url: str | None, site: SiteProfile | None,
                        encoding: str | None = None, template: Any = None) -> Article:
        """:meth:`extract` for :func:`pipelines.extract.extract_many`: a page given up on
        becomes :class:`NoArticle`, so the other pages of the set still go through."""
        try:
            return self.extract(raw, url, site, encoding, template)
        except ExtractFailed as exc:
            raise NoArticle(exc.reason, str(exc)) from None

    def learn_pages(self, pages: list[bytes | str]) -> list[Any]:
        """What each page teaches the template, computed on all workers at once."""
        futures = [self.submit(_learn, raw, None) for raw in pages]
        prints = []
        for future in futures:
            try:
                prints.append(self.result(future))
            except (ExtractFailed, NoArticle):
                prints.append(None)
        return prints

    def close(self) -> None:
        """Stop the workers now (a running extraction is abandoned) and reap them."""
        self.pool.stop()
        self.pool.join()

    def __enter__(self) -> ExtractWorkers:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def extract_once(timeout: float, raw: bytes | str, url: str | None,
                 site: SiteProfile | None, encoding: str | None = None,
                 template: Any = None, memory_mb: int = 0) -> Article:
    """Extract one page in a child process killed at ``timeout``: the one-off command's path.

    The child is forked from the caller, which must be single-threaded (the CLI before it
    opens a writer): nothing to inherit badly, and no pool or forkserver to start, so a
    one-off costs one interpreter's imports.  Raises :class:`ExtractFailed` or
    :class:`NoArticle`."""
    import threading

    from pebble import concurrent

    if threading.active_count() > 1:  # never fork a threaded process: use a pool instead
        with ExtractWorkers(1, timeout, memory_mb) as workers:
            return workers.extract(raw, url, site, encoding, template)

    def run() -> Article:
        _init_worker(memory_mb)
        return _extract(raw, url, site, encoding, template)

    future = concurrent.process(timeout=timeout, context=multiprocessing.get_context("fork"))(run)()
    try:
        return future.result()
    except Exception as exc:
        raise translate(exc, timeout) from None


def translate(exc: BaseException, timeout: float) -> BaseException:
    """Map a worker failure onto :class:`ExtractFailed`; extraction's own errors pass through."""
    if isinstance(exc, FutureTimeout):
        return ExtractTimeout("extract_timeout",
                              f"extraction took longer than {timeout:g} s; its worker was killed")
    if isinstance(exc, ProcessExpired):
        return ExtractFailed("extract_crashed", f"the extraction worker died ({exc})")
    if isinstance(exc, MemoryError):
        return ExtractFailed("extract_memory", "the page needed more memory than a worker "
                             "may use (NEWSCRAWL_WORKER_MEMORY_MB)")
    return exc
