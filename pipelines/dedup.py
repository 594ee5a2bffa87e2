"""URL canonicalization and content fingerprints: what makes two fetches one story."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
