"""Learn a site's template from many of its pages and remove it from article bodies.

Pure functions, no Scrapy.  A *block* is a DOM element seen as (key, text):

* ``key``  - a robust structural key: the element's tag plus its id/class tokens (digits
  masked) and those of up to ``KEY_DEPTH`` ancestors, e.g. ``div.footer>ul.menu>li``;
* ``text`` - the element's whitespace-normalised text (digits masked, case folded).

``learn`` counts, per block fingerprint (hash of key + text), on how many *distinct* pages it
occurs.  A block is boilerplate when the same text in the same kind of container recurs on at
least ``min_pages`` pages (a few) *and* on at least ``min_frac`` of the pages seen (a share):
a menu recurs on nearly every page, while a background paragraph that three stories of a
5,000-page crawl share is story text.  Because the text is part of the fingerprint, a
container whose text differs from page to page (the article body) is never removed this way.

*Boxes* are the exception that rotates: a "related" or "most read" box whose items change
from page to page.  It is recognized by its container and its link density, not its text: an
container with at least ``BOX_MIN_LINKS`` linked items and much link text is counted
by its key alone; a key that is such a box on enough pages (the same two thresholds) is
boilerplate, and an element with that key is removed wherever it is link-dense.

The same counting is done on the *lines of extracted bodies* (``learn_lines``): a line that
recurs in the bodies of several pages of the site ("Copyedited by ...", "Read more:",
newsletter pitches that slipped past the DOM step) is dropped by ``clean_text``.

*Story text* is the exception the other way: a line that recurs on a share of the site's
pages is still the story's when, on most of the bodies where it occurs, it sits *between*
text of that body alone (an ongoing story's background paragraph, used by a tenth of the
site's stories), and it is on a minority of the site's bodies (``STORY_MAX_SHARE``).  A
trailer or a leader ("Copyedited by ...", "Comments to ...") sits inside the extracted body
too, but at its edges: after the last line of the story, or before the first; and what sits
between story paragraphs on most of a site's pages (a newsletter pitch, "Advertisement") is
the site's, not a story's.  Neither the line nor a DOM block with the same text is removed.

``Template`` is JSON-serialisable (``to_dict``/``from_dict``) and updated incrementally:
call ``learn(new_pages, template)`` / ``learn_lines(new_bodies, template)`` as pages arrive.

Typical use (``pipelines.extract.extract(..., template=tpl.rules())`` does the applying)::

    tpl = learn(html_pages)                     # DOM blocks
    tree = apply(html, tpl)                     # cleaned lxml tree
    body = trafilatura.extract(tree, ...)
    tpl = learn_lines(bodies, tpl)              # once bodies of the site exist
    body = clean_text(body, tpl)

``Template.rules()`` is the small, picklable part that extraction needs (the fingerprints
that passed the thresholds), so a worker process never receives the counts.
"""

from __future__ import annotations

import hashlib
import re
from array import array
from dataclasses import dataclass, field
from functools import cached_property
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import lxml.html
from lxml import etree

__all__ = [
    "Template",
    "TemplateRules",
    "learn",
    "learn_lines",
    "merge",
    "page_print",
    "body_print",
    "apply",
    "clean_text",
    "boilerplate_blocks",
]

FORMAT_VERSION = 1
KEY_DEPTH = 3  # ancestors included in a block key (besides the element itself)
SKIP_TAGS = {"script", "style", "noscript", "template", "svg", "head", "title", "meta", "link"}
NEVER_REMOVE = {"html", "body"}
MAX_ENTRIES = 200_000  # block/line fingerprints kept before rare ones are pruned
# Boilerplate recurs on at least this many pages and this share of the pages seen.  The share
# was not fitted to any measured set (none has more than ten pages of a site, where the
# three pages decide): it says that a site's template is on a twentieth of its pages or more.
MIN_PAGES = 3
MIN_SHARE = 0.05
# A box: a container with at least this many children holding a link (its items), whose
# text is at least this share link text (a linked headline and a one-line summary per item
# is about half); a paragraph with links in it is text, never a box.
BOX_MIN_LINKS = 3
BOX_LINK_SHARE = 0.4
# ... and little text that is not a link: a page's wrappers are link-dense too when its menus
# outweigh a short story, but they hold the story's prose, which no box does.
BOX_MAX_PLAIN_CHARS = 300
# Text that recurs inside bodies, between lines of the body's own, is story text (a background
# paragraph) only when it is on a minority of the site's bodies: on most of them, it is the
# site's (a pitch between paragraphs).  Not fitted: "a minority" is what the rule says.
STORY_MAX_SHARE = 0.5
TEXT_TAGS = frozenset("p li h1 h2 h3 h4 h5 h6 a span strong em b i u small td th blockquote "
                      "figcaption caption label q cite".split())
SAMPLE_CHARS = 120

_WS = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")
_WORD = re.compile(r"\w", re.UNICODE)

PageInput = Union[bytes, str, etree._Element, etree._ElementTree]


# ---------------------------------------------------------------------------
# Normalisation and fingerprints
# ---------------------------------------------------------------------------


def normalize_text(text: str) -> str:
    """Case-folded, whitespace-collapsed, digits masked (so "5 comments" == "12 comments")."""
    return _DIGITS.sub("0", _WS.sub(" ", text)).strip().casefold()


def _fp(*parts: str) -> str:
    h = hashlib.blake2b(digest_size=8)
    for p in parts:
        h.update(p.encode("utf-8", "surrogatepass"))
        h.update(b"\x00")
    return h.hexdigest()


_TOKENS: Dict[Tuple[str, Optional[str], Optional[str]], str] = {}


def _tag_token(el: etree._Element) -> str:
    """``tag#id.class1.class2`` with digits masked; cached, since a site repeats a few hundred
    distinct (tag, id, class) combinations over thousands of elements."""
    tag = el.tag if isinstance(el.tag, str) else "?"
    ident, cls = el.get("id"), el.get("class")
    cached = _TOKENS.get((tag, ident, cls))
    if cached is not None:
        return cached
    tok = tag.lower()
    if ident:
        tok += "#" + _DIGITS.sub("0", ident.strip().lower())[:40]
    if cls:
        parts = sorted({_DIGITS.sub("0", c.lower()) for c in cls.split()})[:4]
        tok += "." + ".".join(p[:40] for p in parts)
    if len(_TOKENS) < 100_000:
        _TOKENS[(tag, ident, cls)] = tok
    return tok


def _to_tree(page: PageInput) -> etree._Element:
    if isinstance(page, etree._ElementTree):
        return page.getroot()
    if isinstance(page, etree._Element):
        return page
    if isinstance(page, bytes):
        page = page.decode("utf-8", errors="replace")
    # lxml refuses str with an XML encoding declaration
    page = re.sub(r"^\s*<\?xml[^>]*\?>", "", page)
    return lxml.html.fromstring(page or "<html></html>")


def _strip_invisible(root: etree._Element) -> None:
    """Remove script/style/comments in place (trafilatura drops them anyway)."""
    for el in list(root.iter(etree.Comment, etree.ProcessingInstruction)):
        _drop(el)
    for el in list(root.iter("script", "style", "noscript", "template", "svg")):
        _drop(el)


def _drop(el: etree._Element) -> None:
    """Remove an element but keep its tail text in the document."""
    parent = el.getparent()
    if parent is None:
        return
    tail = el.tail
    if tail:
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + tail
        else:
            parent.text = (parent.text or "") + tail
    parent.remove(el)


Block = Tuple[etree._Element, str, str, str, bool]


def _blocks(root: etree._Element, samples: bool = True) -> List[Block]:
    """(element, key, normalised text, raw text sample, is a box) for every element with text.

    The normalised text of an element is built bottom-up from its children's (normalising
    is compositional over the space-joined parts: whitespace collapsed, digits masked, case
    folded), so each piece of text is normalised once, not once per ancestor; the raw sample
    keeps only the first ``SAMPLE_CHARS`` characters (all samples are "" with ``samples``
    False: a crawl's pages send the template fingerprints only); link counts and link text
    add up the same way.  Elements come in document order."""
    body = root.find(".//body") if root.tag != "body" else root
    start = body if body is not None else root

    # keys top-down, in document order (pre-order, skipped subtrees left out)
    order: List[Tuple[etree._Element, str]] = []
    stack: List[Tuple[etree._Element, Tuple[str, ...]]] = [(start, ())]
    while stack:
        el, ancestors = stack.pop()
        chain = (ancestors + (_tag_token(el),))[-(KEY_DEPTH + 1):]
        order.append((el, ">".join(chain)))
        children = [ch for ch in el if isinstance(ch.tag, str) and ch.tag.lower() not in SKIP_TAGS]
        stack.extend((ch, chain) for ch in reversed(children))

    # texts bottom-up (children come after their parent in document order); link counts
    # are kept only for elements that hold a link (most hold none)
    norms: Dict[etree._Element, str] = {}
    texts: Dict[etree._Element, str] = {}
    links: Dict[etree._Element, Tuple[int, int, int]] = {}  # links, link text, linked children
    for el, _key in reversed(order):
        parts = [normalize_text(el.text)] if el.text else []
        raw = ([_WS.sub(" ", el.text).strip()] if el.text else []) if samples else None
        n_links = link_chars = linked = 0
        for ch in el:
            if ch in norms:
                parts.append(norms[ch])
                if raw is not None:
                    raw.append(texts[ch])
                held = links.get(ch)
                if held is not None:
                    n_links += held[0]
                    link_chars += held[1]
                    linked += 1
            if ch.tail:
                parts.append(normalize_text(ch.tail))
                if raw is not None:
                    raw.append(_WS.sub(" ", ch.tail).strip())
        norm = norms[el] = " ".join(p for p in parts if p)
        if el.tag == "a":
            links[el] = (1, len(norm), 0)
        elif n_links:
            links[el] = (n_links, link_chars, linked)
        if raw is not None:
            sample = ""
            for part in raw:
                if part:
                    sample = f"{sample} {part}" if sample else part
                    if len(sample) >= SAMPLE_CHARS:
                        break
            texts[el] = sample[:SAMPLE_CHARS]
    out: List[Block] = []
    for el, key in order:
        norm = norms[el]
        if not norm or not _WORD.search(norm):
            continue
        held = links.get(el)
        box = held is not None and held[2] >= BOX_MIN_LINKS and el.tag not in TEXT_TAGS \
            and held[1] >= BOX_LINK_SHARE * len(norm) \
            and len(norm) - held[1] <= BOX_MAX_PLAIN_CHARS
        out.append((el, key, norm, texts.get(el, ""), box))
    return out


def _line_norm(line: str) -> str:
    return normalize_text(line)


# ---------------------------------------------------------------------------
# Template
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateRules:
    """The learned boilerplate of a site, as applied: block, line and box fingerprints."""

    blocks: frozenset = frozenset()
    lines: frozenset = frozenset()
    boxes: frozenset = frozenset()
    # line fingerprints that recur but are story text: not removed as lines, nor as blocks
    # of the same text (see the module's docstring)
    story: frozenset = frozenset()

    @property
    def n_pages(self) -> int:
        return len(self.blocks) + len(self.boxes)

    @property
    def n_bodies(self) -> int:
        return len(self.lines)

    def is_boilerplate_block(self, fp: str) -> bool:
        return fp in self.blocks

    def is_boilerplate_line(self, fp: str) -> bool:
        return fp in self.lines

    def is_boilerplate_box(self, fp: str) -> bool:
        return fp in self.boxes

    def is_story_line(self, fp: str) -> bool:
        return fp in self.story

    @cached_property
    def version(self) -> str:
        """A short name for this set of rules, stored with each body it shaped."""
        if not self.blocks and not self.lines and not self.boxes:
            return "none"
        return _fp("rules", *sorted(self.blocks), "|", *sorted(self.lines),
                   *(["|", *sorted(self.boxes)] if self.boxes else []),
                   *(["|story", *sorted(self.story)] if self.story else []))[:12]


@dataclass
class Template:
    """What was learned about one site.  JSON-serialisable through to_dict/from_dict.

    ``block_counts``: fingerprint(key, text) -> number of distinct pages containing it.
    ``line_counts``:  fingerprint(line)      -> number of distinct bodies containing it.
    ``box_counts``:   fingerprint(key)       -> number of distinct pages where an element
                      of that key is a box (link-dense, several links).
    ``inner_counts``: fingerprint(line)      -> number of distinct bodies where the line sat
                      between lines seen in no earlier body (inside the story, not at an edge);
    ``inner_seen``:   fingerprint(line)      -> bodies counted when that line last occurred.
    ``samples``:      fingerprint -> [key or "line", first characters of the text] for
                      fingerprints seen on 2+ pages (for `newscrawl template SITE`).

    The thresholds are the code's (``MIN_PAGES``, ``MIN_SHARE``), not the stored template's:
    they are how boilerplate is judged, not something learned from the site's pages.
    """

    n_pages: int = 0
    n_bodies: int = 0
    block_counts: Dict[str, int] = field(default_factory=dict)
    line_counts: Dict[str, int] = field(default_factory=dict)
    box_counts: Dict[str, int] = field(default_factory=dict)
    # fingerprint(line) -> number of distinct bodies where the line sat between lines new
    # to the site (the body's own text): see STORY_MAX_SHARE
    inner_counts: Dict[str, int] = field(default_factory=dict)
    # ... and the number of bodies seen when such a line last occurred: its share is judged
    # over the bodies up to then, since a line whose block the template removes is in no
    # later body (a pitch on every page would otherwise look like a minority's text)
    inner_seen: Dict[str, int] = field(default_factory=dict)
    samples: Dict[str, List[str]] = field(default_factory=dict)
    page_fps: List[str] = field(default_factory=list)  # recent page fingerprints (dedupe)
    body_fps: List[str] = field(default_factory=list)
    min_pages: int = MIN_PAGES  # a block/line must recur on at least this many pages ...
    min_frac: float = MIN_SHARE  # ... and on at least this share of the pages seen
    min_line_pages: int = MIN_PAGES
    min_line_frac: float = MIN_SHARE
    # The fingerprints counted on at least ``min_pages`` pages (bodies): the only ones a
    # threshold can pass, kept as counting goes, so :meth:`rules` (every few stories of a
    # crawl) reads a few thousand instead of every one counted (up to MAX_ENTRIES each).
    hot: Dict[str, set] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.hot = {
            "blocks": {fp for fp, c in self.block_counts.items() if c >= self.min_pages},
            "lines": {fp for fp, c in self.line_counts.items() if c >= self.min_line_pages},
            "boxes": {fp for fp, c in self.box_counts.items() if c >= self.min_pages}}

    # -- serialisation -------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "version": FORMAT_VERSION,
            "n_pages": self.n_pages,
            "n_bodies": self.n_bodies,
            "min_pages": self.min_pages,
            "min_frac": self.min_frac,
            "min_line_pages": self.min_line_pages,
            "min_line_frac": self.min_line_frac,
            "block_counts": dict(self.block_counts),
            "line_counts": dict(self.line_counts),
            "box_counts": dict(self.box_counts),
            "inner_counts": dict(self.inner_counts),
            "inner_seen": dict(self.inner_seen),
            "samples": {k: list(v) for k, v in self.samples.items()},
            "page_fps": list(self.page_fps),
            "body_fps": list(self.body_fps),
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Template":
        if data.get("version", FORMAT_VERSION) != FORMAT_VERSION:
            raise ValueError(f"unsupported template version {data.get('version')}")
        return cls(
            n_pages=int(data.get("n_pages", 0)),
            n_bodies=int(data.get("n_bodies", 0)),
            block_counts={k: int(v) for k, v in (data.get("block_counts") or {}).items()},
            line_counts={k: int(v) for k, v in (data.get("line_counts") or {}).items()},
            box_counts={k: int(v) for k, v in (data.get("box_counts") or {}).items()},
            inner_counts={k: int(v) for k, v in (data.get("inner_counts") or {}).items()},
            inner_seen={k: int(v) for k, v in (data.get("inner_seen") or {}).items()},
            samples={k: list(v) for k, v in (data.get("samples") or {}).items()},
            page_fps=list(data.get("page_fps") or []),
            body_fps=list(data.get("body_fps") or []),
        )

    # -- decisions -----------------------------------------------------------
    def _threshold(self, n: int, k: int, frac: float) -> float:
        return max(k, frac * n)

    def block_threshold(self) -> float:
        return self._threshold(self.n_pages, self.min_pages, self.min_frac)

    def line_threshold(self) -> float:
        return self._threshold(self.n_bodies, self.min_line_pages, self.min_line_frac)

    def is_boilerplate_block(self, fp: str) -> bool:
        return self.block_counts.get(fp, 0) >= self.block_threshold()

    def is_story_line(self, fp: str) -> bool:
        """Whether a recurring line is story text: between the body's own lines on most of
        the bodies where it occurs, and on a minority of the site's bodies."""
        count = self.line_counts.get(fp, 0)
        return 2 * self.inner_counts.get(fp, 0) > count \
            and count < STORY_MAX_SHARE * self.inner_seen.get(fp, self.n_bodies)

    def is_boilerplate_line(self, fp: str) -> bool:
        return self.line_counts.get(fp, 0) >= self.line_threshold() and not self.is_story_line(fp)

    def is_boilerplate_box(self, fp: str) -> bool:
        return self.box_counts.get(fp, 0) >= self.block_threshold()

    def rules(self) -> TemplateRules:
        """The fingerprints that are boilerplate now (what extraction applies)."""
        bt, lt = self.block_threshold(), self.line_threshold()
        hot = self.hot
        recurring = [fp for fp in hot["lines"] if self.line_counts[fp] >= min(bt, lt)]
        story = frozenset(fp for fp in recurring if self.is_story_line(fp))
        return TemplateRules(
            blocks=frozenset(fp for fp in hot["blocks"] if self.block_counts[fp] >= bt),
            lines=frozenset(fp for fp in recurring
                            if self.line_counts[fp] >= lt and fp not in story),
            boxes=frozenset(fp for fp in hot["boxes"] if self.box_counts[fp] >= bt),
            story=story)

    def summary(self, limit: int = 50) -> dict:
        """Human-readable view: the recurring blocks and lines, most frequent first."""
        bt, lt = self.block_threshold(), self.line_threshold()
        blocks = sorted(((c, fp) for fp, c in self.block_counts.items() if c >= bt), reverse=True)
        story = self.rules().story
        lines = sorted(((c, fp) for fp, c in self.line_counts.items()
                        if c >= lt and fp not in story), reverse=True)
        kept = sorted(((self.line_counts[fp], fp) for fp in story), reverse=True)

        def row(c, fp):
            key, text = (self.samples.get(fp) or ["?", "?"])[:2]
            return {"pages": c, "key": key, "text": text}

        return {
            "pages": self.n_pages,
            "bodies": self.n_bodies,
            "block_threshold": bt,
            "line_threshold": lt,
            "boilerplate_blocks": [row(c, fp) for c, fp in blocks[:limit]],
            "boilerplate_lines": [row(c, fp) for c, fp in lines[:limit]],
            "story_lines": [row(c, fp) for c, fp in kept[:limit]],
            "n_story_lines": len(kept),
            "n_boilerplate_blocks": len(blocks),
            "n_boilerplate_lines": len(lines),
            "n_boilerplate_boxes": sum(c >= bt for c in self.box_counts.values()),
        }


def stored_template(path, site: str) -> Template:
    """The template of ``site`` stored in a newscrawl database, read-only (no migration, no
    lock, no sqlite-utils): what a one-off extraction applies, so that it gives the body a
    crawl of the same database gives.  An empty template when there is none."""
    import json
    import sqlite3
    from pathlib import Path

    if not Path(path).is_file():
        return Template()
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
        try:
            row = conn.execute("select template from templates where site = ?",
                               [site]).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return Template()  # not a newscrawl database (yet): nothing learned
    return Template.from_dict(json.loads(row[0])) if row else Template()


def _bump(counts: Dict[str, int], samples: Dict[str, List[str]], fp: str, key: str | None,
          text: str | None, hot: set | None = None, floor: int = 0) -> None:
    c = counts.get(fp, 0) + 1
    counts[fp] = c
    if c == 2 and key is not None and fp not in samples:
        samples[fp] = [key, text[:SAMPLE_CHARS]]
    if c == floor and hot is not None:
        hot.add(fp)


def _prune(counts: Dict[str, int], samples: Dict[str, List[str]], cap: int) -> bool:
    """Keep memory bounded: drop the rarest fingerprints once there are too many (True
    when some were dropped)."""
    if len(counts) <= cap:
        return False
    floor = 1
    while len(counts) > cap * 3 // 4:
        for fp in [fp for fp, c in counts.items() if c <= floor]:
            del counts[fp]
            samples.pop(fp, None)
        floor += 1
    return True


@dataclass(frozen=True)
class PagePrint:
    """What one page contributes to learning, computed where the page was parsed (a worker).

    ``page``: the page's fingerprint (identical pages count once); ``fps``: the 64-bit
    fingerprints of its distinct (key, text) blocks, 8 bytes each, so the crawl's parent
    merges counts without ever parsing the page again; ``samples``: fingerprint -> (key,
    first characters of the text) for the inspection view, when asked for (``extract
    --same-site``; a crawl leaves them out, they were half of what a worker sent back, and
    `newscrawl template` reads them from stored pages instead: :func:`fill_samples`)."""

    page: str
    fps: array
    samples: Dict[str, Tuple[str, str]] | None = None
    boxes: array = field(default_factory=lambda: array("Q"))  # keys of its boxes

    @property
    def blocks(self) -> Iterator[str]:
        """The block fingerprints as the template stores them (16 hex digits)."""
        return (f"{fp:016x}" for fp in self.fps)


@dataclass(frozen=True)
class BodyPrint:
    """What one extracted body contributes to learning: its fingerprint and its lines'."""

    body: str
    lines: Dict[str, str]


def block_fps(blocks: Sequence[Block]) -> List[str]:
    """The fingerprint of each of :func:`_blocks`' blocks, in order (computed once per page
    and shared by learning and :func:`apply`)."""
    return [_fp(key, norm) for _el, key, norm, _raw, _box in blocks]


def _box_fp(key: str) -> str:
    return _fp("box", key)


def page_print(blocks: Sequence[Block], samples: bool = True,
               fps: Sequence[str] | None = None) -> PagePrint:
    """The :class:`PagePrint` of a page from its :func:`_blocks` (computed once per page)
    and their :func:`block_fps` when the caller has them."""
    found: Dict[str, Tuple[str, str]] = {}
    boxes: Dict[str, None] = {}
    for (_el, key, _norm, raw, box), fp in zip(blocks, fps if fps is not None
                                                else block_fps(blocks)):
        found.setdefault(fp, (key, raw[:SAMPLE_CHARS]))
        if box:
            boxes.setdefault(_box_fp(key))
    return PagePrint(_fp("page", " ".join(b[2] for b in blocks[:1])),
                     array("Q", (int(fp, 16) for fp in found)), found if samples else None,
                     array("Q", (int(fp, 16) for fp in boxes)))


def fill_samples(template: Template, pages: Iterable[PageInput], limit: int = 200) -> int:
    """Give the template's boilerplate fingerprints that lack one a sample text, read from
    ``pages`` of the site (at most ``limit``); returns how many were filled."""
    wanted = {fp for fp in template.rules().blocks if fp not in template.samples}
    filled = 0
    for n, page in enumerate(pages):
        if not wanted or n >= limit:
            break
        root = _to_tree(page)
        _strip_invisible(root)
        for _el, key, norm, raw, _box in _blocks(root):
            fp = _fp(key, norm)
            if fp in wanted:
                template.samples[fp] = [key, raw[:SAMPLE_CHARS]]
                wanted.discard(fp)
                filled += 1
    return filled


def body_print(body: str) -> BodyPrint | None:
    """The :class:`BodyPrint` of an extracted body (None for an empty one)."""
    if not body:
        return None
    lines: Dict[str, str] = {}
    for line in body.splitlines():
        norm = _line_norm(line)
        if norm and _WORD.search(norm):
            lines.setdefault(_fp("line", norm), line.strip())
    return BodyPrint(_fp("body", *sorted(lines)), lines)


def merge(template: Template, page: PagePrint | None = None,
          body: BodyPrint | None = None) -> bool:
    """Count one page's blocks and one body's lines into ``template``; returns whether
    anything was new (a page or body already counted is not counted twice)."""
    changed = False
    if page is not None and page.page not in template.page_fps[-1000:]:
        template.page_fps.append(page.page)
        template.n_pages += 1
        samples = page.samples or {}
        hot, floor = template.hot, template.min_pages
        for fp in page.blocks:
            key, raw = samples.get(fp, (None, None))
            _bump(template.block_counts, template.samples, fp, key, raw, hot["blocks"], floor)
        for fp in page.boxes:
            key = f"{fp:016x}"
            template.box_counts[key] = count = template.box_counts.get(key, 0) + 1
            if count == floor:
                hot["boxes"].add(key)
        changed = True
    if body is not None and body.body not in template.body_fps[-1000:]:
        template.body_fps.append(body.body)
        template.n_bodies += 1
        _count_inner(template, body)
        for fp, raw in body.lines.items():
            _bump(template.line_counts, template.samples, fp, "line", raw,
                  template.hot["lines"], template.min_line_pages)
        changed = True
    if changed:
        _trim(template)
    return changed


def _count_inner(template: Template, body: BodyPrint) -> None:
    """Count the body's lines that sit between lines no earlier body had (the story's own):
    inside the story, not among the lines at its edges (a trailer, a leader, the first or last
    line).  A body's first occurrence of a trailer may count as inner; every later one sits
    after the story's last new line, so a trailer is an edge line on most of its pages."""
    counts = template.line_counts
    fps = list(body.lines)  # in the body's order (first occurrence)
    new = [i for i, fp in enumerate(fps) if fp not in counts]
    inner, seen, n = template.inner_counts, template.inner_seen, template.n_bodies
    if len(new) >= 2:
        for fp in fps[new[0] + 1:new[-1]]:
            if fp in counts:  # a line new to the site is inner nowhere: not needed
                inner[fp] = inner.get(fp, 0) + 1
    for fp in fps:
        if fp in inner:
            seen[fp] = n


def _trim(template: Template) -> None:
    """Keep memory bounded: recent page fingerprints and the most frequent counts only."""
    if len(template.page_fps) > 2000:
        template.page_fps = template.page_fps[-1000:]
    if len(template.body_fps) > 2000:
        template.body_fps = template.body_fps[-1000:]
    for name, counts in (("blocks", template.block_counts), ("lines", template.line_counts),
                         ("boxes", template.box_counts)):
        if _prune(counts, template.samples, MAX_ENTRIES):
            template.hot[name] &= counts.keys()
            if name == "lines":
                template.inner_counts = {fp: c for fp, c in template.inner_counts.items()
                                         if fp in counts}
                template.inner_seen = {fp: c for fp, c in template.inner_seen.items()
                                       if fp in counts}


def learn(pages: Iterable[PageInput], template: Optional[Template] = None,
          **params) -> Template:
    """Count recurring (key, text) blocks over ``pages`` (HTML bytes/str or lxml trees).

    Updates and returns ``template`` (a new one when None).  ``params`` set thresholds on
    a new template (min_pages, min_frac, min_line_pages, min_line_frac).  Identical pages
    (same normalised body text) are counted once, so duplicate fetches cannot turn an
    article into "boilerplate".  A tree passed in is not changed."""
    tpl = template if template is not None else Template(**params)
    for page in pages:
        root = _to_tree(page)
        if isinstance(page, (etree._Element, etree._ElementTree)):
            root = _copy(root)
        _strip_invisible(root)
        merge(tpl, page_print(_blocks(root)))
    return tpl


def _copy(root: etree._Element) -> etree._Element:
    import copy

    return copy.deepcopy(root)


def learn_lines(bodies: Iterable[str], template: Optional[Template] = None, **params) -> Template:
    """Count, per distinct extracted body, which (normalised) lines it contains."""
    tpl = template if template is not None else Template(**params)
    for body in bodies:
        merge(tpl, body=body_print(body))
    return tpl


def boilerplate_blocks(page: PageInput, template: Template) -> List[Tuple[str, str]]:
    """(key, text) of the blocks ``apply`` would remove from this page (for inspection)."""
    root = _to_tree(page)
    _strip_invisible(root)
    removed = []
    gone = set()
    for el, key, norm, raw, box in _blocks(root):
        if el.tag in NEVER_REMOVE or any(a in gone for a in el.iterancestors()):
            continue
        if (template.is_boilerplate_block(_fp(key, norm)) and not _story(template, norm)) or (
                box and template.is_boilerplate_box(_box_fp(key))):
            gone.add(el)
            removed.append((key, raw))
    return removed


def apply(page: PageInput, template: Template,
          blocks: Sequence[Block] | None = None,
          fps: Sequence[str] | None = None) -> etree._Element:
    """Return the page's lxml tree with the learned boilerplate blocks removed.

    An element is removed only when its own whole text (in the same kind of container)
    recurred on enough pages, so unique text is never lost.  A tree passed in is
    modified in place.  ``blocks`` are the tree's :func:`_blocks` when the caller already
    computed them (the extraction computes them once for learning and applying), ``fps``
    their :func:`block_fps`."""
    root = _to_tree(page)
    if blocks is None:
        _strip_invisible(root)
    if template is None or template.n_pages == 0:
        return root
    blocks = _blocks(root, samples=False) if blocks is None else blocks
    doomed = []
    boxes = bool(getattr(template, "boxes", None) or getattr(template, "box_counts", None))
    story = bool(getattr(template, "story", None) or getattr(template, "inner_counts", None))
    for (el, key, _norm, _raw, box), fp in zip(blocks, fps if fps is not None
                                               else block_fps(blocks)):
        if not isinstance(el.tag, str) or el.tag.lower() in NEVER_REMOVE:
            continue
        if (template.is_boilerplate_block(fp) and not (story and _story(template, _norm))) or (
                box and boxes and template.is_boilerplate_box(_box_fp(key))):
            doomed.append(el)
    doomed_set = set(doomed)
    for el in doomed:
        if any(a in doomed_set for a in el.iterancestors()):
            continue  # an ancestor goes anyway
        _drop(el)
    return root


def _story(template: Template | TemplateRules, norm: str) -> bool:
    """Whether a block's text is a recurring line that is story text (a background
    paragraph): the block stays although its text recurs."""
    return template.is_story_line(_fp("line", norm))


def clean_text(text: str, template: Template) -> str:
    """Drop the lines of an extracted body that recur in the bodies of the site's pages."""
    if not text or template is None or template.n_bodies == 0:
        return text
    kept = []
    for line in text.splitlines():
        norm = _line_norm(line)
        if norm and template.is_boilerplate_line(_fp("line", norm)):
            continue
        kept.append(line)
    return "\n".join(kept).strip("\n")
