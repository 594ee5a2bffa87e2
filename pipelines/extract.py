"""Turn one raw HTML page into an :class:`Article`: the chooser over the extraction steps.

This is the single extraction path: the crawl's workers, ``newscrawl extract`` (one-off and
``--same-site``) and ``newscrawl reextract`` all call :func:`process_page` or :func:`extract`
with plain values (bytes, URL, site profile), never a Scrapy response.  The steps live by
concern: :mod:`pipelines.decode` (bytes to text), :mod:`pipelines.html` (text to tree, links),
:mod:`pipelines.metadata`, :mod:`pipelines.dates`, :mod:`pipelines.body` (the body rules) and
:mod:`pipelines.template` (the site's learned boilerplate).
"""

from __future__ import annotations

import copy
import gzip
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import lxml.html
from htmldate import find_date
from lxml import etree

from pipelines import template as templates
from pipelines.article import EXTRACTOR_VERSION, Article, NoArticle
from pipelines.body import caption_nodes as generic_captions
from pipelines.body import (_apply_line_rules, _body_text, _drop_leading_title, _with_standfirst,
                            check_body, check_repetition, drop_leaders, drop_link_lines,
                            drop_trailers, find_standfirst, has_letters, join_split_bodies)
from pipelines.dates import dateline, find_dates
from pipelines.decode import decode_html
from pipelines.dedup import SiteLinks, normalize_text
from pipelines.html import (_remove, _text_of, page_links, page_tree, parse_html, sniff_canonical,
                            strip_invisible, structure_only)
from pipelines.metadata import (JsonLd, _authors, choose_title, choose_url, declared_language,
                                page_metadata, page_titles)
from pipelines.language import detect_language
from pipelines.profile import SiteProfile
from pipelines.rulepacks import LineRules, line_rules, packs_for

# Re-exported: the names callers and tests have always imported from here.
__all__ = ["Article", "NoArticle", "PageResult", "EXTRACTOR_VERSION", "extract", "extract_many",
           "process_page", "learn_page", "page_tree", "sniff_canonical", "decode_html",
           "find_standfirst", "join_split_bodies", "check_body", "has_letters"]

# The stored page is compressed where it was parsed (a worker), not in the crawl's reactor.
GZIP_LEVEL = 3  # 2.4 ms a page against 5.1 ms at 6, for 11 % more bytes (bench pages)


@dataclass
class PageResult:
    """Everything the crawl needs from one page, computed from one parse, small to send back.

    ``article`` is the extraction or None with ``skipped`` (the NoArticle) saying why;
    ``links`` are the page's links on the site's host, canonical (for the spider); ``page_print``
    and ``body_print`` are what the page teaches the site's template; ``raw_gzip`` is the page
    as fetched, compressed for storage.  No tree and no uncompressed bytes cross back."""

    article: Article | None
    skipped: NoArticle | None = None
    links: SiteLinks = field(default_factory=SiteLinks)
    page_print: templates.PagePrint | None = None
    body_print: templates.BodyPrint | None = None
    raw_gzip: bytes | None = None
    template_version: str = "none"


def _rules_in_use(template: Any) -> bool:
    return template is not None and bool(getattr(template, "blocks", None) or
                                         getattr(template, "n_pages", 0))


def _extract_tree(tree: lxml.html.HtmlElement, url: str | None, site: SiteProfile | None,
                  used: str | None, template: Any, prune_xpaths: list[str] | None,
                  language: bool, learn: bool) -> tuple[Article, templates.PagePrint | None]:
    """The extraction proper, on a freshly parsed tree (which it consumes)."""
    meta = page_metadata(tree, url)  # reads, never changes it
    ld = JsonLd(tree)  # before strip_invisible, which removes the scripts
    visible = _text_of(tree.xpath(site.byline_xpath)) if site is not None and site.byline_xpath \
        else None

    def guess() -> str | None:
        # The visible dateline under the headline, else htmldate's guess from structure
        # only: never a date read out of the free text.
        return dateline(tree) or find_date(structure_only(tree), extensive_search=False, original_date=True,
                         url=url, min_date="1800-01-01", max_date="2200-12-31")

    dates = find_dates(tree, url, visible, guess, site.timezone if site else "UTC",
                       story=ld.article.get("datePublished") if ld.article else None,
                       json_ld=ld.roots)
    strip_invisible(tree)
    declared = declared_language(tree)
    titles = page_titles(tree)
    title = None
    if site is not None and site.title_xpath:
        title = _text_of(tree.xpath(site.title_xpath)) or None
    title = title or choose_title(tree, meta.title, ld, url)
    if title:
        titles.add(normalize_text(title))
    labels = line_rules(packs_for(declared, getattr(site, "rule_packs", None) or ())).author_label
    authors = _authors(tree, site, meta.author, ld, url, labels)

    captions: list[str] = []
    extras: dict[str, Any] = {}
    caption_nodes = []
    if site is not None:
        for xpath in site.caption_xpaths:
            for node in tree.xpath(xpath):
                text = " ".join(node.text_content().split())
                if text:
                    captions.append(text)
                caption_nodes.append(node)
    # Every site's figcaptions and caption containers too: a caption is never body text.
    for node, text in generic_captions(tree):
        if node not in caption_nodes and not any(a in caption_nodes for a in node.iterancestors()):
            if text and text not in captions:
                captions.append(text)
            caption_nodes.append(node)
    # One walk of the tree serves what the page teaches the template and its application,
    # on the page as learning sees it (before any rule removed anything).
    applying = _rules_in_use(template)
    blocks = templates._blocks(tree, samples=False) if (learn or applying) else None
    fps = templates.block_fps(blocks) if blocks is not None else None
    printed = templates.page_print(blocks, samples=False, fps=fps) if learn and blocks is not None \
        else None
    if applying:
        templates.apply(tree, template, blocks, fps)
    del blocks, fps
    for node in caption_nodes:
        _remove(node)
    xpaths = list(prune_xpaths or []) + (list(site.drop_xpaths) if site is not None else [])
    for xpath in xpaths:
        for node in tree.xpath(xpath):
            _remove(node)

    target = tree
    if site is not None and site.body_xpath:
        bodies = tree.xpath(site.body_xpath)
        if bodies:
            target = lxml.html.document_fromstring("<html><body></body></html>")
            target.body.extend(copy.deepcopy(b) for b in bodies)
    standfirst = find_standfirst(tree, meta.description)
    join_split_bodies(target)
    drop_link_lines(target)
    check_repetition(p.text_content() for p in target.iter("p"))  # trafilatura keeps one copy
    # A learned template already took the site's boilerplate out; favor_precision would
    # then mostly cut article text (big9: recall 0.954 -> 0.960 without it).
    text, yardstick = _body_text(target, url, precise_first=not applying)
    rules = page_rules(declared, text, site)
    text = drop_leaders(_drop_leading_title(text, titles), rules)
    text = _with_standfirst(text, standfirst, yardstick)
    text = _apply_line_rules(text, site, captions, extras)
    text = drop_trailers(text, rules)
    if template is not None:
        text = templates.clean_text(text, template)
    if not has_letters(text):
        raise NoArticle("no_body", "no article body found on the page")
    check_body(text)

    article = Article(
        url=choose_url(url, meta.url, site),
        page_url=url,
        title=title,
        authors=authors,
        published=dates.published,
        modified=dates.modified,
        date_conflict=dates.conflict,
        rejected_dates=dates.rejected,
        description=meta.description,
        text=text,
        captions=captions,
        extras=extras,
        declared_language=declared,
        encoding=used,
    ).with_text(text, language)
    return article, printed


def page_rules(declared: str | None, text: str, site: SiteProfile | None) -> LineRules:
    """The rule packs of the page: its site profile's and its language's (declared; detected
    from the body only when the page declares none, the rarer and slower case)."""
    language = declared or (detect_language(text).language if has_letters(text) else None)
    return line_rules(packs_for(language, getattr(site, "rule_packs", None) or ()))


def _parse(raw: bytes | str, encoding: str | None) -> tuple[lxml.html.HtmlElement, str | None]:
    """Decode and parse a page once; :class:`NoArticle` for an empty or unparsable one."""
    if isinstance(raw, bytes):
        html, used = decode_html(raw, encoding)
    else:
        html, used = raw, encoding
    html = html.replace("\x00", "")
    if not html.strip():
        raise NoArticle("empty", "the page is empty")
    try:
        return parse_html(html), used
    except NoArticle:
        raise
    except (etree.ParserError, ValueError) as exc:
        raise NoArticle("unparsable", f"the page could not be parsed as HTML: {exc}") from exc


def extract(raw: bytes | str, url: str | None = None, site: SiteProfile | None = None, *,
            encoding: str | None = None, template: Any = None,
            prune_xpaths: list[str] | None = None, language: bool = True) -> Article:
    """Extract the article from one page.

    ``raw`` is the page as fetched (bytes are decoded here, see :func:`decode_html`);
    ``encoding`` is the charset the server declared, if any.  ``template`` is a site's
    learned boilerplate (:class:`pipelines.template.TemplateRules` or ``Template``);
    ``prune_xpaths`` removes configured boilerplate before trafilatura runs.  ``language``
    off skips language detection (benchmarks time extraction alone with it).  Raises
    :class:`NoArticle` when the page holds no article body.
    """
    tree, used = _parse(raw, encoding)
    return _extract_tree(tree, url, site, used, template, prune_xpaths, language, False)[0]


def process_page(raw: bytes, url: str | None, site: SiteProfile | None = None, *,
                 encoding: str | None = None, template: Any = None, learn: bool = True,
                 links: bool = True, keep_raw: bool = True,
                 base: str | None = None) -> PageResult:
    """All the per-page work of a crawl on one parse: what a worker process runs.

    ``url`` is the page's key; ``base`` the URL it was fetched from, which its relative
    links are resolved against as a browser does (the key may differ: a folded slash).
    Never raises :class:`NoArticle`: a page without an article comes back with ``skipped``
    set and its links, which the spider still follows."""
    try:
        tree, used = _parse(raw, encoding)
    except NoArticle as exc:
        return PageResult(None, exc)
    found = page_links(tree, base or url, site) if links else SiteLinks()
    version = template.version if isinstance(template, templates.TemplateRules) else "none"
    try:
        article, printed = _extract_tree(tree, url, site, used, template, None, True, learn)
    except NoArticle as exc:
        return PageResult(None, exc, found, template_version=version)
    return PageResult(
        article, None, found, printed,
        templates.body_print(article.text) if learn else None,
        gzip.compress(raw, compresslevel=GZIP_LEVEL) if keep_raw and isinstance(raw, bytes)
        else None, version)


def learn_page(raw: bytes | str, encoding: str | None = None) -> templates.PagePrint | None:
    """What a page teaches the template, without extracting it (``--same-site``'s first
    pass, which learns from every page before any is extracted).  None when it cannot be
    parsed."""
    try:
        tree, _used = _parse(raw, encoding)
    except NoArticle:
        return None
    strip_invisible(tree)
    return templates.page_print(templates._blocks(tree))


def extract_many(pages: Iterable[tuple[bytes | str, str | None]], site: SiteProfile | None = None,
                 template: templates.Template | None = None,
                 extract_page: Callable[..., Article] | None = None,
                 learn_pages: Callable[[list[bytes | str]], list[Any]] | None = None,
                 ) -> tuple[list[Article | NoArticle], templates.Template]:
    """Extract a set of pages of one site, learning the site's template from all of them.

    Learns the recurring blocks of every page first, extracts each page without them, then
    learns the lines that recur across the bodies and drops those.  Returns one Article
    (or the NoArticle explaining why not) per page, in order, and the updated template.
    This is ``newscrawl extract --same-site``; the counting is :func:`templates.merge`, the
    same a crawl does as pages arrive.  ``extract_page`` (default :func:`extract`) and
    ``learn_pages`` (default :func:`learn_page` on each) let a caller run the pages in a
    worker pool under a deadline; ``extract_page`` raises NoArticle for a page it gives up on.
    """
    extract_page = extract_page or extract
    pages = list(pages)
    template = template if template is not None else templates.Template()
    prints = learn_pages([raw for raw, _url in pages]) if learn_pages is not None \
        else [learn_page(raw) for raw, _url in pages]
    for printed in prints:
        if printed is not None:
            templates.merge(template, printed)
    rules = template.rules()
    results: list[Article | NoArticle] = []
    for raw, url in pages:
        try:
            results.append(extract_page(raw, url, site, template=rules))
        except NoArticle as exc:
            results.append(exc)
    for result in results:
        if isinstance(result, Article):
            templates.merge(template, body=templates.body_print(result.text))
    rules = template.rules()
    final: list[Article | NoArticle] = []
    for result in results:
        if isinstance(result, Article):
            text = templates.clean_text(result.text, rules)
            if not has_letters(text):
                result = NoArticle("no_body", "no article body left once the site template is removed")
            elif text != result.text:
                result = result.with_text(text)
        final.append(result)
    return final, template
