"""Language detection that is repeatable and admits when it does not know."""

from __future__ import annotations

import re

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

# langdetect samples n-grams at random: a fixed seed makes the answer repeatable.
DetectorFactory.seed = 0

MIN_LETTERS = 20
MIN_PROBABILITY = 0.70
# Below this share of letters among non-space characters the text is markup, numbers or
# garbage, where langdetect is confidently wrong.
MIN_LETTER_SHARE = 0.5
URL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+")


def normalize_code(code: str | None) -> str | None:
    """``en-US``, ``en_us``, ``zh-cn`` -> ``en``, ``zh``: the primary subtag, lower-case."""
    if not code:
        return None
    primary = re.split(r"[-_]", code.strip())[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


def detect(text: str | None) -> tuple[str | None, float | None]:
    """Return ``(code, probability)`` for ``text``, or ``(None, None)`` when unsure.

    Empty, short, digit-only or garbled text gets no answer rather than an exception or a
    confident wrong code.
    """
    if not text:
        return None, None
    sample = URL.sub(" ", text)
    letters = sum(ch.isalpha() for ch in sample)
    visible = sum(not ch.isspace() for ch in sample)
    if letters < MIN_LETTERS or letters < MIN_LETTER_SHARE * visible:
        return None, None
    try:
        best = detect_langs(sample[:20000])[0]
    except LangDetectException:
        return None, None
    if best.prob < MIN_PROBABILITY:
        return None, None
    return normalize_code(best.lang), round(best.prob, 4)
