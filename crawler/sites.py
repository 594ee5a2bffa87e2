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

from pipelines.dedup import DEFAULT_TRACKING_PARAMS


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
    # Hosts of the site this profile is a copy of (set by ``with_start_url``): their links
    # and keys fold into the primary host, but a redirect there leaves the copy: refused.
    mirrored: tuple[str, ...] = ()
    max_pages: int = 50
    # The listing URL's number counts in steps of this (10 for ``?offset=10, 20, ...``).
    page_step: int = 1
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
    # Rule packs (pipelines/rules/<name>.toml) applied to every page of the site, besides
    # the pack of the page's language: e.g. ["en"] for a site whose pages declare none.
    rule_packs: tuple[str, ...] = ()
    # URL identity (the key URL; requests go out as linked).  Query parameters that never
    # name a page, ``*`` a wildcard: the default is click trackers and session ids only;
    # a site whose ``from``/``ref``/``share`` are trackers lists them (``?sid=`` is a story
    # id on several CMSs, so nothing of the kind is stripped everywhere).
    tracking_params: tuple[str, ...] = DEFAULT_TRACKING_PARAMS
    # True when ``/a`` and ``/a/`` are one page on this site: keys then end in a slash.
    fold_trailing_slash: bool = False
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
        """Every host whose URLs name this site's pages (primary, other hosts, aliases, and
        the original hosts of a copy): their links and keys fold into the primary host."""
        return frozenset(h.lower() for h in (*self.hosts, *self.aliases, *self.mirrored))

    @property
    def serving_hosts(self) -> frozenset[str]:
        """The hosts that serve this site's pages: a redirect to one of them (www. to
        apex) is followed, robots.txt's included."""
        return frozenset(h.lower() for h in (*self.hosts, *self.aliases))

    def is_article(self, path: str) -> bool:
        return re.search(self.article_pattern, path) is not None

    def listing_page_number(self, path: str) -> int | None:
        """The page number of a listing URL path (0 for the section front), else None."""
        m = re.search(self.listing_pattern, path)
        if m is None:
            return None
        digits = next((g for g in m.groups() if g and g.isdigit()), None)
        return int(digits) // max(1, self.page_step) if digits else 0

    def with_start_url(self, url: str) -> Site:
        """The same site served from ``url``'s host (a mirror or a local copy).

        The profile's own hosts become mirrored hosts of the new one, so absolute links
        inside the copied pages still land on the copy and never on the original site (nor
        does a redirect).
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise SiteError(f"--start-url must be an absolute http(s) URL, got {url!r}")
        host = parts.netloc.lower()
        mirrored = tuple(h for h in (*self.hosts, *self.aliases, *self.mirrored)
                         if h.lower() != host)
        return dataclasses.replace(self, start_urls=(url,), hosts=(host,), aliases=(),
                                   mirrored=mirrored,
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
    # Its sections are directories (``/World`` redirects to ``/World/``).
    fold_trailing_slash=True,
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


REQUIRED = ("name", "start_urls", "hosts", "article_pattern")
STRINGS = {"name", "article_pattern", "listing_pattern", "timezone"}
OPTIONAL_STRINGS = {"body_xpath", "title_xpath", "byline_xpath", "author_pattern"}
STRING_LISTS = {"start_urls", "hosts", "aliases", "mirrored", "feeds", "sitemaps",
                "caption_xpaths", "drop_xpaths", "drop_line_patterns", "tracking_params",
                "rule_packs"}
INTEGERS = {"max_pages", "stop_after_known", "page_step"}
BOOLEANS = {"verify_certificates", "fold_trailing_slash"}
XPATHS = {"body_xpath", "title_xpath", "byline_xpath", "caption_xpaths", "drop_xpaths"}
URLS = {"start_urls", "feeds", "sitemaps"}


def profile_errors(data: dict[str, Any], *, partial: bool = False) -> list[str]:
    """Every problem of a profile's fields, one clear message each (empty: it is valid).

    ``partial`` is for a file that ``extends`` a built-in profile: required fields may
    come from the base.  Types are checked here, so a string where a list belongs says so
    instead of being split into characters later.
    """
    import lxml.etree

    names = {f.name for f in dataclasses.fields(Site)}
    errors = [f"unknown field {k!r} (known: {', '.join(sorted(names))})"
              for k in sorted(set(data) - names)]
    if not partial:
        errors += [f"missing required field {k!r}" for k in REQUIRED if k not in data]
    for key, value in data.items():
        if key in STRINGS and not isinstance(value, str):
            errors.append(f"{key} must be a string, got {_kind(value)}")
        elif key in OPTIONAL_STRINGS and value is not None and not isinstance(value, str):
            errors.append(f"{key} must be a string, got {_kind(value)}")
        elif key in STRING_LISTS and not (isinstance(value, (list, tuple))
                                          and all(isinstance(v, str) for v in value)):
            hint = f' (write {key} = ["{value}"])' if isinstance(value, str) else ""
            errors.append(f"{key} must be a list of strings, got {_kind(value)}{hint}")
        elif key in BOOLEANS and not isinstance(value, bool):
            errors.append(f"{key} must be true or false, got {_kind(value)}")
        elif key in INTEGERS and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
            errors.append(f"{key} must be a positive whole number, got {value!r}")
        elif key == "revisit_days" and not (isinstance(value, (list, tuple)) and all(
                isinstance(v, (int, float)) and not isinstance(v, bool) and v > 0 for v in value)):
            errors.append(f"revisit_days must be a list of positive numbers, got {value!r}")
        elif key == "field_line_patterns" and not (isinstance(value, dict) and all(
                isinstance(v, str) for v in value.values())):
            errors.append("field_line_patterns must be a table of name = 'regex', "
                          f"got {_kind(value)}")
    bad = {e.split(" ", 1)[0] for e in errors}
    if isinstance(data.get("timezone"), str):
        try:
            ZoneInfo(data["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            errors.append(f"unknown timezone {data['timezone']!r}: not a known IANA time zone "
                          "(e.g. 'Asia/Shanghai', 'Europe/Berlin', 'UTC')")
    for key in XPATHS - bad:
        for xpath in ([data[key]] if isinstance(data.get(key), str) else data.get(key) or []):
            try:
                lxml.etree.XPath(xpath)
            except lxml.etree.XPathSyntaxError as exc:
                errors.append(f"{key} is not a valid XPath ({exc}): {xpath!r}")
    patterns = [(k, data[k]) for k in ("article_pattern", "listing_pattern", "author_pattern")
                if isinstance(data.get(k), str) and k not in bad]
    if "drop_line_patterns" not in bad:
        patterns += [("drop_line_patterns", p) for p in data.get("drop_line_patterns") or []]
    if "field_line_patterns" not in bad:
        patterns += [(f"field_line_patterns.{k}", p)
                     for k, p in (data.get("field_line_patterns") or {}).items()]
    for key, pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            errors.append(f"{key} is not a valid regex ({exc}): {pattern!r}")
    if "rule_packs" not in bad:
        from pipelines.rulepacks import pack_names

        known = pack_names()
        errors += [f"rule_packs: unknown pack {name!r} (known: {', '.join(known)})"
                   for name in data.get("rule_packs") or [] if name not in known]
    for key in URLS - bad:
        for url in data.get(key) or []:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                errors.append(f"{key}: {url!r} is not an absolute http(s) URL")
    if not {"start_urls", "hosts", "aliases"} & bad and "hosts" in data:
        known = {h.lower() for h in [*data["hosts"], *data.get("aliases", [])]}
        for url in data.get("start_urls") or []:
            host = urlsplit(url).netloc.lower()
            if host and host not in known:
                errors.append(f"start_urls: the host of {url!r} is not in hosts or aliases "
                              "(the crawl would refuse it as offsite)")
    return errors


def _kind(value: Any) -> str:
    names = {str: "a string", int: "a number", float: "a number", bool: "true/false",
             list: "a list", dict: "a table"}
    return f"{names.get(type(value), type(value).__name__)} ({value!r})"


def site_from_dict(data: dict[str, Any], source: str = "profile") -> Site:
    """A :class:`Site` from plain data (TOML, JSON), or a :class:`SiteError` listing every
    problem.  ``extends = "NAME"`` starts from a built-in profile."""
    data = dict(data)
    base = data.pop("extends", None)
    if base is not None and base not in SITES:
        raise SiteError(f"{source}: extends unknown site {base!r}; built-in sites: "
                        f"{', '.join(sorted(SITES))}")
    if not data and base is None:
        raise SiteError(f"{source} is empty: a profile needs at least "
                        f"{', '.join(REQUIRED)} (see README, 'Adding a site')")
    errors = profile_errors(data, partial=base is not None)
    if errors:
        raise SiteError(f"{source} has {len(errors)} error(s):\n  " + "\n  ".join(errors))
    fields = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
    try:
        if base is not None:
            return dataclasses.replace(SITES[base], **fields)
        return Site(**fields)
    except SiteError as exc:
        raise SiteError(f"{source}: {exc}") from None


def load_site_file(path: str | Path) -> Site:
    """Read a site profile from a TOML file whose keys are :class:`Site`'s fields.

    A file may name a built-in profile in ``extends = "bjreview"`` and override some fields.
    """
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SiteError(f"site file {path} does not exist") from None
    except IsADirectoryError:
        raise SiteError(f"site file {path} is a directory") from None
    except UnicodeDecodeError:
        raise SiteError(f"site file {path} is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise SiteError(f"site file {path} is not valid TOML: {exc}") from None
    return site_from_dict(data, f"site file {path}")


def site_to_dict(site: Site) -> dict[str, Any]:
    """The fields that differ from the defaults (all required ones), as plain data."""
    out: dict[str, Any] = {}
    for f in dataclasses.fields(Site):
        value = getattr(site, f.name)
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None)
        if f.name in REQUIRED or (value != default and value is not None):
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        # Literal strings keep regex backslashes readable; otherwise a JSON string is TOML.
        return f"'{value}'" if "'" not in value and "\n" not in value else json.dumps(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def site_to_toml(site: Site) -> str:
    """A TOML profile that :func:`load_site_file` reads back into the same :class:`Site`."""
    return "".join(f"{k} = {_toml_value(v)}\n" for k, v in site_to_dict(site).items())


def stored_site(name: str | None, db: str | Path | None,
                start_url: str | None = None) -> Site | None:
    """The profile ``name`` stored in the database ``db`` (``sites`` table), if it is not a
    built-in one and is stored there; moved to ``start_url`` when given."""
    if not name or name in SITES or not db:
        return None
    from pipelines.sites_table import load_profile

    row = load_profile(db, name)
    if row is None:
        return None
    site = site_from_dict(row["profile"], f"profile {name!r} stored in {db}")
    return site.with_start_url(start_url) if start_url else site


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
