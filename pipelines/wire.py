"""What distributed crawling puts into Redis: the key names, and JSON for requests and pages.

Nothing that crosses Redis is a pickle: anyone who can write to the Redis server would run
code in every process that unpickles it.  Requests are the plain dicts of Scrapy's
``Request.to_dict()`` written as JSON (bytes tagged as base64), and read back only when they
are a dict of known fields naming one of the spider's own callbacks.  A finished page is a
frame: a magic line, the length of a JSON header (the extraction, the item's fields), the
header, then the page as the worker gzip-compressed it, raw: base64 inside JSON cost the
ingest more than anything else it did per page, and the store keeps those bytes as they are.

Used by both sides (the workers' Scrapy components in :mod:`crawler.distributed` and the
ingest in :mod:`crawler.ingest`): a pure module, no Scrapy.  ``loads`` and ``dumps`` at
module level make it a scrapy-redis ``SCHEDULER_SERIALIZER``.
"""

from __future__ import annotations

import base64
import hashlib
import json
from array import array
from dataclasses import dataclass, fields
from typing import Any

from pipelines.article import Article
from pipelines.template import BodyPrint, PagePrint, TemplateRules

#: The spider's methods a request may name as its callback or errback.
CALLBACKS = frozenset({"parse_listing", "parse_article", "parse_feed", "parse_sitemap",
                       "on_error"})
#: Request.to_dict()'s keys (Scrapy 2.19); anything else in a payload is refused.
REQUEST_KEYS = frozenset({"url", "callback", "errback", "method", "headers", "body",
                          "cookies", "meta", "encoding", "priority", "dont_filter", "flags",
                          "cb_kwargs", "_class"})
#: The only request class a payload may name (``_class`` is imported by Scrapy).
REQUEST_CLASSES = frozenset({"scrapy.http.request.Request", "scrapy.Request",
                             "scrapy.http.Request"})
PAGE_VERSION = 2
#: A page frame starts with this line; then the header's length (4 bytes, big-endian).
PAGE_MAGIC = b"newscrawl-page/2\n"
_HEADER_LENGTH = 4
#: What every gzip stream starts with: a frame whose page does not is refused.
GZIP_MAGIC = b"\x1f\x8b"


class PayloadRefused(ValueError):
    """A payload read from Redis that is not one of ours (not JSON, or not the right shape)."""


@dataclass(frozen=True)
class Keys:
    """The Redis keys of one site (``newscrawl:<site>:...``) and the shared item queues.

    One Redis serves any number of sites; the items of all sites go to one queue, drained by
    the one ingest that owns the database."""

    site: str
    prefix: str = "newscrawl"

    def _k(self, name: str) -> str:
        return f"{self.prefix}:{self.site}:{name}"

    @property
    def requests(self) -> str:  # sorted set: the frontier, scored by -priority
        return self._k("requests")

    @property
    def dupefilter(self) -> str:  # set: fingerprints of the keys requested this run
        return self._k("dupefilter")

    @property
    def workers(self) -> str:  # set: worker ids that may hold requests in flight
        return self._k("workers")

    def inflight(self, worker: str) -> str:  # hash: payload -> score, popped not yet done
        return self._k(f"inflight:{worker}")

    def alive(self, worker: str) -> str:  # string with a TTL: the worker's heartbeat
        return self._k(f"alive:{worker}")

    @property
    def known(self) -> str:  # set: digests of the stored key URLs (published by the ingest)
        return self._k("known")

    @property
    def template(self) -> str:  # hash: version, rules (JSON), published by the ingest
        return self._k("template")

    @property
    def run(self) -> str:  # string: the current run's token (set by --seed / enqueue)
        return self._k("run")

    def run_stats(self, token: str) -> str:  # hash: worker -> its stats in run ``token``
        return self._k(f"runstats:{token}")

    @property
    def run_rows(self) -> str:  # hash: run token -> runs.id in the database
        return self._k("runrows")

    @property
    def closed(self) -> str:  # set: run tokens whose runs row the ingest has closed
        return self._k("closed")

    @property
    def revisited(self) -> str:  # set: run tokens whose due revisits the ingest queued
        return self._k("revisited")

    @property
    def profile(self) -> str:  # string: the site profile (JSON) the workers crawl with
        return self._k("profile")

    @property
    def refused(self) -> str:  # list: the last refused request payloads, for a look
        return self._k("refused")

    @property
    def sites(self) -> str:  # set of site names with distributed state
        return f"{self.prefix}:sites"

    @property
    def items(self) -> str:  # list: finished pages of every site, for the ingest
        return f"{self.prefix}:items"

    @property
    def processing(self) -> str:  # list: items the ingest took, until their commit
        return f"{self.prefix}:items:processing"

    @property
    def refused_items(self) -> str:
        return f"{self.prefix}:items:refused"


def digest(url: str) -> str:
    """What the known set holds for a key URL: 16 hex digits (8 bytes of BLAKE2b)."""
    return hashlib.blake2b(url.encode("utf-8", "surrogatepass"), digest_size=8).hexdigest()


def fingerprint(method: str, key: str) -> str:
    """The duplicate filter's fingerprint of a request for the key URL ``key``."""
    return hashlib.sha1(f"{method.upper()} {key}".encode("utf-8", "surrogatepass")).hexdigest()


# -- JSON with bytes ------------------------------------------------------------------------
def _encode(value: Any) -> Any:
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode("ascii")}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value) and not {"$b", "$kv"} & value.keys():
            return {k: _encode(v) for k, v in value.items()}
        return {"$kv": [[_encode(k), _encode(v)] for k, v in value.items()]}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"a {type(value).__name__} cannot be sent through Redis as JSON")


def _decode(value: Any) -> Any:
    if isinstance(value, list):
        return [_decode(v) for v in value]
    if isinstance(value, dict):
        if set(value) == {"$b"}:
            return base64.b64decode(value["$b"], validate=True)
        if set(value) == {"$kv"}:
            return {_decode(k): _decode(v) for k, v in value["$kv"]}
        return {k: _decode(v) for k, v in value.items()}
    return value


def dumps(request: dict[str, Any]) -> bytes:
    """A ``Request.to_dict()`` as JSON bytes; TypeError for a value JSON cannot hold."""
    return json.dumps(_encode(request), ensure_ascii=False, separators=(",", ":")).encode()


def loads(payload: bytes | str) -> dict[str, Any]:
    """A request dict from JSON bytes, or :class:`PayloadRefused` (a pickle, garbage, a
    request naming another class or a method that is not a callback of the spider)."""
    try:
        data = _decode(json.loads(payload))
    except (ValueError, TypeError, KeyError) as exc:  # UnicodeDecodeError is a ValueError
        raise PayloadRefused(f"not a JSON request ({type(exc).__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get("url"), str):
        raise PayloadRefused("not a request: no URL")
    if set(data) - REQUEST_KEYS:
        raise PayloadRefused(f"unknown request fields {sorted(set(data) - REQUEST_KEYS)}")
    if "_class" in data and data["_class"] not in REQUEST_CLASSES:
        raise PayloadRefused(f"request class {data['_class']!r} refused")
    for name in ("callback", "errback"):
        if data.get(name) is not None and data[name] not in CALLBACKS:
            raise PayloadRefused(f"{name} {data[name]!r} is not one of the spider's")
    if not isinstance(data.get("meta", {}), dict):
        raise PayloadRefused("meta is not an object")
    return data


# -- finished pages -------------------------------------------------------------------------
@dataclass
class Page:
    """One finished page as the ingest needs it: what :class:`StorePipeline` stores locally.

    ``kind`` is ``page`` (an article, a revisit's 304 or withdrawal) or ``skip`` (a page
    without an article, remembered so it is not fetched again before its retry is due)."""

    id: str
    kind: str
    site: str
    run: str | None
    item: dict[str, Any]
    article: Article | None = None
    raw_gzip: bytes | None = None
    template_version: str = "none"
    page_print: PagePrint | None = None
    body_print: BodyPrint | None = None


ITEM_FIELDS = ("url", "final_url", "fetched_url", "redirects", "status", "withdrawn",
               "headers", "skipped")
_ARTICLE_FIELDS = {f.name for f in fields(Article)}


def dump_page(page: Page) -> bytes:
    """A page as a frame: :data:`PAGE_MAGIC`, the header's length, the JSON header, the
    gzip-compressed page (its length is in the header, so a cut frame is refused)."""
    raw = page.raw_gzip or b""
    record: dict[str, Any] = {
        "v": PAGE_VERSION, "id": page.id, "kind": page.kind, "site": page.site,
        "run": page.run, "item": {k: page.item.get(k) for k in ITEM_FIELDS},
        "template_version": page.template_version,
        "article": page.article.to_dict() if page.article is not None else None,
        "raw_gzip": len(raw),
        "page_print": {"page": page.page_print.page, "fps": list(page.page_print.fps),
                       "boxes": list(page.page_print.boxes)}
        if page.page_print is not None else None,
        "body_print": {"body": page.body_print.body, "lines": page.body_print.lines}
        if page.body_print is not None else None,
    }
    header = json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode()
    return b"".join((PAGE_MAGIC, len(header).to_bytes(_HEADER_LENGTH, "big"), header, raw))


def load_page(payload: bytes) -> Page:
    """A :class:`Page` from a frame, or :class:`PayloadRefused` saying what is wrong (a
    pickle, JSON, a cut or padded frame, a page that is not gzip: nothing is unpickled)."""
    if isinstance(payload, bytes) and payload.startswith(b'{"v":1,'):
        return _load_v1(payload)
    if not isinstance(payload, bytes) or not payload.startswith(PAGE_MAGIC):
        raise PayloadRefused("not a newscrawl page (no page frame)")
    start = len(PAGE_MAGIC) + _HEADER_LENGTH
    size = int.from_bytes(payload[len(PAGE_MAGIC):start], "big")
    if len(payload) < start + size:
        raise PayloadRefused("not a newscrawl page (the frame is cut short)")
    try:
        data = json.loads(payload[start:start + size])
        if not isinstance(data, dict) or data.get("v") != PAGE_VERSION:
            raise PayloadRefused("not a newscrawl page (wrong or missing version)")
        raw = payload[start + size:]
        if data.get("raw_gzip") != len(raw):
            raise PayloadRefused(f"not a newscrawl page (a page of {data.get('raw_gzip')} "
                                 f"bytes announced, {len(raw)} sent)")
        if raw and not raw.startswith(GZIP_MAGIC):
            raise PayloadRefused("not a newscrawl page (the page is not gzip)")
        return _page(data, raw or None)
    except PayloadRefused:
        raise
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError) as exc:
        raise PayloadRefused(f"not a newscrawl page ({type(exc).__name__}: {exc})") from None


def _load_v1(payload: bytes) -> Page:
    """A page as workers before the frame sent it (one JSON object, the page in base64), so
    a queue filled before an upgrade is still stored."""
    try:
        data = json.loads(payload)
        raw = data.get("raw_gzip")
        return _page(data, base64.b64decode(raw, validate=True) if raw else None)
    except PayloadRefused:
        raise
    except (ValueError, TypeError, KeyError, OverflowError, AttributeError) as exc:
        raise PayloadRefused(f"not a newscrawl page ({type(exc).__name__}: {exc})") from None


def _page(data: dict[str, Any], raw_gzip: bytes | None) -> Page:
    """The page a frame's header describes; ValueError and the like for a wrong shape."""
    if data.get("kind") not in ("page", "skip") or not isinstance(data.get("site"), str) \
            or not isinstance(data.get("id"), str) or not isinstance(data.get("item"), dict):
        raise PayloadRefused("not a newscrawl page (kind, site, id or item missing)")
    item = {k: data["item"].get(k) for k in ITEM_FIELDS}
    if not isinstance(item["url"], str):
        raise PayloadRefused("the page has no URL")
    item["redirects"] = tuple(item["redirects"] or ())
    item["headers"] = dict(item["headers"] or {})
    article = None
    if data.get("article") is not None:
        values = data["article"]
        if not isinstance(values, dict) or set(values) - _ARTICLE_FIELDS:
            raise PayloadRefused("the article has unknown fields")
        article = Article(**values)
    pp, bp = data.get("page_print"), data.get("body_print")
    return Page(
        id=data["id"], kind=data["kind"], site=data["site"], run=data.get("run"),
        item=item, article=article, raw_gzip=raw_gzip,
        template_version=str(data.get("template_version") or "none"),
        page_print=PagePrint(str(pp["page"]), array("Q", pp["fps"]),
                             boxes=array("Q", pp.get("boxes") or ())) if pp else None,
        body_print=BodyPrint(str(bp["body"]), dict(bp["lines"])) if bp else None)


def dump_rules(rules: TemplateRules) -> str:
    """Every field of the rules (sets of fingerprints), so a field added to them reaches
    the workers without a change here."""
    return json.dumps({f.name: sorted(getattr(rules, f.name)) for f in fields(TemplateRules)})


def load_rules(text: bytes | str) -> TemplateRules:
    data = json.loads(text)
    return TemplateRules(**{f.name: frozenset(map(str, data.get(f.name, ())))
                            for f in fields(TemplateRules)})
