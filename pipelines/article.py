"""What a story is made of once extracted, and why a page has none."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from importlib.metadata import version
from typing import Any

from pipelines.dedup import content_hash, simhash
from pipelines.language import NO_ANSWER, detect_language

# Stored with every body: which extractor produced it (re-extraction compares it).
EXTRACTOR_VERSION = f"newscrawl-3/trafilatura-{version('trafilatura')}"



class NoArticle(ValueError):
    """The page holds no article body; ``reason`` is a short stat-friendly slug."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[Any, ...]:  # crosses the extraction worker's process boundary
        return (NoArticle, (self.reason, str(self)))


@dataclass
class Article:
    """What we keep of one article page, as plain values ready for storage or JSON."""

    url: str | None
    page_url: str | None
    title: str | None
    authors: list[str]
    published: str | None
    description: str | None
    text: str
    modified: str | None = None
    date_conflict: str | None = None
    rejected_dates: list[str] = field(default_factory=list)
    captions: list[str] = field(default_factory=list)
    extras: dict[str, Any] = field(default_factory=dict)
    declared_language: str | None = None
    language: str | None = None
    language_probability: float | None = None
    language_detector: str | None = None
    encoding: str | None = None
    content_hash: str = ""
    simhash: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def with_text(self, text: str, language: bool = True) -> Article:
        """This article with ``text`` as its body and everything derived from it renewed
        (fingerprints, and the detected language unless ``language`` is off)."""
        found = detect_language(text) if language else NO_ANSWER
        return replace(self, text=text, content_hash=content_hash(text), simhash=simhash(text),
                       language=found.language, language_probability=found.probability,
                       language_detector=found.detector)
