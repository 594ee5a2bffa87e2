#!/usr/bin/env python3
"""Language detection on fundus-publishers: our extracted body vs each page's known language.

For every page with 200+ characters of extracted body, compares detect_language() with the
language in ../shared/eval/fundus-publishers/languages.json, per language, and shows which
detector decided.  Languages langdetect does not know (Icelandic, Zulu, Xhosa) are reported
apart: they must get py3langid's right answer or NULL, never a confident wrong code.
Needs ../shared/eval; says so and exits 0 when it is absent.

Usage (from the project root): .venv/bin/python bench/language.py
"""

from __future__ import annotations

import gzip
import json
import logging
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "eval" / "fundus-publishers"

from pipelines.extract import NoArticle, extract  # noqa: E402
from pipelines.language import LANGDETECT_LANGUAGES, detect_language  # noqa: E402

logging.disable(logging.CRITICAL)
MIN_CHARS = 200


def main() -> int:
    if not DATA.is_dir():
        print(f"{DATA} is not here: nothing measured.")
        return 0
    languages = json.loads((DATA / "languages.json").read_text())
    per: dict[str, Counter] = defaultdict(Counter)
    wrong = []
    for key, info in sorted(languages.items()):
        country, name = key.split("/")
        raw = gzip.decompress((DATA / country / f"{name}.html.gz").read_bytes())
        try:
            text = extract(raw, None, None).text
        except NoArticle:
            text = ""
        expected = info["language"].split("-")[0]
        if len(text) < MIN_CHARS:
            per[expected]["short"] += 1
            continue
        found = detect_language(text)
        outcome = ("right" if found.language == expected else
                   "null" if found.language is None else "wrong")
        per[expected][outcome] += 1
        per[expected][found.detector or "none"] += 1
        if outcome != "right":
            wrong.append((key, expected, found))
    known = [lang for lang in per if lang in LANGDETECT_LANGUAGES]
    right = sum(per[lang]["right"] for lang in known)
    total = sum(per[lang]["right"] + per[lang]["wrong"] + per[lang]["null"] for lang in known)
    print(f"Pages with {MIN_CHARS}+ characters of body, languages langdetect knows: "
          f"{right}/{total} right ({right / total:.1%})")
    print(f"{'lang':6s} {'right':>5s} {'wrong':>5s} {'null':>5s}  decided by")
    for lang, c in sorted(per.items(), key=lambda kv: -sum(kv[1][k] for k in ("right", "wrong", "null"))):
        unknown = "" if lang in LANGDETECT_LANGUAGES else "   (langdetect does not know it)"
        print(f"{lang:6s} {c['right']:5d} {c['wrong']:5d} {c['null']:5d}  langdetect {c['langdetect']}, "
              f"py3langid {c['py3langid']}{unknown}")
    for key, expected, found in wrong:
        print(f"  {key}: expected {expected}, got {found.language} "
              f"({found.probability}, {found.detector})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
