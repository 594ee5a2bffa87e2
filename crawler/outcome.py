"""Whether a finished crawl succeeded: the exit status decided from its stats alone."""

from __future__ import annotations

from typing import Any

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
