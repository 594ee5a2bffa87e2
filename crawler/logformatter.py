"""Scrapy log messages about items that name the page, never print the item.

Scrapy's default formatter appends the whole item to every "Dropped" and "Scraped" line:
for a page that is the extracted article, body included (a 13 KB line per duplicate).
A person needs the URL and the reason; the item is in the database or was rightly dropped.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy import logformatter

DROPPED = "Dropped %(url)s: %(reason)s"
SCRAPED = "Scraped %(url)s"
ITEM_ERROR = "Error processing %(url)s"


def item_url(item: Any) -> str:
    """The page an item came from (``final_url`` of a PageItem, else ``url``), or ``?``."""
    return str(getattr(item, "final_url", None) or getattr(item, "url", None) or "?")


def reason_text(exception: BaseException, url: str) -> str:
    """The drop's reason without the URL repeated (pipelines often append it)."""
    text = str(exception) or type(exception).__name__
    for suffix in (f" ({url})", f": {url}"):
        text = text.removesuffix(suffix)
    return text


class LogFormatter(logformatter.LogFormatter):
    """``LOG_FORMATTER`` for newscrawl: items are logged by URL and reason only."""

    def dropped(self, item: Any, exception: BaseException, response: Any,
                spider: Any) -> logformatter.LogFormatterResult:
        result = super().dropped(item, exception, response, spider)  # keeps the log level
        url = item_url(item)
        return {"level": result["level"], "msg": DROPPED,
                "args": {"url": url, "reason": reason_text(exception, url)}}

    def scraped(self, item: Any, response: Any, spider: Any) -> logformatter.LogFormatterResult:
        return {"level": logging.DEBUG, "msg": SCRAPED, "args": {"url": item_url(item)}}

    def item_error(self, item: Any, exception: BaseException, response: Any,
                   spider: Any) -> logformatter.LogFormatterResult:
        result = super().item_error(item, exception, response, spider)
        return {"level": result["level"], "msg": ITEM_ERROR, "args": {"url": item_url(item)}}
