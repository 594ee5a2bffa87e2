"""Keep secrets out of logs: credentials in URLs (proxy, Redis, any ``scheme://user:pass@``),
values of settings whose names say secret, key, token or password, and Authorization
headers, in every log record's message and traceback.

Scrapy prints the settings given on the command line ("Overridden settings"), so
``-s AWS_SECRET_ACCESS_KEY=...`` would land in every log; the values of such settings are
also remembered (:func:`remember_secrets`) and scrubbed wherever they appear, e.g. inside
an exception message without their name.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable
from typing import Any

# scheme://user:password@host or scheme://:password@host (Redis), and Basic auth headers.
CREDENTIALS = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)[^/\s@'\"]*:[^/\s@'\"]*@")
AUTH_HEADER = re.compile(r"((?:Proxy-)?Authorization'?\s*[:=]\s*\[?b?'?)(?:Basic|Bearer)\s+[^'\s\]]+",
                         re.I)
# A name with secret, key, token or password as one of its words (AWS_SECRET_ACCESS_KEY,
# api-key, access_token; not "monkey" or "keywords").
SECRET_WORD = (r"(?<![A-Za-z0-9])(?:secret|key|token|password|passwd|pwd|apikey|credentials?)s?"
               r"(?![A-Za-z0-9])")
SECRET_NAME = re.compile(rf"^[\w.-]*{SECRET_WORD}[\w.-]*$", re.I)
# name: value, name=value, 'name': 'value' (pprint splits a long string over lines:
# 'abc' 'def'), "name": "value".
SECRET_VALUE = re.compile(
    rf"""(?P<name>(?P<q>['"]?)[\w.-]*{SECRET_WORD}[\w.-]*(?P=q)\s*[:=]\s*)"""
    r"""(?P<value>'[^'\n]*'(?:\s*'[^'\n]*')*|"[^"\n]*"(?:\s*"[^"\n]*")*|[^\s,;&'"}\])]+)""",
    re.I)
MIN_REMEMBERED = 8  # shorter values ("guest", "true") would scrub ordinary text
_remembered: set[str] = set()
_lock = threading.Lock()
_installed = False


def _mask(match: re.Match[str]) -> str:
    value = match["value"]
    quote = value[0] if value[0] in "'\"" else ""
    return f"{match['name']}{quote}***{quote}"


def redact(text: str) -> str:
    """``redis://:s3cret@host`` -> ``redis://***@host``; ``API_TOKEN=abc`` ->
    ``API_TOKEN=***``; Authorization values and remembered secrets -> ``***``."""
    for secret in sorted(_remembered, key=len, reverse=True):
        text = text.replace(secret, "***")
    text = CREDENTIALS.sub(r"\g<scheme>***@", text)
    text = SECRET_VALUE.sub(_mask, text)
    return AUTH_HEADER.sub(r"\1***", text)


def remember_secrets(settings: Iterable[tuple[str, Any]]) -> None:
    """Scrub these settings' values everywhere from now on when their names say secret."""
    with _lock:
        for name, value in settings:
            if isinstance(value, str) and len(value) >= MIN_REMEMBERED and SECRET_NAME.match(name):
                _remembered.add(value)


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
        if record.exc_info and record.exc_info[0] is not None:
            # Formatters print exc_text when it is set: the traceback, redacted, once.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True


class RedactSecrets:
    """Scrapy extension: installs the redaction as soon as the crawler is built, and
    remembers the values of the crawler's secret-named settings."""

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedactSecrets:
        install()
        remember_secrets(crawler.settings.items())
        return cls()
