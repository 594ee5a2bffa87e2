"""The item a spider hands to the pipelines: the raw page as plain values, no Response."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class PageItem:
    """One fetched article page.

    ``url`` is the key of the URL that was requested; ``final_url`` the key of where the
    server's redirects ended, and ``fetched_url`` that URL as fetched (what a revisit
    requests).  The pipelines fill ``article`` (the extraction) and ``result`` (the
    rest of the worker's answer) on the way, or ``skipped`` (why the page has no article);
    ``body`` is emptied once a worker has it.  A revisit answered 304, 404 or 410 comes
    with that ``status``, an empty body and ``withdrawn`` saying why for a 404 or 410.
    """

    url: str
    final_url: str
    site: str
    body: bytes = field(repr=False)  # never dump megabytes into a log line
    encoding: str | None
    status: int
    fetched_at: str
    headers: dict[str, str] = field(default_factory=dict)
    fetched_url: str | None = None
    # Keys of the URLs that redirected to ``fetched_url``, first one first.
    redirects: tuple[str, ...] = ()
    # Set by the spider on a revisit that found the story gone: why (stored with the row).
    withdrawn: str | None = None
    depth: int = 0
    article: Any = None
    skipped: str | None = None
    # The worker's PageResult (compressed page, template fingerprints) until it is stored.
    result: Any = field(default=None, repr=False)
