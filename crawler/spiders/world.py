"""WorldSpider: walks a site's section front, its pagination, feeds and sitemaps to articles."""

from __future__ import annotations

import gzip
import io
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urljoin, urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure

from crawler.items import PageItem
from crawler.sites import Site, get_site
from pipelines.dedup import canonical_url

HTML_TYPES = (b"text/html", b"application/xhtml+xml")
MAX_SITEMAP_BYTES = 50 * 1024 * 1024


class WorldSpider(scrapy.Spider):
    """Discovers and fetches the article pages of one site's section.

    Every URL is canonicalized before it is requested, so tracking-parameter, ``index.html``
    and alias-host variants of one page are one request (Scrapy's duplicate filter does the
    rest).  Only the site's primary host is followed; everything else is counted.
    """

    name = "world"

    def __init__(self, site: str | None = None, site_file: str | None = None,
                 start_url: str | None = None, max_pages: str | int | None = None,
                 *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.site: Site = get_site(site, site_file, start_url)
        self.max_pages = int(max_pages) if max_pages not in (None, "") else self.site.max_pages
        self.allowed_domains = [urlsplit(f"//{self.site.primary_host}").hostname or ""]

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> WorldSpider:
        kwargs.setdefault("site", crawler.settings.get("NEWSCRAWL_SITE"))
        return super().from_crawler(crawler, *args, **kwargs)

    async def start(self) -> AsyncIterator[scrapy.Request]:
        for url in self.site.start_urls:
            yield self._request(url, self.parse_listing, page=0)
        for url in self.site.feeds:
            yield self._request(url, self.parse_feed)
        for url in self.site.sitemaps:
            yield self._request(url, self.parse_sitemap)

    # -- requests ---------------------------------------------------------------------------
    def _request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        return scrapy.Request(canonical_url(url, self.site), callback=callback,
                              errback=self.on_error, meta=meta)

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"newscrawl/{key}")

    def follow_links(self, base: str, hrefs: Iterable[str]) -> Iterable[scrapy.Request]:
        """Requests for the article and listing links among ``hrefs``; the rest is counted."""
        for href in hrefs:
            href = href.strip()
            if not href or href.startswith("#"):
                continue
            absolute = urljoin(base, href)
            scheme = urlsplit(absolute).scheme.lower()
            if scheme not in ("http", "https"):
                if scheme not in ("javascript", "mailto", "tel"):
                    self._count(f"links/refused_scheme/{scheme or 'none'}")
                continue
            url = canonical_url(absolute, self.site)
            parts = urlsplit(url)
            if parts.netloc != self.site.primary_host:
                self._count("links/offsite")
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if self.site.is_article(path):
                yield self._request(url, self.parse_article)
                continue
            page = self.site.listing_page_number(path)
            if page is not None:
                if page <= self.max_pages:
                    yield self._request(url, self.parse_listing, page=page)
                else:
                    self._count("links/beyond_max_pages")

    # -- callbacks --------------------------------------------------------------------------
    def parse_listing(self, response: Response) -> Iterable[scrapy.Request]:
        self._count("pages/listing")
        if not isinstance(response, TextResponse):
            self._count("skipped/not_html")
            return
        yield from self.follow_links(response.url, response.xpath("//a/@href").getall())

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        """RSS 2.0 ``<item><link>`` and Atom ``<entry><link href>``."""
        self._count("pages/feed")
        if not isinstance(response, TextResponse):
            self._count("skipped/not_feed")
            return
        selector = scrapy.Selector(text=response.text, type="xml")
        selector.remove_namespaces()
        links = selector.xpath("//item/link/text() | //entry/link/@href").getall()
        yield from self.follow_links(response.url, links)

    def parse_sitemap(self, response: Response) -> Iterable[scrapy.Request]:
        """A sitemap or a sitemap index (gzipped or not); nested sitemaps are followed."""
        self._count("pages/sitemap")
        body = response.body
        if body[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=io.BytesIO(body)) as f:
                body = f.read(MAX_SITEMAP_BYTES + 1)
            if len(body) > MAX_SITEMAP_BYTES:
                self._count("skipped/sitemap_too_large")
                return
        try:
            sitemap = Sitemap(body)
        except Exception:  # lxml raises several types on garbage
            self._count("skipped/bad_sitemap")
            self.logger.warning("Not a sitemap: %s", response.url)
            return
        locs = [entry["loc"] for entry in sitemap if entry.get("loc")]
        if sitemap.type == "sitemapindex":
            for loc in locs:
                if urlsplit(canonical_url(loc, self.site)).netloc == self.site.primary_host:
                    yield self._request(loc, self.parse_sitemap)
            return
        yield from self.follow_links(response.url, locs)

    def parse_article(self, response: Response) -> Iterable[PageItem | scrapy.Request]:
        content_type = response.headers.get(b"Content-Type", b"").split(b";")[0].strip().lower()
        if content_type not in HTML_TYPES:
            self._count("skipped/not_html")
            self.logger.info("Skipped %s: not HTML (%s)", response.url,
                             content_type.decode("latin-1") or "no Content-Type")
            return
        self._count("pages/article")
        yield PageItem(
            url=response.request.meta.get("redirect_urls", [response.url])[0],
            final_url=canonical_url(response.url, self.site),
            site=self.site.name,
            body=response.body,
            encoding=_declared_charset(response),
            status=response.status,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            headers={k.decode("latin-1").lower(): v[0].decode("latin-1")
                     for k, v in response.headers.items() if v and k.lower() in
                     (b"etag", b"last-modified", b"content-type")},
        )
        if isinstance(response, TextResponse):
            yield from self.follow_links(response.url, response.xpath("//a/@href").getall())

    def on_error(self, failure: Failure) -> None:
        """Count and log a failed request by kind; the crawl goes on."""
        request = failure.request
        if failure.check(HttpError):
            status = failure.value.response.status
            self._count(f"errors/http_{status}")
            self.logger.warning("HTTP %s for %s", status, request.url)
        else:
            kind = failure.type.__name__ if failure.type else "unknown"
            self._count(f"errors/{kind}")
            self.logger.warning("Failed %s: %s", request.url, failure.getErrorMessage())


def _declared_charset(response: Response) -> str | None:
    value = response.headers.get(b"Content-Type", b"").decode("latin-1")
    for part in value.split(";")[1:]:
        key, _, charset = part.partition("=")
        if key.strip().lower() == "charset" and charset.strip():
            return charset.strip().strip('"\'')
    return None
