"""The end-of-run summary a person reads: from the crawl's stats, the same for every entry.

Stats keys are for machines (``newscrawl/errors/connection_failed``,
``downloader/exception_type_count/scrapy.exceptions.CannotResolveHostError``); a person
reads words ("connection failed", "DNS lookup failed").  :func:`summary_record` gathers one
run's figures, in words, as a dict (``newscrawl crawl --json`` prints it); :func:`format_summary`
prints the same as lines.
"""

from __future__ import annotations

from typing import Any

from pipelines.tally import errors_by_kind

# newscrawl/errors/<kind> and newscrawl/skipped/<kind>, in words.
REASON_WORDS = {
    "timeout": "timed out",
    "too_large": "too large",
    "data_loss": "response cut short",
    "refused": "connection refused",
    "connection_failed": "connection failed",
    "redirect_limit": "too many redirects",
    "ignored": "request ignored",
    "robots_forbidden": "forbidden by robots.txt",
    "not_html": "not HTML",
    "not_feed": "not a feed",
    "no_body": "no article body",
    "not_article_url": "redirected to a page that is not an article",
    "empty": "empty page",
    "garbage": "not text",
    "repetitive": "one paragraph repeated",
    "bad_encoding": "undecodable text",
    "too_deep": "nesting too deep to parse",
    "extract_timeout": "extraction took too long",
    "extract_crashed": "extraction crashed",
    "extract_error": "extraction failed",
    "bad_sitemap": "not a sitemap",
    "sitemap_too_large": "sitemap too large",
}
# Download exceptions (the last part of the class name), in words.
EXCEPTION_WORDS = {
    "CannotResolveHostError": "DNS lookup failed",
    "DNSLookupError": "DNS lookup failed",
    "DownloadConnectionRefusedError": "connection refused",
    "ConnectionRefusedError": "connection refused",
    "DownloadTimeoutError": "timed out",
    "TimeoutError": "timed out",
    "TCPTimedOutError": "timed out",
    "DownloadCancelledError": "download too large",
    "ResponseDataLossError": "response cut short",
    "DownloadFailedError": "connection failed",
    "ConnectionLost": "connection lost",
    "ConnectionDone": "connection closed",
    "ResponseNeverReceived": "no response",
    "SSLError": "TLS handshake failed",
    "UnsupportedURLSchemeError": "unsupported URL scheme",
}
# Scrapy's finish reasons, in words.
FINISH_WORDS = {
    "finished": "finished",
    "shutdown": "stopped by a signal (Ctrl-C or SIGTERM)",
    "closespider_pagecount": "stopped at the page budget (closespider_pagecount, "
                             "CLOSESPIDER_PAGECOUNT)",
    "closespider_timeout": "stopped at the time limit (closespider_timeout)",
    "closespider_errorcount": "stopped after too many errors (closespider_errorcount)",
    "closespider_itemcount": "stopped at the item limit (closespider_itemcount)",
    "database_locked": "refused: another run holds the database",
    "database_unavailable": "the database could not be opened",
    "database_error": "the database could not be written",
    "memusage_exceeded": "stopped at the memory limit (MEMUSAGE_LIMIT_MB)",
}


def reason_words(kind: str) -> str:
    """``http_503`` -> ``HTTP 503``; a known kind -> its words; else the kind itself."""
    if kind.startswith("http_"):
        return f"HTTP {kind[5:]}"
    return REASON_WORDS.get(kind, kind.replace("_", " "))


def exception_words(name: str) -> str:
    """A download exception's class path in words (unknown ones keep their class name)."""
    short = name.rsplit(".", 1)[-1]
    return EXCEPTION_WORDS.get(short, short)


def finish_words(reason: str | None) -> str:
    return FINISH_WORDS.get(reason or "", reason or "unknown")


def _counts(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return dict(sorted((k[len(prefix):], v) for k, v in stats.items()
                       if k.startswith(prefix) and isinstance(v, int)))


def download_failures(stats: dict[str, Any]) -> dict[str, int]:
    """Download exceptions by their words, tries included (IgnoreRequest is not a failure)."""
    found: dict[str, int] = {}
    for key, n in _counts(stats, "downloader/exception_type_count/").items():
        if key.endswith("IgnoreRequest"):
            continue
        words = exception_words(key)
        found[words] = found.get(words, 0) + n
    return found


def skipped_words(stats: dict[str, Any]) -> dict[str, int]:
    """Skips by reason in words.  When robots.txt could not be read the host is disallowed
    for the run, so its refused requests are not "forbidden by robots.txt" but never tried."""
    skipped = {reason_words(k): v for k, v in _counts(stats, "newscrawl/skipped/").items()}
    if any(k.startswith("newscrawl/robotstxt/disallow_all/") for k in stats):
        n = skipped.pop(reason_words("robots_forbidden"), 0)
        if n:
            skipped["not requested: robots.txt unavailable"] = n
    return skipped


def summary_record(stats: dict[str, Any], db_path: str) -> dict[str, Any]:
    """One run's figures as a plain dict: pages, articles, duplicates, skips, errors."""
    errors = {reason_words(k): v for k, v in errors_by_kind(stats).items()}  # as the ledger
    return {
        "finish_reason": stats.get("finish_reason"),
        "elapsed_seconds": round(float(stats.get("elapsed_time_seconds") or 0), 1),
        "pages": {"fetched": stats.get("response_received_count", 0),
                  "listing": stats.get("newscrawl/pages/listing", 0),
                  "article": stats.get("newscrawl/pages/article", 0)},
        "articles": {k: stats.get(f"newscrawl/articles/{k}", 0)
                     for k in ("new", "updated", "unchanged", "not_modified", "withdrawn")},
        "known_links_skipped": stats.get("newscrawl/links/known", 0),
        "revisits": stats.get("newscrawl/revisits/requested", 0),
        "pagination_stopped": bool(stats.get("newscrawl/listing/stopped")),
        "duplicates": _counts(stats, "newscrawl/dedup/"),
        "skipped": skipped_words(stats),
        "errors": errors,
        "download_failures": download_failures(stats),
        "database": db_path,
    }


def _listed(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def _duplicates(counts: dict[str, int]) -> str:
    """Exact copies become aliases of the story; near copies keep their own row (marked
    ``duplicate_of``, hidden from browse and export): the words say which."""
    words = {"exact": "exact {} (the story's aliases)", "near": "near {} (kept as copies)"}
    return ", ".join(words.get(k, k + " {}").format(v) for k, v in counts.items()) or "none"


def format_summary(stats: dict[str, Any], db_path: str, verdict: Any = None) -> str:
    """The summary as lines; headed by ``verdict`` (a :class:`crawler.outcome.Verdict`)."""
    record = summary_record(stats, db_path)
    pages, articles = record["pages"], record["articles"]
    lines = [verdict.text()] if verdict is not None else []
    lines += [
        f"Pages fetched: {pages['fetched']} (listing {pages['listing']}, "
        f"article {pages['article']})",
        "Articles: new {new}, updated {updated}, unchanged {unchanged}, not modified "
        "{not_modified}, withdrawn {withdrawn}".format(**articles),
        f"Known links skipped: {record['known_links_skipped']}, revisits: "
        f"{record['revisits']}, pagination stopped: "
        f"{'yes' if record['pagination_stopped'] else 'no'}",
        f"Duplicates: {_duplicates(record['duplicates'])}",
        f"Skipped: {_listed(record['skipped'])}",
        f"Errors: {_listed(record['errors'])}",
    ]
    if record["download_failures"]:
        lines.append(f"Download failures (tries): {_listed(record['download_failures'])}")
    lines.append(f"Database: {db_path}")
    return "\n".join(lines)
