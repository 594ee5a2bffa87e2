#!/usr/bin/env python3
"""Extraction quality and speed: newscrawl's extract() beside trafilatura's default.

Scores, in one run and on the same pages, with the word-4-gram metric of
../shared/tools/extract_eval.py (imported, so the figures are the scorer's own):

  aeb                article-extraction-benchmark, one page per site: generic extraction;
  big9               9 sites x 10 pages: generic, and --same-site (template learned from each
                     site's pages, as `newscrawl extract --same-site` does), per site;
  fundus-publishers  multilingual: generic and same-site per publisher, F1 per language.

Pages per second are single-core (pinned) medians over --passes timed passes, with the
pipelines run in alternation so machine noise hits both alike.  "newscrawl generic" is
extraction alone (body and metadata, what trafilatura's row does plus metadata); the
"+ language" row adds language detection (langdetect + py3langid), as the crawl runs it.  Needs ../shared/eval; says
so and exits 0 when it is absent (a user's clone does not have it).

Usage (from the project root): .venv/bin/python bench/extraction.py [--sets aeb,big9]
    [--passes 3] [--save-dir DIR]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import statistics
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = ROOT.parent / "shared"

import logging  # noqa: E402

import lxml.html  # noqa: E402
import trafilatura  # noqa: E402

from pipelines.extract import Article, extract, extract_many  # noqa: E402

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
warnings.filterwarnings("ignore")


# A reference sharing less than this share of its 4-grams with the page is another page's.
MIN_REFERENCE_COVERAGE = 0.2


def load_scorer():
    spec = importlib.util.spec_from_file_location("extract_eval", SHARED / "tools" / "extract_eval.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["extract_eval"] = module
    spec.loader.exec_module(module)
    return module


def reference_coverage(scorer, doc) -> float:
    """Share of the reference's word 4-grams that occur anywhere in the page's text.

    Near 1 for a correct reference (boilerplate aside); near 0 when the reference is the
    text of another article, which no extractor can reach (big9's latimes-trump-4)."""
    page = scorer.shingles(" ".join(lxml.html.fromstring(doc.html).itertext()))
    reference = scorer.shingles("\n\n".join(doc.reference))
    return sum((reference & page).values()) / max(1, sum(reference.values()))


def run_default(docs) -> list[str]:
    return [trafilatura.extract(d.html) or "" for d in docs]


def run_generic(docs, language: bool = True) -> list[str]:
    out = []
    for d in docs:
        try:
            out.append(extract(d.html, d.url, language=language).text)
        except ValueError:  # NoArticle
            out.append("")
    return out


def run_same_site(docs) -> list[str]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        groups[d.publisher].append(i)
    out = [""] * len(docs)
    for idx in groups.values():
        results, _template = extract_many([(docs[i].html, docs[i].url) for i in idx])
        for i, r in zip(idx, results):
            out[i] = r.text if isinstance(r, Article) else ""
    return out


def timed(runs: dict[str, Callable[[], list[str]]], passes: int) -> dict[str, tuple[list[str], float]]:
    times: dict[str, list[float]] = defaultdict(list)
    outs: dict[str, list[str]] = {}
    for _ in range(passes):
        for name, fn in runs.items():
            t = time.perf_counter()
            outs[name] = fn()
            times[name].append(time.perf_counter() - t)
    return {name: (outs[name], statistics.median(times[name])) for name in runs}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", default="aeb,big9,fundus-publishers")
    parser.add_argument("--passes", type=int, default=1, help="timed passes (median)")
    parser.add_argument("--save-dir", type=Path, help="write {id, text} JSON lines per run")
    args = parser.parse_args()
    if not (SHARED / "eval").is_dir():
        print(f"{SHARED / 'eval'} is not here: no labelled pages to score (nothing measured).")
        return 0
    scorer = load_scorer()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})

    def score(docs, outs, keep=lambda d: True):
        counts = [scorer.shingle_tp_fp_fn("\n\n".join(d.reference), o)
                  for d, o in zip(docs, outs) if keep(d)]
        s = scorer.shingle_summary(counts)
        return s["f1"], s["precision"], s["recall"]

    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        docs = scorer.LOADERS[name](SHARED / "eval" / scorer.DATASET_DIRS[name])
        for d in docs:
            d.html = d.read_html()
        runs = {"trafilatura default": lambda: run_default(docs),
                "newscrawl generic": lambda: run_generic(docs, language=False),
                "  + language": lambda: run_generic(docs)}
        if name != "aeb":
            runs["newscrawl same-site"] = lambda: run_same_site(docs)
        results = timed(runs, args.passes)
        base_speed = len(docs) / results["trafilatura default"][1]
        print(f"\n== {name}: {len(docs)} pages (trafilatura {trafilatura.__version__})")
        print(f"  {'':22s} {'F1':>6s} {'P':>6s} {'R':>6s} {'pages/s':>8s} {'speed ratio':>11s}")
        for label, (outs, seconds) in results.items():
            f1, p, r = score(docs, outs)
            speed = len(docs) / seconds
            print(f"  {label:22s} {f1:6.3f} {p:6.3f} {r:6.3f} {speed:8.1f} {speed / base_speed:11.2f}")
            if args.save_dir:
                args.save_dir.mkdir(parents=True, exist_ok=True)
                path = args.save_dir / f"{name}-{label.replace(' ', '-')}.jsonl"
                with path.open("w", encoding="utf-8") as f:
                    for d, o in zip(docs, outs):
                        f.write(json.dumps({"id": d.id, "text": o}, ensure_ascii=False) + "\n")
        base = results["trafilatura default"][0]
        best = results.get("newscrawl same-site", results["newscrawl generic"])[0]
        if name == "big9":
            foreign = {d.id for d in docs if reference_coverage(scorer, d) < MIN_REFERENCE_COVERAGE}
            if foreign:
                keep = lambda d: d.id not in foreign  # noqa: E731
                print(f"  without {len(foreign)} page(s) whose reference is another article's text "
                      f"({', '.join(sorted(foreign))}: < {MIN_REFERENCE_COVERAGE:.0%} of its "
                      f"4-grams are on the page):")
                for label, (outs, _) in results.items():
                    f1, p, r = score(docs, outs, keep)
                    print(f"  {label:22s} {f1:6.3f} {p:6.3f} {r:6.3f}")
            print("  per site F1 / P / R: trafilatura default | newscrawl same-site")
            for site in sorted({d.publisher for d in docs}):
                keep = lambda d, s=site: d.publisher == s  # noqa: E731
                a, b = score(docs, base, keep), score(docs, best, keep)
                print(f"    {site:14s} {a[0]:.3f} {a[1]:.3f} {a[2]:.3f} | {b[0]:.3f} {b[1]:.3f} {b[2]:.3f}")
        if name == "fundus-publishers":
            languages = json.loads((SHARED / "eval" / scorer.DATASET_DIRS[name] / "languages.json")
                                   .read_text())
            by_language: dict[str, set[str]] = defaultdict(set)
            for d in docs:
                by_language[(languages.get(d.id) or {}).get("language", "?")].add(d.id)
            print("  per language F1: trafilatura default | newscrawl generic | same-site  (pages)")
            worse = []
            for lang, ids in sorted(by_language.items(), key=lambda kv: -len(kv[1])):
                keep = lambda d, s=ids: d.id in s  # noqa: E731
                f = [score(docs, results[label][0], keep)[0]
                     for label in ("trafilatura default", "newscrawl generic", "newscrawl same-site")]
                print(f"    {lang:6s} {f[0]:.4f} | {f[1]:.4f} | {f[2]:.4f}  ({len(ids)})")
                if min(f[1:]) < f[0]:
                    worse.append(lang)
            print(f"  languages worse than trafilatura default: {', '.join(worse) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
