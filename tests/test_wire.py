"""What crosses Redis between the workers and the ingest: a finished page as a frame (JSON
header, the page's gzip raw), read back exactly or refused with a reason, never unpickled.

Real pages: the fixture site's article and listing pages through the crawl's own per-page
work (``process_page``), as a worker queues them."""

from __future__ import annotations

import base64
import gzip
import json
import pickle
from array import array
from dataclasses import fields, replace

import pytest

from crawler.sites import SITES
from pipelines import wire
from pipelines.extract import process_page
from pipelines.template import TemplateRules
from tests.fixture_site import build_site


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> list[wire.Page]:
    """Every article page of the fixture site as a worker queues it, and a skipped page."""
    root = tmp_path_factory.mktemp("site")
    manifest = build_site(root)
    site = SITES["bjreview"]
    out = []
    for n, entry in enumerate(manifest["articles"]):
        url = f"https://www.bjreview.com{entry['path']}"
        raw = (root / entry["path"].lstrip("/")).read_bytes()
        result = process_page(raw, url, site)
        assert result.article is not None, url
        item = {"url": url, "final_url": url, "fetched_url": url, "redirects": (),
                "status": 200, "withdrawn": None, "headers": {"etag": f'"e{n}"'},
                "skipped": None}
        out.append(wire.Page(f"w1:{n}", "page", "bjreview", "run-1", item, result.article,
                             result.raw_gzip, result.template_version, result.page_print,
                             result.body_print))
    out.append(wire.Page("w1:skip", "skip", "bjreview", "run-1",
                         {"url": "https://www.bjreview.com/World/video.html",
                          "final_url": None, "fetched_url": None, "redirects": (),
                          "status": 200, "withdrawn": None, "headers": {},
                          "skipped": "no_body"}))
    return out


def test_a_page_comes_back_exactly_with_its_gzip_bytes_untouched(pages):
    for page in pages:
        frame = wire.dump_page(page)
        back = wire.load_page(frame)
        assert back == page
        if page.raw_gzip is not None:
            # The worker's compressed bytes are sent and stored as they are: raw, not base64.
            assert frame.endswith(page.raw_gzip)
            assert base64.b64encode(page.raw_gzip) not in frame
            assert gzip.decompress(back.raw_gzip).startswith(b"<!DOCTYPE html")


def test_a_frame_is_smaller_than_the_page_in_base64_json_and_old_json_pages_still_load(pages):
    page = pages[0]
    frame = wire.dump_page(page)
    old = json.dumps({
        "v": 1, "id": page.id, "kind": page.kind, "site": page.site, "run": page.run,
        "item": {k: page.item.get(k) for k in wire.ITEM_FIELDS},
        "template_version": page.template_version, "article": page.article.to_dict(),
        "raw_gzip": base64.b64encode(page.raw_gzip).decode(),
        "page_print": {"page": page.page_print.page, "fps": list(page.page_print.fps)},
        "body_print": {"body": page.body_print.body, "lines": page.body_print.lines},
    }, separators=(",", ":")).encode()
    assert len(frame) < len(old) - len(page.raw_gzip) // 4
    # Queued by a worker of the previous version before an upgrade: still stored (that
    # version did not send the page's boxes).
    assert wire.load_page(old) == replace(page, page_print=replace(page.page_print,
                                                                   boxes=array("Q")))


def _frame_parts(frame: bytes) -> tuple[dict, bytes]:
    start = len(wire.PAGE_MAGIC) + 4
    size = int.from_bytes(frame[len(wire.PAGE_MAGIC):start], "big")
    return json.loads(frame[start:start + size]), frame[start + size:]


def _frame(header: dict, raw: bytes) -> bytes:
    body = json.dumps(header).encode()
    return wire.PAGE_MAGIC + len(body).to_bytes(4, "big") + body + raw


class Exploit:
    def __reduce__(self):
        return (print, ("unpickled!",))


def test_malformed_frames_are_refused_with_a_reason(pages):
    frame = wire.dump_page(pages[0])
    header, raw = _frame_parts(frame)
    cases = {
        "pickle": (pickle.dumps({"url": "x", "exploit": Exploit()}), "no page frame"),
        "empty": (b"", "no page frame"),
        "text": ("newscrawl-page/2\n", "no page frame"),
        "cut in the header": (frame[:len(wire.PAGE_MAGIC) + 40], "cut short"),
        "cut in the page": (frame[:-100], "announced"),
        "padded": (frame + b"\0" * 10, "announced"),
        "page not gzip": (_frame(header, b"<html>" + raw[6:]), "not gzip"),
        "header not JSON": (wire.PAGE_MAGIC + (5).to_bytes(4, "big") + b"{nope" + raw,
                            "JSONDecodeError"),
        "wrong version": (_frame({**header, "v": 3}, raw), "version"),
        "no URL": (_frame({**header, "item": {**header["item"], "url": None}}, raw), "no URL"),
        "unknown article field": (_frame({**header, "article": {**header["article"],
                                                                "__class__": "x"}}, raw),
                                  "unknown fields"),
        "fps not numbers": (_frame({**header, "page_print": {"page": "p", "fps": ["a"]}}, raw),
                            "TypeError"),
        "old JSON garbage": (b'{"v":1,"raw_gzip":"%%%"}', "not a newscrawl page"),
    }
    for name, (payload, reason) in cases.items():
        with pytest.raises(wire.PayloadRefused, match=reason):
            wire.load_page(payload)


def test_template_rules_reach_the_workers_whole():
    rules = TemplateRules(**{f.name: frozenset({f"{f.name}-fp-1", f"{f.name}-fp-2"})
                             for f in fields(TemplateRules)})
    back = wire.load_rules(wire.dump_rules(rules))
    assert back == rules and back.version == rules.version
