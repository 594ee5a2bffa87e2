"""Keep secrets out of logs: credentials in URLs (proxy, Redis, any ``scheme://user:pass@``)."""

from __future__ import annotations

import logging
import re
from typing import Any

# scheme://user:password@host or scheme://:password@host (Redis), and Basic auth headers.
CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@'\"]*:[^/\s@'\"]*@")
AUTH_HEADER = re.compile(r"((?:Proxy-)?Authorization'?\s*[:=]\s*\[?b?'?)(?:Basic|Bearer)\s+[^'\s\]]+",
                         re.I)
_installed = False


def redact(text: str) -> str:
    """``redis://:s3cret@host`` -> ``redis://***@host``; Authorization values -> ``***``."""
    text = CREDENTIALS.sub(r"\g<scheme>***@", text)
    return AUTH_HEADER.sub(r"\1***", text)


def install() -> None:
    """Redact every log record from now on, whichever handler later prints it."""
    global _installed
    if _installed:
        return
    previous = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's problem, not ours
            return record
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class RedactSecrets:
    """Scrapy extension: installs the redaction as soon as the crawler is built."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedactSecrets:
        install()
        return cls()
