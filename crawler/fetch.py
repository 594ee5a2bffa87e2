"""Fetching one pasted URL for ``newscrawl extract``: bounded, and refusing private targets.

The crawl fetches through Scrapy; this is the one-off path, where a person pastes any URL.
It only speaks http(s), follows a few redirects itself so each hop is checked, refuses hosts
that resolve to loopback/private/link-local addresses unless allowed, and caps time and size.
"""

from __future__ import annotations

import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from w3lib.encoding import http_content_type_encoding
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from crawler import __version__

MAX_URL_LENGTH = 2048
MAX_REDIRECTS = 5
MAX_BYTES = 10 * 1024 * 1024
DEADLINE = 30.0
USER_AGENT = f"newscrawl/{__version__} (+https://github.com/newscrawl/newscrawl)"
HTML_TYPES = ("text/html", "application/xhtml+xml")


class FetchError(RuntimeError):
    """The URL could not be fetched as an HTML page; the message says why."""


@dataclass(frozen=True)
class Fetched:
    url: str
    status: int
    body: bytes
    encoding: str | None
    content_type: str


def check_url(url: str) -> None:
    """Reject URLs a person should not be able to make us fetch, with a clear reason."""
    if len(url) > MAX_URL_LENGTH:
        raise FetchError(f"URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise FetchError("URL contains control characters")
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be fetched, not {parts.scheme or 'a bare path'!r}")
    if not parts.hostname:
        raise FetchError("URL has no host")


def check_host(host: str, port: int, allow_private: bool) -> None:
    """Refuse a host that resolves to a non-global address (loopback, private, link-local)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc.strerror}") from None
    for info in infos:
        check_address(info[4][0], host, allow_private)


def check_address(address: str, host: str, allow_private: bool) -> None:
    ip = ipaddress.ip_address(address.split("%")[0])
    if not ip.is_global and not allow_private:
        raise FetchError(f"refusing {host} ({ip}): not a public address "
                         "(give --allow-private to fetch from your own network)")


def guarded_pool_manager(allow_private: bool) -> urllib3.PoolManager:
    """A PoolManager whose every connection checks the address it actually connected to.

    Resolving first and connecting later leaves a gap (DNS rebinding: the second answer
    is 127.0.0.1); checking the connected socket's peer closes it, before a byte is sent.
    """
    def checked(conn_cls: type[HTTPConnection]) -> type[HTTPConnection]:
        class Checked(conn_cls):  # type: ignore[valid-type, misc]
            def _new_conn(self):  # type: ignore[no-untyped-def]
                sock = super()._new_conn()
                try:
                    check_address(sock.getpeername()[0], self.host, allow_private)
                except FetchError:
                    sock.close()
                    raise
                return sock
        return Checked

    class Pool(HTTPConnectionPool):
        ConnectionCls = checked(HTTPConnection)

    class TLSPool(HTTPSConnectionPool):
        ConnectionCls = checked(HTTPSConnection)

    http = urllib3.PoolManager(headers={"User-Agent": USER_AGENT}, retries=False)
    http.pool_classes_by_scheme = {"http": Pool, "https": TLSPool}
    return http


def fetch(url: str, *, allow_private: bool = False, deadline: float = DEADLINE,
          max_bytes: int = MAX_BYTES, max_redirects: int = MAX_REDIRECTS,
          accept: tuple[str, ...] | None = HTML_TYPES) -> Fetched:
    """GET ``url`` and return the HTML page, or raise :class:`FetchError` saying why not.

    ``accept`` lists the media types wanted (``None``: any, e.g. for robots.txt and feeds).
    """
    http = guarded_pool_manager(allow_private)
    started = time.monotonic()
    for _hop in range(max_redirects + 1):
        check_url(url)
        parts = urlsplit(url)
        check_host(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80),
                   allow_private)
        left = deadline - (time.monotonic() - started)
        if left <= 0:
            raise FetchError(f"no answer within {deadline:.0f} s")
        try:
            response = http.request("GET", url, redirect=False, preload_content=False,
                                    timeout=urllib3.Timeout(connect=min(10, left), read=left))
        except urllib3.exceptions.HTTPError as exc:
            raise FetchError(f"cannot fetch {url}: {exc}") from None
        try:
            if response.status in (301, 302, 303, 307, 308):
                location = response.headers.get("Location")
                if not location:
                    raise FetchError(f"HTTP {response.status} without a Location header")
                url = urljoin(url, location)
                continue
            if response.status >= 400:
                raise FetchError(f"HTTP {response.status} for {url}")
            content_type = response.headers.get("Content-Type", "")
            mime = content_type.split(";")[0].strip().lower()
            if accept is not None and mime not in accept:
                raise FetchError(f"not an HTML page ({mime or 'no Content-Type'}): {url}")
            body = bytearray()
            # read1 returns what has arrived, so a server dripping one byte at a time still
            # meets the deadline check (stream() would wait for a whole 64 KiB chunk).
            while chunk := response.read1(65536):
                body.extend(chunk)
                if len(body) > max_bytes:
                    raise FetchError(f"page is larger than {max_bytes // (1024 * 1024)} MiB")
                if time.monotonic() - started > deadline:
                    raise FetchError(f"download took longer than {deadline:.0f} s")
            return Fetched(url, response.status, bytes(body),
                           http_content_type_encoding(content_type), mime)
        except urllib3.exceptions.HTTPError as exc:
            raise FetchError(f"cannot fetch {url}: {exc}") from None
        finally:
            response.release_conn()
    raise FetchError(f"more than {max_redirects} redirects")
