"""What ``newscrawl crawl`` prints on the terminal, and the full log kept in a file.

Scrapy's own root handler prints everything at one level to stderr; a person at a terminal
wants warnings and errors as single lines under a live progress line, and the whole story
(INFO, tracebacks) only when they ask for it: ``-v``, ``-vv`` or ``--log-file``.  So the CLI
turns Scrapy's root handler off (``LOG_INSTALL_ROOT_HANDLER``) and installs these instead.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

# -q, default, -v, -vv: the console's log level.
QUIET, DEFAULT, VERBOSE = -1, 0, 1
LEVELS = {QUIET: logging.CRITICAL, DEFAULT: logging.WARNING, VERBOSE: logging.INFO}

_console: Any = None


def console() -> Any:
    """The one rich Console on stderr that the log handler and the progress line share, so
    a warning prints above the progress line instead of through it."""
    global _console
    if _console is None:
        from rich.console import Console

        _console = Console(stderr=True, highlight=False, soft_wrap=True)
    return _console


def is_terminal() -> bool:
    """Whether stderr, where the log and the progress line go, is a terminal."""
    return sys.stderr.isatty()


def level_for(verbosity: int) -> int:
    return LEVELS.get(verbosity, logging.DEBUG)


class OneLineFormatter(logging.Formatter):
    """A record without its traceback: the terminal gets one line per problem; the traceback
    goes to ``--log-file`` (and to the terminal with ``-vv``)."""

    def format(self, record: logging.LogRecord) -> str:
        saved = record.exc_info, record.exc_text, record.stack_info
        record.exc_info, record.exc_text, record.stack_info = None, None, None
        try:
            return super().format(record)
        finally:
            record.exc_info, record.exc_text, record.stack_info = saved


def install(settings: Any, verbosity: int, log_file: str | None) -> None:
    """Root handlers for a CLI crawl: the console at ``LOG_LEVEL`` (which the CLI sets from
    ``verbosity`` unless ``-s LOG_LEVEL`` was given), and ``log_file`` at INFO (DEBUG with
    ``-vv``) with tracebacks."""
    fmt, datefmt = settings.get("LOG_FORMAT"), settings.get("LOG_DATEFORMAT")
    level = settings.get("LOG_LEVEL")
    if is_terminal():
        from rich.logging import RichHandler

        handler: logging.Handler = RichHandler(
            console=console(), show_path=False, markup=False, rich_tracebacks=False,
            log_time_format="[%H:%M:%S]", keywords=[])
        handler.setFormatter(OneLineFormatter("[%(name)s] %(message)s"))
    else:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(OneLineFormatter(fmt, datefmt))
    if verbosity >= 2:  # -vv: everything, tracebacks included
        handler.setFormatter(logging.Formatter(fmt, datefmt))
    handler.setLevel(level)
    root = logging.getLogger()
    root.setLevel(logging.NOTSET)
    root.addHandler(handler)
    if log_file:
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter(fmt, datefmt))
        numeric = logging.getLevelName(level) if isinstance(level, str) else level
        file_handler.setLevel(min(logging.INFO, numeric if isinstance(numeric, int)
                                  else logging.INFO))
        root.addHandler(file_handler)
