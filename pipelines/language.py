"""Language detection that is repeatable and admits when it does not know.

langdetect decides by default.  It knows 55 languages and is confidently wrong on others
(Zulu and Xhosa come out as Swahili at probability 1.0), so py3langid, which knows 97 more,
backs it: where langdetect has no answer, or py3langid names a language langdetect cannot
know, py3langid decides (if it is sure) and the row records which detector did.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from charset_normalizer.md import mess_ratio
from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

# langdetect samples n-grams at random: a fixed seed makes the answer repeatable.
DetectorFactory.seed = 0

MIN_LETTERS = 20
MIN_PROBABILITY = 0.70
# Below this share of letters among non-space characters the text is markup, numbers or
# garbage, where every detector is confidently wrong.
MIN_LETTER_SHARE = 0.5
# py3langid's naive-Bayes probabilities saturate at 1.0 on any long text, so its confidence
# is taken from the log-probability margin between its top two languages, per character:
# below ~0.12 nats the two are near-tied (close relatives such as Zulu and Xhosa).
LANGID_MARGIN_SCALE = 20.0
MIN_LANGID_MARGIN = 0.12
# Both detectors settle long before these lengths and their cost is linear in the text.
# langdetect is the slow one (pure Python): on the 505 bodies of the three evaluation sets
# its answer on the first 400, 500 ... 1,000 characters is the same.  py3langid's margin
# needs a longer sample to tell close relatives apart (Zulu and Xhosa).
LANGDETECT_SAMPLE_CHARS = 500
SAMPLE_CHARS = 3_000
NO_LINGUISTIC_CONTENT = "zxx"  # py3langid's verdict on garbled text
# Mojibake (windows-1251 read as Latin-1: "Ìèð ñàììèò") is letters to a detector, which
# names a language for it (Ligurian, p=0.94).  charset_normalizer's mess detector measures
# how unlike any text it is (accent runs, case flips, odd symbols); above its own default
# ceiling for a plausible decode (0.2) the text is garbled.  On the 415 extracted bodies of
# article-extraction-benchmark and fundus-publishers the highest is 0.13; mojibake of
# Russian scores 0.37 (read as KOI8-R) to 4.2 (UTF-8 read as Latin-1).
MAX_MESS = 0.2
URL = re.compile(r"\b(?:https?://|www\.)\S+|\S+@\S+")

LANGDETECT_LANGUAGES = frozenset({
    "af", "ar", "bg", "bn", "ca", "cs", "cy", "da", "de", "el", "en", "es", "et", "fa", "fi",
    "fr", "gu", "he", "hi", "hr", "hu", "id", "it", "ja", "kn", "ko", "lt", "lv", "mk", "ml",
    "mr", "ne", "nl", "no", "pa", "pl", "pt", "ro", "ru", "sk", "sl", "so", "sq", "sv", "sw",
    "ta", "te", "th", "tl", "tr", "uk", "ur", "vi", "zh"})


@dataclass(frozen=True)
class Detection:
    """A language answer: ISO 639 code, a probability, and which detector gave it."""

    language: str | None
    probability: float | None
    detector: str | None


NO_ANSWER = Detection(None, None, None)


def normalize_code(code: str | None) -> str | None:
    """``en-US``, ``en_us``, ``zh-cn`` -> ``en``, ``zh``: the primary subtag, lower-case."""
    if not code:
        return None
    primary = re.split(r"[-_]", code.strip())[0].lower()
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else None


@lru_cache(maxsize=1)
def _langid() -> Any:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)


def _by_langdetect(sample: str) -> Detection:
    try:
        best = detect_langs(sample)[0]
    except LangDetectException:
        return NO_ANSWER
    if best.prob < MIN_PROBABILITY:
        return NO_ANSWER
    return Detection(normalize_code(best.lang), round(best.prob, 4), "langdetect")


def _by_langid(sample: str) -> tuple[Detection, bool]:
    """py3langid's answer and whether it is sure (top-two margin per character)."""
    (first, lp1), (_second, lp2) = _langid().rank(sample)[:2]
    margin = (lp1 - lp2) / max(1, len(sample))
    probability = round(1 / (1 + math.exp(-LANGID_MARGIN_SCALE * margin)), 4)
    return Detection(normalize_code(first), probability, "py3langid"), margin >= MIN_LANGID_MARGIN


def detect_language(text: str | None) -> Detection:
    """Detect the language of ``text``; :data:`NO_ANSWER` when unsure.

    Empty, short, digit-only or garbled text (mojibake included) gets no answer rather
    than an exception or a confident wrong code.
    """
    if not text:
        return NO_ANSWER
    sample = URL.sub(" ", text[:2 * SAMPLE_CHARS])[:SAMPLE_CHARS]
    letters = sum(ch.isalpha() for ch in sample)
    visible = sum(not ch.isspace() for ch in sample)
    if letters < MIN_LETTERS or letters < MIN_LETTER_SHARE * visible:
        return NO_ANSWER
    if mess_ratio(sample, MAX_MESS) >= MAX_MESS:
        return NO_ANSWER
    primary = _by_langdetect(sample[:LANGDETECT_SAMPLE_CHARS])
    backup, sure = _by_langid(sample)
    if backup.language == NO_LINGUISTIC_CONTENT:
        return NO_ANSWER
    if backup.language in LANGDETECT_LANGUAGES and primary.language is not None:
        return primary
    if backup.language not in LANGDETECT_LANGUAGES and backup.language != primary.language:
        # A language langdetect does not know: its own answer can only be wrong.
        return backup if sure else NO_ANSWER
    if primary.language is None:
        return backup if sure else NO_ANSWER
    return primary


def detect(text: str | None) -> tuple[str | None, float | None]:
    """``(code, probability)`` for ``text``, or ``(None, None)`` when unsure."""
    found = detect_language(text)
    return found.language, found.probability
