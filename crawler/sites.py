"""Site profiles: what a crawl of one news site needs to know, as typed, frozen data.

A profile is data, not code, so users add sites with a TOML file (``--site-file``) that has
the same fields as :class:`Site`.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class SiteError(ValueError):
    """A site profile is unknown or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class Site:
    """One news site's section, its URL shapes and its cleanup rules.

    ``hosts[0]`` is the primary host: alias hosts and the other listed hosts fold into it, so
    one story has one URL however it was linked.  Patterns are regular expressions matched
    against the URL *path* (with query), so they survive ``--start-url`` pointing elsewhere.
    """

    name: str
    start_urls: tuple[str, ...]
    hosts: tuple[str, ...]
    article_pattern: str
    listing_pattern: str = r"$^"
    aliases: tuple[str, ...] = ()
    max_pages: int = 50
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    # Cleanup rules, all optional.  XPath expressions are evaluated on the whole page.
    body_xpath: str | None = None
    title_xpath: str | None = None
    byline_xpath: str | None = None
    author_pattern: str | None = None
    caption_xpaths: tuple[str, ...] = ()
    drop_xpaths: tuple[str, ...] = ()
    drop_line_patterns: tuple[str, ...] = ()
    # Body lines matching these go to a named field instead of the body ("captions" is a
    # column of its own, other names land in the ``extras`` JSON column).
    field_line_patterns: dict[str, str] = field(default_factory=dict)
    # Time zone of dates the site prints without one (IANA name).
    timezone: str = "UTC"
    # Incremental runs: stop paginating after this many known article links in a row.
    stop_after_known: int = 20
    # Revisits: fetch a stored article again this many days after it was first seen.
    revisit_days: tuple[float, ...] = (1, 7)
    # TLS certificates are verified; false accepts a site whose certificate is not valid
    # (self-signed, expired), as `-s DOWNLOAD_VERIFY_CERTIFICATES=False` does for any run.
    verify_certificates: bool = True

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise SiteError(f"site {self.name!r}: unknown timezone {self.timezone!r} "
                            "(an IANA name such as 'Asia/Shanghai')") from None
        if not self.start_urls:
            raise SiteError(f"site {self.name!r}: start_urls is empty")
        if not self.hosts:
            raise SiteError(f"site {self.name!r}: hosts is empty")
        for label, pattern in [
            ("article_pattern", self.article_pattern),
            ("listing_pattern", self.listing_pattern),
            ("author_pattern", self.author_pattern or ""),
            *[("drop_line_patterns", p) for p in self.drop_line_patterns],
            *[(f"field_line_patterns.{k}", p) for k, p in self.field_line_patterns.items()],
        ]:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise SiteError(f"site {self.name!r}: {label} is not a valid regex: {exc}") from exc

    @property
    def scheme(self) -> str:
        return urlsplit(self.start_urls[0]).scheme or "https"

    @property
    def primary_host(self) -> str:
        return self.hosts[0]

    @property
    def all_hosts(self) -> frozenset[str]:
        """Every host whose pages belong to this site (primary, other hosts, aliases)."""
        return frozenset(h.lower() for h in (*self.hosts, *self.aliases))

    def is_article(self, path: str) -> bool:
        return re.search(self.article_pattern, path) is not None

    def listing_page_number(self, path: str) -> int | None:
        """The page number of a listing URL path (0 for the section front), else None."""
        m = re.search(self.listing_pattern, path)
        if m is None:
            return None
        digits = next((g for g in m.groups() if g and g.isdigit()), None)
        return int(digits) if digits else 0

    def with_start_url(self, url: str) -> Site:
        """The same site served from ``url``'s host (a mirror or a local copy).

        The profile's own hosts become aliases of the new host, so absolute links inside the
        copied pages still land on the copy and never on the original site.
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SiteError(f"--start-url must be an absolute http(s) URL, got {url!r}")
        host = parts.netloc.lower()
        aliases = tuple(h for h in (*self.hosts, *self.aliases) if h.lower() != host)
        return dataclasses.replace(self, start_urls=(url,), hosts=(host,), aliases=aliases,
                                   feeds=tuple(_rehost(u, url) for u in self.feeds),
                                   sitemaps=tuple(_rehost(u, url) for u in self.sitemaps))


def _rehost(url: str, base: str) -> str:
    old, new = urlsplit(url), urlsplit(base)
    return old._replace(scheme=new.scheme, netloc=new.netloc).geturl()


BJREVIEW = Site(
    name="bjreview",
    start_urls=("https://www.bjreview.com/World/",),
    hosts=("www.bjreview.com",),
    aliases=("www.bjreview.com.cn", "bjreview.com", "bjreview.com.cn"),
    article_pattern=r"^/World/\d{6}/t\d{8}_\d+\.html$",
    listing_pattern=r"^/World/(?:index(?:_(\d+))?\.html)?$",
    max_pages=50,
    timezone="Asia/Shanghai",
    body_xpath="//div[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",
    title_xpath="//*[@id='TRS_Editor_title']",
    byline_xpath="//td[contains(concat(' ', normalize-space(@class), ' '), ' ly4 ')]",
    author_pattern=r"\bBy\s+(.+?)\s*(?:·|\||$)",
    # Photo captions are centred paragraphs without an image in them.
    caption_xpaths=(
        "//div[contains(@class, 'TRS_Editor')]//p[contains(translate(@style, 'CENTR', 'centr'),"
        " 'text-align:center') or contains(translate(@style, 'CENTR', 'centr'),"
        " 'text-align: center') or @align='center'][not(.//img)][normalize-space()]",
    ),
    drop_line_patterns=(
        r"^Copyedited by\b",
        r"^Comments to\b",
        r"^Source:\s*NO\.\s*\d+",
    ),
    field_line_patterns={
        "captions": r"^.{20,}\((?:XINHUA|VCG|AFP|AP|REUTERS|CFP|IC|[A-Z][A-Z .'/-]{1,40})\)\s*$",
        "print_title": r"^\(Print Edition Title:\s*(.+?)\)\s*$",
    },
)

SITES: dict[str, Site] = {BJREVIEW.name: BJREVIEW}


def _tuples(data: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in dataclasses.fields(Site)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise SiteError(f"unknown field(s) {', '.join(unknown)}; known: {', '.join(sorted(names))}")
    return {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}


def load_site_file(path: str | Path) -> Site:
    """Read a site profile from a TOML file whose keys are :class:`Site`'s fields.

    A file may name a built-in profile in ``extends = "bjreview"`` and override some fields.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SiteError(f"site file {path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise SiteError(f"site file {path} is not valid TOML: {exc}") from None
    base = data.pop("extends", None)
    try:
        if base is not None:
            return dataclasses.replace(get_site(base), **_tuples(data))
        return Site(**_tuples(data))
    except TypeError as exc:
        raise SiteError(f"site file {path}: {exc}") from None


def get_site(name: str | None = None, site_file: str | Path | None = None,
             start_url: str | None = None) -> Site:
    """Resolve the CLI/spider arguments into one :class:`Site`."""
    if site_file:
        site = load_site_file(site_file)
    else:
        name = name or "bjreview"
        if name not in SITES:
            raise SiteError(f"unknown site {name!r}; built-in sites: {', '.join(sorted(SITES))}"
                            " (or give --site-file)")
        site = SITES[name]
    return site.with_start_url(start_url) if start_url else site
