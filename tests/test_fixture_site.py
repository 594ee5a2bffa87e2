"""The fixture site must be self-consistent, or crawler tests built on it prove nothing.

Builds the site once, serves it over real HTTP and checks that the manifest tells the truth
about the pages: must-contain sentences are on their pages, must-not-contain boilerplate is
on the page but not in the article body, and the listings reach every article.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
import urllib.robotparser
from html.parser import HTMLParser
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urljoin, urlsplit

import pytest

from tests.fixture_site import (
    ALIAS_HOST,
    ARTICLES,
    CANONICAL_HOST,
    REFERENCE,
    VIDEO_PATH,
    build_site,
)
from tests.server import serving


class _PageParser(HTMLParser):
    """Collects visible text, links, ``<html lang>``, canonical and the TRS_Editor text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.editor_text: list[str] = []
        self.links: list[str] = []
        self.lang: str | None = None
        self.canonical: str | None = None
        self._skip = 0
        self._div_depth = 0
        self._editor_depth: int | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag in ("script", "style"):
            self._skip += 1
        elif tag == "html":
            self.lang = a.get("lang")
        elif tag == "link" and a.get("rel") == "canonical":
            self.canonical = a.get("href")
        elif tag == "a" and a.get("href"):
            self.links.append(a["href"] or "")
        elif tag == "div":
            self._div_depth += 1
            if a.get("class") == "TRS_Editor":
                self._editor_depth = self._div_depth

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1
        elif tag == "div":
            if self._editor_depth == self._div_depth:
                self._editor_depth = None
            self._div_depth -= 1

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        self.text.append(data)
        if self._editor_depth is not None:
            self.editor_text.append(data)


def _norm(chunks: list[str]) -> str:
    return " ".join(" ".join(chunks).split())


def _parse(body: str) -> _PageParser:
    parser = _PageParser()
    parser.feed(body)
    parser.close()
    return parser


def _fetch(url: str) -> tuple[int, str, str]:
    """Status, Content-Type and decoded body; HTTP errors are returned, not raised."""
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Content-Type", ""), ""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fixture_site")
    build_site(root)
    return root


@pytest.fixture(scope="module")
def manifest(site: Path) -> dict[str, Any]:
    return json.loads((site / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def base_url(site: Path) -> Iterator[str]:
    with serving(site) as url:
        yield url


def test_build_is_deterministic_and_returns_the_manifest(
    tmp_path: Path, site: Path, manifest: dict[str, Any]
) -> None:
    assert build_site(tmp_path) == manifest
    for page in site.rglob("*.html"):
        assert (tmp_path / page.relative_to(site)).read_bytes() == page.read_bytes(), page


def test_article_records_are_realistic() -> None:
    english = [a for a in ARTICLES if a.lang == "en"]
    chinese = [a for a in ARTICLES if a.lang == "zh"]
    assert len(english) == 9 and len(chinese) == 1
    assert len({a.id for a in ARTICLES}) == len(ARTICLES)
    assert all(re.fullmatch(r"\d{9}", a.id) for a in ARTICLES)
    for a in english:
        if a is REFERENCE:
            continue
        assert 5 <= len(a.paragraphs) <= 8, a.title
        for p in a.paragraphs:
            assert 40 <= len(p.split()) <= 90, (a.title, p[:60])
    assert len(chinese[0].paragraphs) >= 6
    assert chinese[0].declared_lang == "en"
    assert all(c.endswith(" (XINHUA)") for a in ARTICLES for c in a.captions)
    assert set(REFERENCE.subheads) <= set(REFERENCE.paragraphs)


def test_content_types_and_404(base_url: str) -> None:
    status, ctype, body = _fetch(base_url + "/World/")
    assert (status, ctype) == (200, "text/html; charset=utf-8")
    assert '<meta charset="utf-8">' in body
    assert _fetch(base_url + "/robots.txt")[:2] == (200, "text/plain; charset=utf-8")
    assert _fetch(base_url + "/expected.json")[:2] == (200, "application/json")
    assert _fetch(base_url + "/World/209901/t20990101_123456789.html")[0] == 404
    assert _fetch(base_url + "/World/202506/")[0] == 404  # no directory listings


def test_page_sizes(site: Path) -> None:
    for page in site.rglob("*.html"):
        assert 2_000 <= page.stat().st_size <= 40_000, page


def test_articles_match_their_manifest_entries(base_url: str, manifest: dict[str, Any]) -> None:
    assert len(manifest["articles"]) == 10
    for entry in manifest["articles"]:
        status, _, body = _fetch(base_url + entry["path"])
        assert status == 200, entry["path"]
        page = _parse(body)
        text, editor = _norm(page.text), _norm(page.editor_text)
        assert page.lang == entry["declared_lang"]
        assert page.canonical == CANONICAL_HOST + entry["canonical_path"]
        assert entry["title"] in text and f"By {entry['author']}" in text
        assert len(entry["must_contain"]) == 3
        for sentence in entry["must_contain"]:
            assert sentence in editor, (entry["path"], sentence)
        for boiler in entry["must_not_contain"]:
            assert boiler in text, (entry["path"], boiler)


def test_boilerplate_never_occurs_in_article_bodies(manifest: dict[str, Any]) -> None:
    """Otherwise a must_not_contain check could fail on a perfect extraction."""
    records = {a.path: a for a in ARTICLES}
    for entry in manifest["articles"]:
        prose = " ".join(records[entry["path"]].paragraphs)
        for boiler in entry["must_not_contain"]:
            assert boiler not in prose, (entry["path"], boiler)


def test_listings_reach_every_article(base_url: str, manifest: dict[str, Any]) -> None:
    """Follow pagination from /World/ and resolve every link the way a crawler must."""
    base = urlsplit(base_url)
    to_visit, seen_pages = [base_url + manifest["start_path"]], set()
    found: set[str] = set()
    raw_links: set[str] = set()
    while to_visit:
        url = to_visit.pop()
        path = urlsplit(url).path
        if path in seen_pages:
            continue
        seen_pages.add(path)
        status, _, body = _fetch(url)
        assert status == 200, url
        for href in _parse(body).links:
            absolute = urljoin(url, href)
            raw_links.add(absolute)
            parts = urlsplit(absolute)
            if f"{parts.scheme}://{parts.netloc}" in (ALIAS_HOST, CANONICAL_HOST):
                parts = parts._replace(scheme=base.scheme, netloc=base.netloc)
            if parts.netloc != base.netloc:
                continue
            if re.fullmatch(r"/World/(index(_\d+)?\.html)?", parts.path):
                to_visit.append(parts._replace(query="", fragment="").geturl())
            else:
                found.add(parts.path)
    listing_paths = set(manifest["listing_paths"])
    assert (seen_pages - {"/World/"}) == listing_paths
    assert {a["path"] for a in manifest["articles"]} <= found
    assert {VIDEO_PATH, "/private/secret.html"} <= found
    assert "http://example.org/elsewhere.html" in raw_links
    assert {base_url + "/World/", base_url + "/World/index.html"} <= raw_links
    for variant in manifest["aliases"]:
        assert urljoin(base_url, variant) in raw_links or variant in raw_links, variant


def test_aliases_point_at_stored_articles(base_url: str, manifest: dict[str, Any]) -> None:
    stored = {a["path"] for a in manifest["articles"]}
    assert set(manifest["aliases"].values()) <= stored
    assert not stored & set(manifest["not_stored"])
    for dup in manifest["duplicates"]:
        copy, original = (_parse(_fetch(base_url + p)[2]) for p in (dup["path"], dup["duplicate_of"]))
        assert copy.editor_text == original.editor_text
        assert copy.canonical == CANONICAL_HOST + dup["path"]  # self-canonical, as the CMS does


def test_non_article_pages(base_url: str) -> None:
    status, _, body = _fetch(base_url + VIDEO_PATH)
    assert status == 200
    assert len(_norm(_parse(body).editor_text).split()) < 20
    for path in ("/about.html", "/subscribe.html", "/index.html"):
        assert _fetch(base_url + path)[0] == 200, path


def test_robots_disallows_private(base_url: str, manifest: dict[str, Any]) -> None:
    robots = urllib.robotparser.RobotFileParser(base_url + "/robots.txt")
    robots.read()
    for path in manifest["robots_disallowed"]:
        assert not robots.can_fetch("newscrawl", base_url + path)
        assert _fetch(base_url + path)[0] == 200  # it exists: only robots.txt keeps it out
    for entry in manifest["articles"]:
        assert robots.can_fetch("newscrawl", base_url + entry["path"])
