"""Whether a finished crawl succeeded: the exit status decided from its stats alone, by the
:class:`RunVerdict` extension, whichever command ran the crawl."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from scrapy import signals

from crawler.summary import download_failures, finish_words, reason_words

logger = logging.getLogger(__name__)

# How to accept a site whose certificate is not valid (said where a TLS failure is logged).
TLS_HINT = ("set -s DOWNLOAD_VERIFY_CERTIFICATES=False, or verify_certificates = false in "
            "the site profile, for a site you trust without a valid certificate")

# More than this share of pages failing (download errors, extraction timeouts) fails the run.
DEFAULT_MAX_FAILURE_RATIO = 0.25


def failures(stats: dict[str, Any]) -> int:
    """Pages that failed for a reason outside the page's content: network, HTTP, workers."""
    return sum(v for k, v in stats.items()
               if k.startswith(("newscrawl/errors/", "newscrawl/skipped/extract_")))


def failure_reason(stats: dict[str, Any],
                   max_failure_ratio: float = DEFAULT_MAX_FAILURE_RATIO) -> str | None:
    """Why the run failed, or None when it succeeded.

    A run fails when it did not finish normally, fetched nothing, fetched article pages but
    stored none of them (new, updated, unchanged, not modified or a duplicate of a stored
    story all count), or when more than ``max_failure_ratio`` of the pages it tried failed.
    """
    reason = stats.get("finish_reason")
    if stats.get("newscrawl/store/error"):
        return (f"the database could not be written ({stats['newscrawl/store/error']}); "
                f"{stats.get('newscrawl/store/lost', 0)} item(s) of the open batch were "
                "rolled back, everything reported as stored is in the database")
    if reason != "finished":
        return f"the crawl did not finish normally: {reason}"
    if not stats.get("newscrawl/pages/article") and not stats.get("newscrawl/pages/listing"):
        if stats.get("newscrawl/robotstxt/disallow_all/server_error"):
            return ("robots.txt answered with a server error, so nothing was crawled "
                    "(RFC 9309: 5xx means disallow for this run); try again later")
        if stats.get("newscrawl/errors/tls") and not stats.get("response_received_count"):
            return ("nothing was fetched: the site's TLS certificate could not be verified "
                    "(see the log); " + TLS_HINT)
        if not stats.get("downloader/response_status_count/200"):
            return "nothing was fetched: is the site reachable?"
    failed = failures(stats)
    tried = failed + stats.get("newscrawl/pages/article", 0) + stats.get("newscrawl/pages/listing", 0)
    if tried and failed / tried > max_failure_ratio:
        return (f"{failed} of {tried} pages failed ({failed / tried:.0%}, more than "
                f"NEWSCRAWL_MAX_FAILURE_RATIO={max_failure_ratio:g})")
    stored = sum(v for k, v in stats.items()
                 if k.startswith(("newscrawl/articles/", "newscrawl/dedup/")))
    fetched = stats.get("newscrawl/pages/article", 0)
    unread = (stats.get("newscrawl/skipped/listing_too_deep", 0)
              + stats.get("newscrawl/skipped/listing_no_links", 0))
    if not stored and not fetched and unread:
        return (f"nothing was stored: {unread} listing page(s) gave no links (nested deeper "
                "than the HTML parser goes, or none at all; see the log)")
    if not stored and (fetched or stats.get("newscrawl/skipped/robots_forbidden")):
        # An incremental run that found no new links fetches no article and is fine.
        return (f"nothing was stored: {fetched} article pages fetched, none held an article, "
                f"{stats.get('newscrawl/skipped/robots_forbidden', 0)} forbidden by robots.txt "
                "(see Skipped and Errors above)")
    return None


# Exit codes a scheduler can tell apart (sysexits.h); 1 is any other failed run.
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_UNREACHABLE = 69  # EX_UNAVAILABLE: the site answered nothing
EXIT_DATABASE = 73  # EX_CANTCREAT: the database cannot be opened or written
EXIT_LOCKED = 75  # EX_TEMPFAIL: another run holds the database; try again later


@dataclass(frozen=True)
class Verdict:
    """A run's outcome in one line a person can trust, the reasons, and the exit code."""

    status: str  # "OK", "OK, with problems" or "FAILED"
    headline: str
    reasons: tuple[str, ...] = ()
    exit_code: int = EXIT_OK

    @property
    def ok(self) -> bool:
        return self.exit_code == EXIT_OK

    def text(self) -> str:
        lines = [f"{self.status}: {self.headline}"]
        lines += [f"  - {r}" for r in self.reasons]
        return "\n".join(lines)

    @property
    def word(self) -> str:
        """``ok`` or ``failed``: what the ledger and ``newscrawl runs --check`` go by."""
        return "ok" if self.ok else "failed"

    @property
    def reason(self) -> str:
        """The headline and the reasons, on one line."""
        return "; ".join((self.headline, *self.reasons))

    def record(self) -> dict[str, Any]:
        return {"verdict": self.status, "ok": self.ok, "headline": self.headline,
                "reasons": list(self.reasons), "exit_code": self.exit_code}


def _why_unreachable(stats: dict[str, Any]) -> str:
    """The commonest download failure in words with its tries, e.g. ``DNS lookup failed
    (3 tries)``; or a plain "no answer" when none was recorded."""
    failed = download_failures(stats)
    if not failed:
        return "no answer"
    words, tries = max(failed.items(), key=lambda kv: kv[1])
    return f"{words} ({tries} {'try' if tries == 1 else 'tries'})"


def judge(stats: dict[str, Any], host: str, db_path: str, *, mode: str | None = None,
          jobdir: str | None = None,
          max_failure_ratio: float = DEFAULT_MAX_FAILURE_RATIO,
          memory_limit_mb: int | None = None) -> Verdict:
    """The verdict on a finished crawl of ``host`` into ``db_path``, from its stats alone.

    ``mode`` (``incremental`` or ``full``) is said in the headline of a successful run, so
    a run that stored nothing new reads as the incremental run it was.
    """
    reason = stats.get("finish_reason")
    if reason == "database_locked":
        return Verdict("FAILED", f"{db_path}: another run is writing to it",
                       ("this run was refused before sending a request; the lock is "
                        "released when that run ends: try again later",), EXIT_LOCKED)
    if reason in ("database_unavailable", "database_error") or stats.get("newscrawl/store/error"):
        detail = stats.get("newscrawl/store/error")
        return Verdict("FAILED", f"cannot write the database {db_path}"
                       + (f" ({detail})" if detail else ""),
                       ("check that its folder exists and is writable and that the disk is "
                        "not full",
                        f"{stats.get('newscrawl/store/lost', 0)} item(s) of the open batch "
                        "were rolled back; everything counted as stored below is in the "
                        "database"), EXIT_DATABASE)
    if reason == "memusage_exceeded":
        limit = f"MEMUSAGE_LIMIT_MB={memory_limit_mb}" if memory_limit_mb else "MEMUSAGE_LIMIT_MB"
        return Verdict("FAILED", f"{host}: the crawl was stopped at {limit} (peak "
                       f"{stats.get('memusage/max', 0) // 2**20} MiB)",
                       ("a runaway page or queue; everything counted as stored below is in "
                        "the database",), EXIT_FAILED)
    if reason != "finished":
        hint = (f"resume with --jobdir {jobdir}: run the same command again" if jobdir
                else "the next run walks every listing page to finish the work")
        return Verdict("FAILED", f"{host}: the crawl did not finish: {finish_words(reason)}",
                       (hint,), EXIT_FAILED)
    fetched_nothing = (not stats.get("newscrawl/pages/article")
                       and not stats.get("newscrawl/pages/listing"))
    if fetched_nothing and stats.get("newscrawl/robotstxt/disallow_all/server_error"):
        return Verdict("FAILED", f"{host}: robots.txt answered with a server error",
                       ("RFC 9309: a 5xx robots.txt disallows the whole host for this run, "
                        "so nothing was crawled; try again later",), EXIT_FAILED)
    if fetched_nothing and stats.get("newscrawl/errors/tls") \
            and not stats.get("response_received_count"):
        return Verdict("FAILED", f"{host}: the site's TLS certificate could not be verified",
                       ("nothing was fetched; " + TLS_HINT,), EXIT_UNREACHABLE)
    if fetched_nothing and not stats.get("downloader/response_status_count/200"):
        reasons = ["nothing was fetched: is the site reachable?"]
        if stats.get("newscrawl/robotstxt/disallow_all/unreachable"):
            reasons.append("robots.txt could not be fetched, so nothing on the host was "
                           "requested (RFC 9309)")
        return Verdict("FAILED", f"{host}: {_why_unreachable(stats)}", tuple(reasons),
                       EXIT_UNREACHABLE)
    if (stats.get("newscrawl/pages/listing") and stats.get("newscrawl/links/listing_other")
            and not stats.get("newscrawl/links/listing_article")
            and not stats.get("newscrawl/pages/article")):
        sample = str(stats.get("newscrawl/links/listing_other_sample", "")).split()
        return Verdict("FAILED", f"{host}: no link on the listing pages matches the profile's "
                       "article pattern", (
                           f"{stats['newscrawl/links/listing_other']} other links were seen, "
                           "e.g. " + ", ".join(sample[:3]),
                           "is this the site the profile is for? `newscrawl site infer URL` "
                           "proposes a profile, `newscrawl site check` tests one"), EXIT_FAILED)
    problem = failure_reason(stats, max_failure_ratio)
    errors = {reason_words(k.rsplit("/", 1)[-1]): v for k, v in stats.items()
              if k.startswith(("newscrawl/errors/", "newscrawl/skipped/extract_"))
              and isinstance(v, int)}
    error_words = [f"{n} {words}" for words, n in sorted(errors.items(), key=lambda kv: -kv[1])]
    if problem:
        return Verdict("FAILED", f"{host}: {problem}", tuple(error_words), EXIT_FAILED)
    new = stats.get("newscrawl/articles/new", 0)
    updated = stats.get("newscrawl/articles/updated", 0)
    headline = (f"{host}: {new} new and {updated} updated "
                f"{'article' if new + updated == 1 else 'articles'} stored")
    if mode == "incremental":
        known = stats.get("newscrawl/links/known", 0)
        stopped = ", pagination stopped early" if stats.get("newscrawl/listing/stopped") else ""
        headline += (f" (incremental run: {known} known {'link' if known == 1 else 'links'} "
                     f"not fetched again{stopped})" if known else " (incremental run)")
    elif mode == "full":
        headline += " (full run: every listing page walked)"
    if error_words:
        failed = sum(errors.values())
        return Verdict("OK, with problems", headline,
                       (f"{failed} {'page' if failed == 1 else 'pages'} failed: "
                        + ", ".join(error_words),), EXIT_OK)
    return Verdict("OK", headline)


class RunVerdict:
    """Scrapy extension: the verdict on the finished crawl, the same for ``newscrawl crawl``,
    ``scrapy crawl world`` and a scrapyd job.

    Once the engine has stopped (every ``spider_closed`` handler has run, so the store has
    written the run's counts and released the database), it judges the stats (:func:`judge`),
    logs the verdict, keeps it in the stats (``newscrawl/verdict``, ``newscrawl/exit_code``)
    and writes it to the run's row (``runs.verdict``, ``verdict_reason``, ``exit_code``).
    The commands exit with :attr:`Verdict.exit_code` (``scrapy crawl`` through
    ``crawler/commands/crawl.py``).
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        self.verdict: Verdict | None = None

    @classmethod
    def from_crawler(cls, crawler: Any) -> RunVerdict:
        ext = cls(crawler)
        crawler.signals.connect(ext.engine_stopped, signal=signals.engine_stopped)
        return ext

    @classmethod
    def of(cls, crawler: Any) -> Verdict | None:
        """The verdict on ``crawler``'s finished crawl (None before it ends, or when this
        extension is not enabled)."""
        extensions = getattr(getattr(crawler, "extensions", None), "middlewares", ())
        return next((ext.verdict for ext in extensions if isinstance(ext, cls)), None)

    def engine_stopped(self) -> None:
        from pipelines.store import StoreError, record_verdict  # the crawl has imported it

        crawler, settings = self.crawler, self.crawler.settings
        stats = crawler.stats.get_stats()
        spider = crawler.spider
        site = getattr(spider, "site", None)
        host = site.primary_host if site is not None else settings.get("NEWSCRAWL_SITE")
        mode = ("full" if getattr(spider, "full", False) else "incremental") if spider else None
        db = settings.get("NEWSCRAWL_DB")
        verdict = judge(stats, host, db, mode=mode, jobdir=settings.get("JOBDIR"),
                        max_failure_ratio=settings.getfloat("NEWSCRAWL_MAX_FAILURE_RATIO"),
                        memory_limit_mb=settings.getint("MEMUSAGE_LIMIT_MB"))
        self.verdict = verdict
        crawler.stats.set_value("newscrawl/verdict", verdict.word)
        crawler.stats.set_value("newscrawl/exit_code", verdict.exit_code)
        # INFO: the log (scrapyd's job log) gets it; the terminal gets the summary instead.
        logger.info("Verdict (exit code %s): %s", verdict.exit_code, verdict.text())
        run_id = stats.get("newscrawl/run_id")
        if run_id is None:  # refused before a run was opened (database locked, unwritable)
            return
        try:
            record_verdict(db, run_id, verdict.word, verdict.reason, verdict.exit_code)
        except StoreError as exc:
            logger.error("%s", exc)
