"""URL canonicalization and content fingerprints: what makes two fetches one story."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from pipelines.profile import SiteProfile

# Parameters that say where a click came from, never which page it is.
TRACKING_PARAM = re.compile(
    r"^(?:utm_\w*|fbclid|gclid|dclid|msclkid|mc_[ce]id|_ga|_gl|yclid|igshid|spm|scm"
    r"|share|shared|ref|ref_src|referrer|from|source|cmpid|ocid|icid|sessionid|sid|jsessionid"
    r"|phpsessid)$",
    re.IGNORECASE,
)
INDEX_FILE = re.compile(r"/(?:index|default)\.(?:s?html?|php|aspx?)$", re.IGNORECASE)
DEFAULT_PORTS = {"http": "80", "https": "443"}

# Near-duplicate threshold: Simhash similarity is a coarse hint (different stories can
# collide), so a candidate is confirmed by word-shingle overlap before it counts.
SIMHASH_MIN_SIMILARITY = 0.90
SHINGLE_MIN_JACCARD = 0.80


def canonical_url(url: str, site: SiteProfile | None = None) -> str:
    """The one spelling of ``url`` used for requests, keys and aliases.

    Lower-cases scheme and host, drops default ports, fragments and tracking parameters,
    sorts the remaining query, folds ``index.html`` and missing trailing slashes on
    directory paths, and maps the site's alias hosts onto its primary host and scheme.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    port = parts.port if parts.port is not None else None
    netloc = host if port is None or str(port) == DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    if site is not None and netloc in site.all_hosts:
        scheme, netloc = site.scheme, site.primary_host
    path = parts.path or "/"
    path = re.sub(r"/{2,}", "/", path)
    path = INDEX_FILE.sub("/", path)
    last = path.rsplit("/", 1)[-1]
    if last and "." not in last:
        path += "/"
    query = urlencode(sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                             if not TRACKING_PARAM.match(k)))
    return urlunsplit((scheme, netloc, path, query, ""))


@dataclass
class SiteLinks:
    """A page's links as the spider needs them: canonical URLs on the site's own host, in
    page order without repeats, and counts of what was left out."""

    urls: list[str] = field(default_factory=list)
    offsite: int = 0
    refused: Counter = field(default_factory=Counter)  # scheme -> links with it


IGNORED_SCHEMES = ("javascript", "mailto", "tel")


def site_links(base: str, hrefs: Iterable[str], site: SiteProfile | None) -> SiteLinks:
    """Resolve, canonicalize and keep the on-site links among ``hrefs`` (done in a worker
    for article and listing pages, so the reactor only looks them up)."""
    found = SiteLinks()
    seen: set[str] = set()
    for href in hrefs:
        href = href.strip()
        if not href or href.startswith("#"):
            continue
        try:
            absolute = urljoin(base, href)
            scheme = urlsplit(absolute).scheme.lower()
            if scheme not in ("http", "https"):
                if scheme not in IGNORED_SCHEMES:
                    found.refused[scheme or "none"] += 1
                continue
            url = canonical_url(absolute, site)
        except ValueError:  # an invalid IPv6 literal, a bad port: not a link
            found.refused["invalid"] += 1
            continue
        if site is not None and urlsplit(url).netloc != site.primary_host:
            found.offsite += 1
            continue
        if url not in seen:
            seen.add(url)
            found.urls.append(url)
    return found


def normalize_text(text: str) -> str:
    """Text as compared for duplicates: NFKC, case-folded, whitespace collapsed."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_hash(text: str) -> str:
    """A key for exact duplicates: the same body under two URLs has the same hash."""
    return hashlib.sha256(normalize_text(text).encode("utf-8")).hexdigest()


def simhash(text: str) -> int:
    """A 64-bit locality-sensitive fingerprint, stored as a signed SQLite integer."""
    from trafilatura.deduplication import Simhash  # trafilatura is slow to import: on use

    value = Simhash(normalize_text(text)).hash
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
