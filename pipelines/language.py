"""Language detection that is repeatable and admits when it does not know.

langdetect decides by default.  It knows 55 languages and is confidently wrong on others
(Zulu and Xhosa come out as Swahili at probability 1.0), so py3langid, which knows 97 more,
backs it: where langdetect has no answer, or py3langid names a language langdetect cannot
know, py3langid decides (if it is sure) and the row records which detector did.
"""

from __future__ import annotations

import logging
import math
import mmap
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

from charset_normalizer.md import mess_ratio

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


# -- loading the detectors' models once, fast ---------------------------------------------------
# Both detectors load their models from compressed files on first use (langdetect: 55 JSON
# profiles into 87,000 Python lists, 0.7 s and 65 MB; py3langid: an LZMA archive, 0.6 s).  The
# same numbers are kept in an uncompressed cache and memory-mapped, so a process loads them in
# milliseconds and only the pages it reads become resident.  The answers are identical: the
# very same float64 values are read.  Set NEWSCRAWL_CACHE_DIR to move the cache, or to an
# empty string to turn it off.


def cache_dir() -> Path | None:
    configured = os.environ.get("NEWSCRAWL_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "newscrawl"


def _mapped(path: Path) -> memoryview:
    with path.open("rb") as f:
        return memoryview(mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ))


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class _ProbabilityMap:
    """langdetect's ``word_lang_prob_map`` (n-gram -> one probability per language) over a
    memory-mapped float64 matrix: the lookups its detector makes, nothing else."""

    def __init__(self, words: list[str], matrix: memoryview, languages: int) -> None:
        self._rows = {w: i for i, w in enumerate(words)}
        self._matrix = matrix
        self._width = languages

    def __contains__(self, word: object) -> bool:
        return word in self._rows

    def __getitem__(self, word: str) -> memoryview:
        i = self._rows[word] * self._width
        return self._matrix[i:i + self._width]

    def __len__(self) -> int:
        return len(self._rows)

    def array(self) -> Any:
        """The matrix as a numpy array, one row per n-gram (a view: nothing is copied)."""
        import numpy as np

        return np.frombuffer(self._matrix, dtype=np.float64).reshape(-1, self._width)


def _langdetect_factory() -> Any:
    """langdetect's global factory, its profiles loaded from the cache (built on first use)."""
    import json
    from array import array

    from langdetect import detector_factory

    if detector_factory._factory is not None:
        return detector_factory._factory
    folder = cache_dir()
    name = f"langdetect-{version('langdetect')}"
    factory = detector_factory.DetectorFactory()
    try:
        if folder is None:
            raise OSError("cache off")
        index, matrix = folder / f"{name}.json", folder / f"{name}.f64"
        if not (index.is_file() and matrix.is_file()):
            full = detector_factory.DetectorFactory()
            full.load_profile(detector_factory.PROFILES_DIRECTORY)
            words = list(full.word_lang_prob_map)
            values = array("d")
            for word in words:
                values.extend(full.word_lang_prob_map[word])
            folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(matrix, values.tobytes())
            _write_atomically(index, json.dumps({"languages": full.langlist,
                                                 "words": words}).encode())
        data = json.loads(index.read_text(encoding="utf-8"))
        factory.langlist = data["languages"]
        factory.word_lang_prob_map = _ProbabilityMap(
            data["words"], _mapped(matrix).cast("d"), len(data["languages"]))
    except (OSError, ValueError) as exc:
        logger.debug("langdetect profiles loaded without the cache: %s", exc)
        factory = detector_factory.DetectorFactory()
        factory.load_profile(detector_factory.PROFILES_DIRECTORY)
    # langdetect samples n-grams at random: a fixed seed makes the answer repeatable.
    factory.set_seed(0)
    detector_factory._factory = factory
    return factory


@lru_cache(maxsize=1)
def _langid() -> Any:
    """py3langid's identifier, its model memory-mapped from the cache (built on first use)."""
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier, _load_model_file

    folder = cache_dir()
    prefix = f"py3langid-{version('py3langid')}"
    try:
        if folder is None:
            raise OSError("cache off")
        files = {k: folder / f"{prefix}.{k}" for k in ("ptc.npy", "pc.npy", "classes.json",
                                                       "nextmove.u32", "row.u32", "output.npy")}
        if not all(f.is_file() for f in files.values()):
            ptc, pc, classes, nextmove, row, output = _load_model_file(MODEL_DIR / MODEL_FILE)
            folder.mkdir(parents=True, exist_ok=True)
            for key, array_ in (("ptc.npy", ptc), ("pc.npy", pc),
                                ("output.npy", np.asarray(output, dtype=np.int64))):
                tmp = files[key].with_name(f".{files[key].name}.{os.getpid()}.npy")
                np.save(tmp, array_)
                os.replace(tmp, files[key])
            _write_atomically(files["nextmove.u32"], np.asarray(nextmove, np.uint32).tobytes())
            _write_atomically(files["row.u32"], np.asarray(row, np.uint32).tobytes())
            import json

            _write_atomically(files["classes.json"], json.dumps(list(classes)).encode())
        import json

        return LanguageIdentifier(
            np.load(files["ptc.npy"], mmap_mode="r"), np.load(files["pc.npy"]),
            json.loads(files["classes.json"].read_text()),
            _mapped(files["nextmove.u32"]).cast("I"),
            np.load(files["output.npy"]).tolist(), norm_probs=False,
            tk_row=_mapped(files["row.u32"]).cast("I"))
    except (OSError, ValueError) as exc:
        logger.debug("py3langid model loaded without the cache: %s", exc)
        return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)


@lru_cache(maxsize=1)
def _fast_detector_class() -> Any:
    """langdetect's ``Detector`` with its two inner loops made cheap and its answer unchanged.

    Per page, langdetect spends its time normalizing each character (a Unicode-block
    lookup, made once per distinct character here) and multiplying 55 language
    probabilities in a Python loop for each sampled n-gram (one float64 vector operation
    here: the same products in the same order, so the same bits).  The sums that normalize
    the vector stay Python's sequential ``sum``, so convergence is decided exactly as in
    langdetect, and the random draws are the same calls on the same seeded generator."""
    import numpy as np
    from langdetect.detector import Detector
    from langdetect.utils.ngram import NGram

    normalized: dict[str, str] = {}

    class FastDetector(Detector):
        def __init__(self, factory: Any) -> None:
            super().__init__(factory)
            mapping = factory.word_lang_prob_map
            self._row = mapping._rows.get
            self._matrix = mapping.array()

        def _extract_ngrams(self) -> list[str]:  # NGram.add_char / get, inlined
            result: list[str] = []
            known = self._row
            grams, capital = " ", False
            for ch in self.text:
                norm = normalized.get(ch)
                if norm is None:
                    norm = normalized[ch] = NGram.normalize(ch)
                last = grams[-1]
                if last == " ":
                    grams, capital = " ", False
                    if norm == " ":
                        continue
                elif len(grams) >= NGram.N_GRAM:
                    grams = grams[1:]
                grams += norm
                capital = last.isupper() if norm.isupper() else False
                if capital:
                    continue
                for n in range(1, min(len(grams), NGram.N_GRAM) + 1):
                    w = grams[-n:]
                    if w != " " and known(w) is not None:
                        result.append(w)
            return result

        def _init_probability(self) -> Any:
            return np.array(super()._init_probability(), dtype=np.float64)

        def _update_lang_prob(self, prob: Any, word: str | None, alpha: float) -> bool:
            row = self._row(word) if word is not None else None
            if row is None:
                return False
            prob *= alpha / self.BASE_FREQ + self._matrix[row]
            return True

        def _normalize_prob(self, prob: Any) -> float:
            prob /= sum(prob.tolist())
            return float(prob.max())

        def _sort_probability(self, prob: Any) -> list[Any]:
            return super()._sort_probability([float(p) for p in prob])

    return FastDetector


def _by_langdetect(sample: str) -> Detection:
    from langdetect.lang_detect_exception import LangDetectException

    factory = _langdetect_factory()
    try:
        detector = _fast_detector_class()(factory) \
            if isinstance(factory.word_lang_prob_map, _ProbabilityMap) else factory.create()
        detector.append(sample)
        best = detector.get_probabilities()[0]
    except (LangDetectException, IndexError):
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
