"""Downloader middlewares that turn hostile servers into counted, logged outcomes.

- :class:`RedirectGuardMiddleware` refuses redirects to other schemes, hosts that are not
  the site's (its profile's hosts and aliases), private addresses and back to where the
  chain has been (a loop), each counted under
  ``newscrawl/redirects/<reason>``; Scrapy would drop most of these silently.
- :class:`PoliteRetryMiddleware` retries with exponential back-off and honours
  ``Retry-After`` up to a cap; a longer wait is refused and counted.
- :class:`RobotsPolicyMiddleware` applies RFC 9309 to robots.txt failures: a 5xx answer or
  an unreachable robots.txt disallows the whole host for this run (Scrapy allows all).
"""

from __future__ import annotations

import ipaddress
import logging
import ssl
import time
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.response import get_meta_refresh
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater

from crawler.outcome import TLS_HINT
from crawler.summary import exception_words

logger = logging.getLogger(__name__)

REDIRECT_CODES = (301, 302, 303, 307, 308)
DEFAULT_PORTS = {"http": 80, "https": 443}
# RFC 9309 2.5: a crawler must parse at least the first 500 KiB of a robots.txt.
ROBOTS_PARSE_LIMIT = 500 * 1024


class Refused(IgnoreRequest):
    """A request newscrawl refused on purpose; it is already counted under ``reason``."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _count(crawler: Any, key: str) -> None:
    crawler.stats.inc_value(f"newscrawl/{key}")


async def _sleep(seconds: float) -> None:
    from twisted.internet import reactor  # the installed one; importing earlier installs one

    await maybe_deferred_to_future(deferLater(reactor, seconds, lambda: None))


def is_private_host(host: str) -> bool:
    """True for an IP literal that is not a global address (loopback, private, link-local)."""
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_global
    except ValueError:
        return host.lower() == "localhost" or host.lower().endswith(".localhost")


def on_site(url: str, hosts: list[str] | tuple[str, ...]) -> bool:
    """True when ``url``'s host and port are those of one of ``hosts`` (``host[:port]``) or
    of a subdomain.  A host is a host and a port: another port of the same machine is
    another server, so it is offsite; a host without a port means the default port of
    the URL's scheme (so an http -> https upgrade stays on the site)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number
        return False
    if port == DEFAULT_PORTS.get(parts.scheme.lower()):
        port = None
    for allowed in hosts:
        wanted = urlsplit(f"//{allowed}")
        name = (wanted.hostname or "").lower()
        if (host == name or host.endswith(f".{name}")) and port == wanted.port:
            return True
    return False


def tls_failure(exc: BaseException | None) -> str | None:
    """What failed in TLS behind a download error (e.g. ``certificate verify failed``), or
    None when the error is not a TLS one.  Twisted wraps the OpenSSL error in a
    ``ResponseNeverReceived`` whose ``reasons`` are Failures, and Scrapy wraps that."""
    from OpenSSL import SSL

    stack, seen = [exc], set()
    while stack:
        err = stack.pop()
        if err is None or id(err) in seen:
            continue
        seen.add(id(err))
        if isinstance(err, SSL.Error):
            details = [d[-1] for d in (err.args[0] if err.args else []) if isinstance(d, tuple)]
            return ", ".join(d for d in details if d) or str(err) or "TLS error"
        if isinstance(err, ssl.SSLError):
            return err.reason or str(err)
        stack += [err.__cause__, err.__context__]
        stack += [getattr(r, "value", None) for r in getattr(err, "reasons", None) or []]
    return None


class RedirectGuardMiddleware:
    """Refuses and counts redirects that leave the site, its schemes, or go round in a loop.

    Runs before Scrapy's RedirectMiddleware sees the response (priority above 600).
    """

    def __init__(self, crawler: Any) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.meta_refresh = settings.getbool("METAREFRESH_ENABLED")
        self.meta_refresh_max_delay = settings.getfloat("METAREFRESH_MAXDELAY")
        self.meta_refresh_ignore_tags = settings.getlist("METAREFRESH_IGNORE_TAGS")

    @classmethod
    def from_crawler(cls, crawler: Any) -> RedirectGuardMiddleware:
        return cls(crawler)

    def process_response(self, request: Request, response: Response,
                         spider: Any = None) -> Response:
        location = response.headers.get(b"Location")
        if response.status not in REDIRECT_CODES or not location:
            self._check_meta_refresh(request, response)
            return response
        target = urljoin(request.url, location.decode("latin-1").strip())
        parts = urlsplit(target)
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            self._refuse(f"redirects/refused_scheme/{scheme or 'none'}", request, target)
        self._check_site(request, target)
        seen = {*request.meta.get("redirect_urls", []), request.url}
        if target.split("#")[0] in {u.split("#")[0] for u in seen}:
            self._refuse("redirects/loop", request, target)
        return response

    def _check_meta_refresh(self, request: Request, response: Response) -> None:
        """The meta refresh Scrapy's MetaRefreshMiddleware would follow (same conditions) is
        held to the same site rule as a 3xx, before it is requested."""
        if (not self.meta_refresh or request.meta.get("dont_redirect")
                or not isinstance(response, HtmlResponse)):
            return
        interval, target = get_meta_refresh(response, ignore_tags=self.meta_refresh_ignore_tags)
        if (target and interval < self.meta_refresh_max_delay
                and urlsplit(target).scheme.lower() in ("http", "https")):
            self._check_site(request, target)

    def _check_site(self, request: Request, target: str) -> None:
        spider = self.crawler.spider
        site = getattr(spider, "site", None)
        # The profile's alias hosts are the same site (www. to apex, .com to .com.cn): a
        # redirect there is followed, robots.txt's included.
        hosts = sorted(site.serving_hosts) if site else getattr(spider, "allowed_domains", None)
        if not hosts or on_site(target, hosts):
            return
        host = (urlsplit(target).hostname or "").lower()
        same_machine = any(host == (urlsplit(f"//{h}").hostname or "").lower() for h in hosts)
        if is_private_host(host) and not same_machine:  # the site's own host on another port
            self._refuse("redirects/private", request, target)
        self._refuse("redirects/offsite", request, target)

    def _refuse(self, key: str, request: Request, target: str) -> None:
        _count(self.crawler, key)
        reason = key.split("/", 1)[1]
        logger.warning("Refused redirect (%s) from %s to %s", reason, request.url, target)
        raise Refused(key, f"refused redirect ({reason}) to {target}")


def retry_after(response: Response, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta seconds or an HTTP date)."""
    value = response.headers.get(b"Retry-After")
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, when - (now if now is not None else time.time()))


class PoliteRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, waiting ``NEWSCRAWL_RETRY_BACKOFF * 2**n`` seconds (at most
    ``NEWSCRAWL_RETRY_MAX_DELAY``) before retry n+1, or as long as ``Retry-After`` asks.

    A ``Retry-After`` longer than ``NEWSCRAWL_RETRY_AFTER_MAX`` is not waited for: the
    response goes on as a failure, counted ``newscrawl/retry/after_too_long``.
    """

    @classmethod
    def from_crawler(cls, crawler: Any) -> PoliteRetryMiddleware:
        middleware = super().from_crawler(crawler)
        settings = crawler.settings
        middleware.backoff = settings.getfloat("NEWSCRAWL_RETRY_BACKOFF")
        middleware.max_delay = settings.getfloat("NEWSCRAWL_RETRY_MAX_DELAY")
        middleware.after_max = settings.getfloat("NEWSCRAWL_RETRY_AFTER_MAX")
        return middleware

    def _delay(self, request: Request) -> float:
        return min(self.max_delay, self.backoff * 2 ** request.meta.get("retry_times", 0))

    async def process_response(self, request: Request, response: Response,
                               spider: Any = None) -> Request | Response:
        if request.meta.get("dont_retry") or response.status not in self.retry_http_codes:
            return response
        asked = retry_after(response)
        if asked is not None and asked > self.after_max:
            _count(self.crawler, "retry/after_too_long")
            logger.warning("Not retrying %s: Retry-After %.0f s is over the %.0f s cap "
                           "(NEWSCRAWL_RETRY_AFTER_MAX)", request.url, asked, self.after_max)
            return response
        retry = self._retry(request, f"HTTP {response.status}")
        if retry is None:
            return response
        delay = max(asked or 0.0, self._delay(request))
        if asked is not None:
            _count(self.crawler, "retry/after_honoured")
        if delay > 0:
            await _sleep(delay)
        return retry

    async def process_exception(self, request: Request, exception: Exception,
                                spider: Any = None) -> Request | Response | None:
        if tls_failure(exception):
            return None  # a refused certificate is refused again: failed now, counted once
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request) and self._delay(request) > 0:
            await _sleep(self._delay(request))
        return retry


class DisallowAll(RobotParser):
    """The robots.txt policy for a host whose robots.txt failed: nothing is allowed."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    @classmethod
    def from_crawler(cls, crawler: Any, robotstxt_body: bytes) -> DisallowAll:
        return cls("unavailable")

    def allowed(self, url: str | bytes, user_agent: str | bytes) -> bool:
        return False


class RobotsPolicyMiddleware(RobotsTxtMiddleware):
    """RFC 9309 for robots.txt: 4xx allows all, 5xx or unreachable disallows all for this
    run, and only the first 500 KiB of a large file is parsed.  Each case is logged and
    counted under ``newscrawl/robotstxt/<outcome>``."""

    async def robot_parser(self, request: Request) -> RobotParser | None:
        """Scrapy's, without its ERROR and traceback for a robots.txt that cannot be
        fetched: refused, DNS and timeouts are ordinary faults, logged in one line by
        :meth:`_robots_error`."""
        netloc = urlparse_cached(request).netloc
        if netloc not in self._parsers:
            self._parsers[netloc] = Deferred()
            url = urlparse_cached(request)
            robots = Request(f"{url.scheme}://{netloc}/robots.txt", priority=self.DOWNLOAD_PRIORITY,
                             meta={"dont_obey_robotstxt": True}, callback=NO_CALLBACK)
            try:
                response = await self.crawler.engine.download_async(robots)
                await self._parse_robots(response, netloc, request)
            except Exception as exc:  # every failure is a policy decision, see _robots_error
                self._robots_error(exc, netloc)
            self._stats.inc_value("robotstxt/request_count")
        parser = self._parsers[netloc]
        if isinstance(parser, Deferred):
            return await maybe_deferred_to_future(parser)
        return parser

    async def _parse_robots(self, response: Response, netloc: str, request: Request) -> None:
        if response.status >= 500:
            self._disallow(netloc, f"HTTP {response.status}", "disallow_all/server_error")
            self._stats.inc_value("robotstxt/response_count")
            return
        if 400 <= response.status < 500:
            _count(self.crawler, "robotstxt/allow_all/not_found")
            response = response.replace(body=b"")
        elif len(response.body) > ROBOTS_PARSE_LIMIT:
            _count(self.crawler, "robotstxt/truncated")
            logger.warning("robots.txt of %s is %d bytes: parsing the first %d (RFC 9309)",
                           netloc, len(response.body), ROBOTS_PARSE_LIMIT)
            body = response.body[:ROBOTS_PARSE_LIMIT]
            response = response.replace(body=body[:body.rfind(b"\n") + 1] or body)
        await super()._parse_robots(response, netloc, request)

    def _robots_error(self, exc: Exception, netloc: str) -> None:
        if not isinstance(exc, IgnoreRequest):
            key = f"robotstxt/exception_count/{type(exc)}"
            self._stats.inc_value(key)
        tls = tls_failure(exc)
        if tls:
            _count(self.crawler, "errors/tls")
            why = f"unreachable (TLS: {tls}; {TLS_HINT})"
        else:
            why = f"unreachable ({exception_words(type(exc).__name__)}: {exc})"
        self._disallow(netloc, why, "disallow_all/unreachable")

    def _disallow(self, netloc: str, why: str, key: str) -> None:
        _count(self.crawler, f"robotstxt/{key}")
        logger.warning("robots.txt of %s: %s; nothing on this host is crawled in this run "
                       "(RFC 9309)", netloc, why)
        parser = DisallowAll(why)
        pending = self._parsers[netloc]
        self._parsers[netloc] = parser
        if hasattr(pending, "callback"):
            pending.callback(parser)
