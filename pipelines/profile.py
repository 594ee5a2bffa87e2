"""What the processing library needs to know of a site profile, as a structural type.

The profiles themselves (:class:`crawler.sites.Site`, TOML files) belong to the Scrapy project;
``pipelines`` only reads these attributes, so it never imports ``crawler``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol


class SiteProfile(Protocol):
    """The read-only view of a site profile that extraction and URL keys use."""

    name: str
    timezone: str
    body_xpath: str | None
    title_xpath: str | None
    byline_xpath: str | None
    author_pattern: str | None
    caption_xpaths: Sequence[str]
    drop_xpaths: Sequence[str]
    drop_line_patterns: Sequence[str]
    field_line_patterns: Mapping[str, str]
    # Rule packs (pipelines/rules/<name>.toml) besides the page language's; optional.
    rule_packs: Sequence[str]
    # URL keys: query parameters that never name a page, and whether ``/a`` is ``/a/``.
    tracking_params: Sequence[str]
    fold_trailing_slash: bool

    @property
    def primary_host(self) -> str: ...

    @property
    def all_hosts(self) -> frozenset[str] | set[str]: ...

    @property
    def scheme(self) -> str: ...

    def is_article(self, path: str) -> bool: ...
