"""URL canonicalization and content fingerprints: what makes two fetches one story."""

from __future__ import annotations

import fnmatch
import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from w3lib.url import safe_url_string

from pipelines.profile import SiteProfile

# Parameters that say where a click came from (or which session made it), never which page
# it is, on any site.  ``sid``, ``source``, ``from``, ``ref``, ``share`` are not here: several
# CMSs use them as story ids, so a site profile adds them (``tracking_params``) when it knows.
DEFAULT_TRACKING_PARAMS: tuple[str, ...] = (
    "utm_*", "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "mc_cid", "mc_eid",
    "_ga", "_gl", "yclid", "igshid", "twclid", "ttclid", "jsessionid", "phpsessid",
)
INDEX_FILE = re.compile(r"/(?:index|default)\.(?:s?html?|php|aspx?)$", re.IGNORECASE)
DEFAULT_PORTS = {"http": "80", "https": "443"}

# Near-duplicate threshold: Simhash similarity is a coarse hint (different stories can
# collide), so a candidate is confirmed by word-shingle overlap before it counts.
SIMHASH_MIN_SIMILARITY = 0.90
SHINGLE_MIN_JACCARD = 0.80


@lru_cache(maxsize=64)
def tracking_param(patterns: tuple[str, ...]) -> re.Pattern[str]:
    """One case-insensitive regex for a list of parameter names (``*`` is a wildcard)."""
    return re.compile("|".join(fnmatch.translate(p.lower()) for p in patterns) or "$^",
                      re.IGNORECASE)


def _origin(url: str, site: SiteProfile | None, parts: Any = None) -> tuple[Any, str, str]:
    """``url`` split, with its scheme and netloc lower-cased, the default port dropped and
    an alias host of the site mapped onto the primary host and scheme (``parts``: ``url``
    already split, by a caller that needed it)."""
    parts = parts if parts is not None else urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port if parts.port is not None else None
    netloc = host if port is None or str(port) == DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    if site is not None and netloc in site.all_hosts:
        scheme, netloc = site.scheme, site.primary_host
    return parts, scheme, netloc


# A URL made of these characters only is what w3lib's safe_url_string returns unchanged
# (nothing to percent-encode), so the request URL of most links skips it.
_URL_SAFE = re.compile(r"[A-Za-z0-9\-._~:/?@!$&()*+,;=%]*")


def request_url(url: str, site: SiteProfile | None = None) -> str:
    """The URL to request for a link: what was linked, only safely normalized.

    The path and query stay as written (w3lib's ``safe_url_string`` only percent-encodes
    what must be), the fragment goes, and an alias host is mapped onto the site's primary
    host (the profile says they serve the same pages; a mirror served by ``--start-url``
    needs it).  Identity is :func:`canonical_url`'s job: requesting a rewritten spelling
    (a slash appended, a parameter dropped) can fetch another page or a 404.
    """
    return _request_url(*_origin(url, site))


def _request_url(parts: Any, scheme: str, netloc: str) -> str:
    url = urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))
    return url if _URL_SAFE.fullmatch(url) else safe_url_string(url)


def canonical_url(url: str, site: SiteProfile | None = None) -> str:
    """The key URL of ``url``: the one spelling used for identity (rows, aliases, the known
    set of an incremental run), never sent to a server as such.

    Lower-cases scheme and host, drops default ports, the fragment and the site's tracking
    parameters (:data:`DEFAULT_TRACKING_PARAMS` unless the profile lists its own), sorts
    the remaining query, folds repeated slashes and ``index.html``, and maps the site's
    alias hosts onto its primary host and scheme.  A missing trailing slash is added only
    on a site whose profile says ``fold_trailing_slash`` (``/a`` and ``/a/`` are one page
    there), and only on its own host; elsewhere they stay two URLs unless a redirect shows
    they are one.
    """
    return _canonical_url(*_origin(url, site), site)


def _canonical_url(parts: Any, scheme: str, netloc: str, site: SiteProfile | None) -> str:
    # The profile's URL rules are about its own URLs; another host gets the safe defaults.
    own = site if site is not None and netloc == site.primary_host else None
    path = parts.path or "/"
    path = re.sub(r"/{2,}", "/", path)
    path = INDEX_FILE.sub("/", path)
    last = path.rsplit("/", 1)[-1]
    if last and "." not in last and own is not None and own.fold_trailing_slash:
        path += "/"
    tracking = tracking_param(tuple(own.tracking_params) if own is not None
                              else DEFAULT_TRACKING_PARAMS)
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not tracking.fullmatch(k)))
    return urlunsplit((scheme, netloc, path, query, ""))


@dataclass
class SiteLinks:
    """A page's links as the spider needs them: key URLs on the site's own host, in page
    order without repeats, the URL to request for each (``requests[i]`` for ``urls[i]``, as
    first linked), and counts of what was left out."""

    urls: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    offsite: int = 0
    refused: Counter = field(default_factory=Counter)  # scheme -> links with it


IGNORED_SCHEMES = ("javascript", "mailto", "tel")


def site_links(base: str, hrefs: Iterable[str], site: SiteProfile | None) -> SiteLinks:
    """Resolve, key and keep the on-site links among ``hrefs`` (done in a worker for article
    and listing pages, so the reactor only looks them up).

    A page repeats many of its links (menus, the same story as picture and headline), so
    each distinct ``href`` is resolved once; an offsite link is counted before any key is
    computed for it."""
    found = SiteLinks()
    seen: set[str] = set()
    outcome: dict[str, str | tuple[str, str] | None] = {}  # href -> what it came to
    hosts = site.all_hosts | {site.primary_host} if site is not None else None
    for href in hrefs:
        href = href.strip()
        if not href or href.startswith("#"):
            continue
        if href not in outcome:
            outcome[href] = _resolve(base, href, site, hosts)
        done = outcome[href]
        if done is None:
            found.offsite += 1
        elif isinstance(done, str):
            if done:
                found.refused[done] += 1
        elif done[0] not in seen:
            seen.add(done[0])
            found.urls.append(done[0])
            found.requests.append(done[1])
    return found


def _resolve(base: str, href: str, site: SiteProfile | None,
             hosts: frozenset[str] | set[str] | None) -> str | tuple[str, str] | None:
    """One link of :func:`site_links`: ``(key URL, request URL)``, None when it is offsite,
    or the reason it is refused (its scheme, or "invalid"); "" for a scheme ignored quietly."""
    try:
        absolute = urljoin(base, href)
        split = urlsplit(absolute)
        scheme = split.scheme.lower()
        if scheme not in ("http", "https"):
            return "" if scheme in IGNORED_SCHEMES else (scheme or "none")
        parts, scheme, netloc = _origin(absolute, None, split)
        if hosts is not None and netloc not in hosts:
            return None
        if site is not None and netloc in site.all_hosts:
            scheme, netloc = site.scheme, site.primary_host
        return _canonical_url(parts, scheme, netloc, site), _request_url(parts, scheme, netloc)
    except ValueError:  # an invalid IPv6 literal, a bad port: not a link
        return "invalid"


def normalize_text(text: str) -> str:
    """Text as compared for duplicates: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_hash(text: str) -> str:
    """A key for exact duplicates: the same body under two URLs has the same hash."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def simhash(text: str) -> int:
    """A 64-bit locality-sensitive fingerprint, stored as a signed SQLite integer.

    trafilatura's Simhash (its tokens, its blake2b token hashes, Charikar's bit vote), with
    the vote counted by numpy instead of a 64-element Python list per token: the same
    value, 4 ms less per page."""
    import numpy as np
    from trafilatura.deduplication import sample_tokens  # slow to import: on use

    tokens = sample_tokens(normalize_text(text), 64)
    digest = hashlib.blake2b
    hashes = np.frombuffer(b"".join(digest(t.encode(), digest_size=8).digest() for t in tokens),
                           dtype=">u8")
    ones = ((hashes[:, None] >> np.arange(64, dtype=np.uint64)) & np.uint64(1)).sum(axis=0)
    # A bit is set when at least half the tokens have it (all bits for no token at all).
    value = sum(1 << i for i, n in enumerate(ones.tolist()) if 2 * n >= len(tokens))
    return value - (1 << 64) if value >= (1 << 63) else value


def simhash_similarity(a: int, b: int) -> float:
    """Share of equal bits between two fingerprints (1.0 = identical)."""
    return 1 - bin((a ^ b) & ((1 << 64) - 1)).count("1") / 64


def _shingles(text: str, n: int = 5) -> set[tuple[str, ...]]:
    words = normalize_text(text).split()
    return {tuple(words[i:i + n]) for i in range(max(1, len(words) - n + 1))}


def near_duplicate(a: str, b: str) -> bool:
    """True when two bodies are the same story with small edits (word 5-shingle Jaccard)."""
    sa, sb = _shingles(a), _shingles(b)
    if not sa or not sb:
        return False
    return len(sa & sb) / len(sa | sb) >= SHINGLE_MIN_JACCARD
