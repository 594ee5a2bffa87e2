"""WorldSpider: walks a site's section front, its pagination, feeds and sitemaps to articles."""

from __future__ import annotations

import asyncio
import gzip
import io
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.http import Response, TextResponse
from scrapy.exceptions import (DownloadCancelledError, DownloadConnectionRefusedError,
                               DownloadFailedError, DownloadTimeoutError, IgnoreRequest,
                               ResponseDataLossError)
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.sitemap import Sitemap
from twisted.python.failure import Failure
from w3lib.encoding import http_content_type_encoding

from crawler.items import PageItem
from crawler.middlewares import Refused, tls_failure
from crawler.outcome import TLS_HINT
from crawler.sites import Site, get_site, stored_site
from pipelines.dedup import SiteLinks, canonical_url, request_url, site_links
from pipelines.html import links_of
from pipelines.item_pipelines import DataPath
from pipelines.store import CrawlState, KnownUrls, StoreError, crawl_state
from pipelines.worker import translate

HTML_TYPES = (b"text/html", b"application/xhtml+xml")
# Answers to a revisit that the pipelines handle themselves (not modified, gone).
REVISIT_STATUSES = [304, 404, 410]
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
# Download failures, named for the reason (``newscrawl/errors/<name>``).
FAILURE_NAMES = [
    (DownloadTimeoutError, "timeout"),
    (DownloadCancelledError, "too_large"),
    (ResponseDataLossError, "data_loss"),
    (DownloadConnectionRefusedError, "refused"),
    (DownloadFailedError, "connection_failed"),
]
IGNORED_NAMES = [
    ("max redirections", "redirect_limit"),
    ("DOWNLOAD_MAXSIZE", "too_large"),
    ("robots.txt", "robots_forbidden"),
]


class WorldSpider(scrapy.Spider):
    """Discovers and fetches the article pages of one site's section.

    Every link has two URLs: the one requested, as linked (safely normalized, alias hosts
    mapped onto the primary host), and its key (:func:`~pipelines.dedup.canonical_url`),
    which decides identity: tracking-parameter, ``index.html`` and alias-host variants of
    one page have one key, and only the first one linked is requested.  Only the site's
    own hosts are followed; everything else is counted.

    Runs are incremental: article URLs already in the database are not requested (except
    the revisits that are due), and the listing is walked one page at a time, newest first,
    until ``site.stop_after_known`` known article links in a row.  Only the listing pages'
    own article links count, in page order: links found on article pages ("related"
    stories), feeds and sitemaps say nothing about where the new stories of the listing
    end, so they never stop the walk.  ``full`` ignores the stop, and so does any run after
    one that did not finish, so that its work gets done.
    """

    name = "world"

    def __init__(self, site: str | None = None, site_file: str | None = None,
                 start_url: str | None = None, max_pages: str | int | None = None,
                 full: str | bool = False, profile: Site | None = None,
                 *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # ``profile``: a Site already resolved by the caller (an inferred or stored profile).
        self.site: Site = profile if isinstance(profile, Site) else get_site(site, site_file, start_url)
        self.max_pages = int(max_pages) if max_pages not in (None, "") else self.site.max_pages
        self.allowed_domains = sorted({urlsplit(f"//{h}").hostname or ""
                                       for h in self.site.serving_hosts})
        # Spider arguments arrive as strings from `scrapy crawl -a` and scrapyd.
        self.full = full if isinstance(full, bool) else full.lower() in ("1", "true", "yes")
        # Not `self.state`: Scrapy keeps that one in JOBDIR across a pause.
        self.db_state = CrawlState(KnownUrls(), (), False)
        self.seen_links: set[str] = set()
        self.listed: set[str] = set()  # article links already counted on a listing page
        self.other_links: list[str] = []  # a few listing links matching no pattern
        self.known_streak = 0
        self.stopped = False

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> WorldSpider:
        kwargs.setdefault("site", crawler.settings.get("NEWSCRAWL_SITE"))
        # `scrapy crawl world -a site=NAME` (scrapyd) with a profile stored in the database.
        if kwargs.get("profile") is None and not kwargs.get("site_file"):
            kwargs["profile"] = stored_site(kwargs.get("site"), crawler.settings.get("NEWSCRAWL_DB"),
                                            kwargs.get("start_url"))
        spider = super().from_crawler(crawler, *args, **kwargs)
        if not spider.site.verify_certificates:
            # Below -s (cmdline priority), above the project default; the settings are
            # not frozen yet, the download handlers are built after the spider.
            crawler.settings.set("DOWNLOAD_VERIFY_CERTIFICATES", False, priority="spider")
        return spider

    async def start(self) -> AsyncIterator[scrapy.Request]:
        db = self.settings.get("NEWSCRAWL_DB")
        if db and self.settings.getbool("NEWSCRAWL_STORE_ENABLED"):
            try:
                self.db_state = crawl_state(db, self.site.name, tuple(self.site.revisit_days))
            except StoreError as exc:
                self.logger.warning("Crawling without the database's state: %s", exc)
        if not self.full and self.db_state.known and not self.db_state.last_run_complete:
            self.full = True
            self.logger.info("The last run did not finish: walking every listing page")
        self.logger.info("%s known URLs, %s articles due for a revisit, %s walk",
                         len(self.db_state.known), len(self.db_state.due),
                         "full" if self.full else "incremental")
        for row in self.db_state.due:
            headers = {}
            if row["etag"]:
                headers["If-None-Match"] = row["etag"]
            if row["last_modified"]:
                headers["If-Modified-Since"] = row["last_modified"]
            self._count("revisits/requested")
            # dont_filter: a revisit must get its answer even when it redirects to a page
            # this run fetches anyway (a removed story 301'd to the section front).
            yield scrapy.Request(row["fetch_url"], callback=self.parse_article,
                                 errback=self.on_error, dont_filter=True,
                                 headers=headers, meta={"revisit": True,
                                                        "handle_httpstatus_list": REVISIT_STATUSES})
        for url in self.site.start_urls:
            yield self._request(url, self.parse_listing, page=0)
        for url in self.site.feeds:
            yield self._request(url, self.parse_feed)
        for url in self.site.sitemaps:
            yield self._request(url, self.parse_sitemap)

    # -- requests ---------------------------------------------------------------------------
    def _request(self, url: str, callback: Any, **meta: Any) -> scrapy.Request:
        return scrapy.Request(request_url(url, self.site), callback=callback,
                              errback=self.on_error, meta=meta)

    def _count(self, key: str) -> None:
        self.crawler.stats.inc_value(f"newscrawl/{key}")

    def follow_links(self, base: str, hrefs: Iterable[str],
                     pages: list[tuple[int, str]] | None = None) -> Iterable[scrapy.Request]:
        """Requests for the new article links among ``hrefs`` (feeds and sitemaps, read
        here); pages read by a worker come with their links resolved: :meth:`follow`."""
        yield from self.follow(site_links(base, hrefs, self.site), pages)

    def follow(self, links: SiteLinks,
               pages: list[tuple[int, str]] | None = None) -> Iterable[scrapy.Request]:
        """Requests for the new article links among a page's on-site links; the rest is
        counted.

        Listing links go into ``pages`` (page number, URL) when given, which only a listing
        page does, for the caller to pick the next page; elsewhere they are not followed:
        the walk from the front finds them in order.  On a listing page each article link,
        in order, extends the run of known links the stop counts or (a story not in the
        database, even one already requested from elsewhere) ends it.
        """
        for scheme, n in links.refused.items():
            self.crawler.stats.inc_value(f"newscrawl/links/refused_scheme/{scheme}", n)
        if links.offsite:
            self.crawler.stats.inc_value("newscrawl/links/offsite", links.offsite)
        for url, link in zip(links.urls, links.requests or links.urls):
            parts = urlsplit(url)
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if self.site.is_article(path):
                if pages is not None:
                    self._count("links/listing_article")
                if pages is not None and url not in self.listed:
                    self.listed.add(url)
                    self._count_for_stop(url in self.db_state.known)
                if url in self.seen_links:
                    continue
                self.seen_links.add(url)
                if url in self.db_state.known:
                    self._count("links/known")
                    continue
                yield self._request(link, self.parse_article)
                continue
            page = self.site.listing_page_number(path)
            if page is not None and pages is not None:
                pages.append((page, link))
            elif pages is not None:
                self._other_link(url)

    def _other_link(self, url: str) -> None:
        """Count a listing page's link that is neither an article nor a listing page, and
        keep the first few: a run whose listings hold no article link shows them."""
        self._count("links/listing_other")
        if len(self.other_links) < 5 and url not in self.other_links:
            self.other_links.append(url)
            self.crawler.stats.set_value("newscrawl/links/listing_other_sample",
                                         " ".join(self.other_links))

    def _count_for_stop(self, known: bool) -> None:
        self.known_streak = self.known_streak + 1 if known else 0
        if self.known_streak >= self.site.stop_after_known:
            self.stopped = True

    async def page_links(self, response: Response) -> SiteLinks | None:
        """The links of an HTML page, parsed in an extraction worker (never in the reactor);
        None, counted and logged, when the page cannot be parsed or its worker gave up."""
        data = DataPath.of(self.crawler)
        encoding = http_content_type_encoding(
            response.headers.get(b"Content-Type", b"").decode("latin-1"))
        future = data.pool().submit(links_of, response.body, response.url, encoding, self.site)
        try:
            return await asyncio.wrap_future(future)
        except Exception as raw_exc:  # noqa: BLE001 - every failure is counted by its reason
            exc = translate(raw_exc, data.timeout)
            reason = getattr(exc, "reason", type(exc).__name__)
            self._count(f"skipped/listing_{reason}")
            self.logger.warning("No links read from the listing page %s: %s", response.url, exc)
            return None

    # -- callbacks --------------------------------------------------------------------------
    async def parse_listing(self, response: Response) -> AsyncIterator[scrapy.Request]:
        """New articles of one listing page, then the next page unless the walk stops here.

        Pages are walked one at a time, so the run of known links is counted newest first.
        """
        self._count("pages/listing")
        if not isinstance(response, TextResponse):
            self._count("skipped/not_html")
            return
        links = await self.page_links(response)
        if links is None:
            return
        if not (links.urls or links.offsite or links.refused):
            self._count("skipped/listing_no_links")
            self.logger.warning("No links on the listing page %s", response.url)
        pages: list[tuple[int, str]] = []
        for request in self.follow(links, pages):
            yield request
        number = response.meta.get("page", 0)
        later = sorted(p for p in pages if p[0] > number)
        if not later:
            return
        if self.stopped and not self.full:
            self._count("listing/stopped")
            self.logger.info("Stopped paginating at page %s after %s known articles in a row",
                             number, self.known_streak)
            return
        if later[0][0] > self.max_pages:
            self._count("links/beyond_max_pages")
            return
        yield self._request(later[0][1], self.parse_listing, page=later[0][0])

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

    def parse_article(self, response: Response) -> Iterable[PageItem]:
        """The page as an item; its worker reads its links, which come back through
        :meth:`follow_links` (the extraction pipeline schedules them).

        A page reached by a redirect is an article only if where it ended is an article
        URL: a removed story 301'd to the section front is not one (on a revisit its row is
        withdrawn, with the reason; a new link is remembered as skipped)."""
        if response.status in REVISIT_STATUSES:
            # A revisit's answer: the store pipeline marks the row seen or withdrawn.
            gone = f"HTTP {response.status}" if response.status != 304 else None
            yield self._item(response, body=b"", withdrawn=gone)
            return
        if response.meta.get("redirect_urls") and not self._is_article_url(response.url):
            reason = f"redirected to {response.url}, not an article URL"
            if response.meta.get("revisit"):
                yield self._item(response, body=b"", withdrawn=reason)
                return
            self.logger.info("Skipped %s: %s", response.meta["redirect_urls"][0], reason)
            yield self._item(response, body=b"", skipped="not_article_url")
            return
        content_type = response.headers.get(b"Content-Type", b"").split(b";")[0].strip().lower()
        if content_type not in HTML_TYPES:
            self._count("skipped/not_html")
            self.logger.info("Skipped %s: not HTML (%s)", response.url,
                             content_type.decode("latin-1") or "no Content-Type")
            return
        self._count("pages/article")
        yield self._item(response, body=response.body)

    def _is_article_url(self, url: str) -> bool:
        parts = urlsplit(canonical_url(url, self.site))
        return parts.netloc == self.site.primary_host and self.site.is_article(
            parts.path + (f"?{parts.query}" if parts.query else ""))

    def _item(self, response: Response, body: bytes, **fields: Any) -> PageItem:
        return PageItem(
            url=canonical_url(response.meta.get("redirect_urls", [response.url])[0], self.site),
            final_url=canonical_url(response.url, self.site),
            fetched_url=response.url,
            redirects=tuple(dict.fromkeys(canonical_url(u, self.site)
                                          for u in response.meta.get("redirect_urls", []))),
            site=self.site.name,
            body=body,
            encoding=http_content_type_encoding(
                response.headers.get(b"Content-Type", b"").decode("latin-1")),
            status=response.status,
            depth=response.meta.get("depth", 0),
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            headers={k.decode("latin-1").lower(): v[0].decode("latin-1")
                     for k, v in response.headers.items() if v and k.lower() in
                     (b"etag", b"last-modified", b"content-type")},
            **fields,
        )

    def on_error(self, failure: Failure) -> None:
        """Count and log a failed request by reason; the crawl goes on."""
        request = failure.request
        if failure.check(Refused):
            return  # counted and logged where it was refused
        if failure.check(HttpError):
            status = failure.value.response.status
            self._count(f"errors/http_{status}")
            self.logger.warning("HTTP %s for %s", status, request.url)
            return
        if failure.check(IgnoreRequest):
            message = failure.getErrorMessage()
            kind = next((name for text, name in IGNORED_NAMES if text in message), "ignored")
            if kind == "robots_forbidden":
                self._count(f"skipped/{kind}")
                return
        elif tls := tls_failure(failure.value):
            self._count("errors/tls")
            self.logger.warning("Failed %s (tls): %s; %s", request.url, tls, TLS_HINT)
            return
        else:
            kind = next((name for cls, name in FAILURE_NAMES if failure.check(cls)),
                        failure.type.__name__ if failure.type else "unknown")
        self._count(f"errors/{kind}")
        self.logger.warning("Failed %s (%s): %s", request.url, kind, failure.getErrorMessage())
