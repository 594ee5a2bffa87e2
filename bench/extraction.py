#!/usr/bin/env python3
"""Extraction quality and speed: newscrawl's extract() beside trafilatura's default.

Scores, in one run and on the same pages, with the word-4-gram metric of
../shared/tools/extract_eval.py (imported, so the figures are the scorer's own):

  aeb                article-extraction-benchmark, one page per site: generic extraction;
  big9               9 sites x 10 pages: generic, and --same-site (template learned from each
                     site's pages, as `newscrawl extract --same-site` does), per site;
  fundus-publishers  multilingual: generic and same-site per publisher, F1 per language;
                     and metadata (title exact match, author F1, publication day) against
                     the references, with ../shared/tools/meta_eval.py's own normalization.

Every set is split by site into a development part and a held-out part (HELD_OUT below:
a hash of the site's name, fixed before any figure was looked at, never tuned).  Rules and
thresholds are tuned on the development part only; the figures are printed for all pages,
dev and held-out side by side, with the margin over trafilatura's default on each part.

Pages per second are single-core (pinned) medians over --passes timed passes, with the
pipelines run in alternation so machine noise hits both alike.  "newscrawl generic" is
extraction alone (body and metadata, what trafilatura's row does plus metadata); the
"+ language" row adds language detection (langdetect + py3langid), as the crawl runs it.  Needs ../shared/eval; says
so and exits 0 when it is absent (a user's clone does not have it).

Metadata misses that are the reference's, not newscrawl's (development part, classified by
reading each miss; held-out misses were not looked at).  The bench prints the figures
without them beside the plain ones:
  - the reference's choice of headline: the page states two headlines (og:title, JSON-LD
    headline, h1) and the reference took another one than newscrawl's (which is the JSON-LD
    headline, see pipelines/metadata.choose_title).  Counted by the bench itself, page by
    page, from the page's own sources (REFERENCE_CHOICE below), not listed by hand.
  - slips (REFERENCE_SLIPS below, each with its reason): a title no source on the page gives
    (a kicker joined with " / ", a site suffix kept, quotes mixed or taken from the og:title
    behind its suffix); authors that are not the story's writers (the dateline's place, the
    translator's credit, the desk from a meta string), one organization spelled from a
    site-specific tag, "reporter X and 1 other" kept as one name; and the two dates with day
    and month swapped.  The figure without them is scored again over the pages left.

Usage (from the project root): .venv/bin/python bench/extraction.py [--sets aeb,big9]
    [--passes 3] [--save-dir DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import statistics
import sys
import time
import warnings
from collections import defaultdict
from collections.abc import Callable
from typing import Any
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


# The hold-out split, by site (aeb: the page's host; big9: the site; fundus-publishers: the
# publisher), so no site is on both sides: a site is held out when the first byte of
# blake2b("newscrawl-holdout:" + site) is divisible by 3.  Chosen once, before looking at
# any figure; it gives aeb 41 of 126 hosts (58 of 181 pages), big9 bbc, latimes and nymag
# (29 of 89 pages), fundus-publishers 51 of 165 publishers (72 of 235 pages).
HOLD_OUT_SALT = "newscrawl-holdout:"


def held_out(site: str) -> bool:
    """Whether ``site``'s pages are in the held-out part (never tuned on)."""
    digest = hashlib.blake2b((HOLD_OUT_SALT + site).encode("utf-8"), digest_size=8).digest()
    return digest[0] % 3 == 0


# Reference slips seen among the development part's misses (see the docstring): page id ->
# what is wrong with the reference.  Used only to print a figure without them.
REFERENCE_SLIPS: dict[tuple[str, str], str] = {
    ("title", "lu/Tageblatt_2025_06_30"): "kicker and headline joined with ' / ' (in no source)",
    ("title", "tr/Haberturk_2024_07_03"): "keeps the site suffix ' - Güncel haberler'",
    ("title", "us/RollingStone_2024_04_25"): "straight and curly quotes mixed (in no source)",
    ("title", "us/TechCrunch_2024_05_17"): "the og:title's straight quotes (behind its site "
                                            "suffix); the h1 and JSON-LD headline have curly ones",
    ("authors", "ch/SRF_2025_01_05"): "the dateline's place after the byline's comma "
                                      "('..., Sweidah') counted as an author",
    ("authors", "de/AFPFaktencheck_2026_05_24"): "the translator's credit ('Übersetzung und "
                                                 "Adaptierung: AFP Deutschland') as an author",
    ("authors", "de/MDR_2026_07_08"): "the desk from the meta author string ('Engin Haupt, MDR "
                                      "SACHSEN-ANHALT'); JSON-LD and the byline name the reporter",
    ("authors", "kr/HankookIlbo_2026_07_12"): "'박준석 기자 외 1명' ('reporter Park and 1 other') as "
                                              "one name; the page's JSON-LD names both reporters",
    ("authors", "tr/NTVTR_2025_11_10"): "the publisher as a site-specific meta tag spells it "
                                        "(articleAuthor 'ntv.com.tr'); JSON-LD's author is 'NTV'",
    ("authors", "tw/TaipeiTimes_2024_10_15"): "agency and dateline place as one name ('AFP, "
                                              "MANILA'; newscrawl's publisher is no better)",
    ("day", "de/KlasseGegenKlasse_2026_01_07"): "day and month swapped (2026-06-01)",
    ("day", "tr/AnadoluAjansi_2025_04_05"): "day and month swapped (2025-05-04)",
}


def reference_choice(html: str, got: str | None, want: str) -> bool:
    """Whether a title miss is the reference's choice of headline: both the reference's
    title and newscrawl's are headlines the page itself states (og:title, twitter:title,
    JSON-LD headline, h1; compared as meta_eval compares), and they differ."""
    from pipelines.metadata import JsonLd  # noqa: PLC0415 - only for this classification
    norm = sys.modules["meta_eval"].norm
    tree = lxml.html.fromstring(html)
    stated = [str(v) for v in tree.xpath('//meta[@property="og:title" or @name="twitter:title"]'
                                         '/@content')]
    stated += [h.text_content() for h in tree.xpath("(//body//h1)[1]")]
    stated.append(JsonLd(tree).headline() or "")
    norms = {norm(v) for v in stated if v}
    return norm(want) in norms and norm(got or "") in norms


PARTS: dict[str, Callable[..., bool]] = {
    "all": lambda d: True,
    "dev": lambda d: not held_out(d.publisher),
    "held-out": lambda d: held_out(d.publisher),
}


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, SHARED / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_scorer():
    return load_tool("extract_eval")


def reference_coverage(scorer, doc) -> float:
    """Share of the reference's word 4-grams that occur anywhere in the page's text.

    Near 1 for a correct reference (boilerplate aside); near 0 when the reference is the
    text of another article, which no extractor can reach (big9's latimes-trump-4)."""
    page = scorer.shingles(" ".join(lxml.html.fromstring(doc.html).itertext()))
    reference = scorer.shingles("\n\n".join(doc.reference))
    return sum((reference & page).values()) / max(1, sum(reference.values()))


def run_default(docs) -> list[str]:
    return [trafilatura.extract(d.html) or "" for d in docs]


def run_generic(docs, language: bool = True) -> list[Article | None]:
    out: list[Article | None] = []
    for d in docs:
        try:
            out.append(extract(d.html, d.url, language=language))
        except ValueError:  # NoArticle
            out.append(None)
    return out


def run_same_site(docs) -> list[Article | None]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, d in enumerate(docs):
        groups[d.publisher].append(i)
    out: list[Article | None] = [None] * len(docs)
    for idx in groups.values():
        results, _template = extract_many([(docs[i].html, docs[i].url) for i in idx])
        for i, r in zip(idx, results):
            out[i] = r if isinstance(r, Article) else None
    return out


def text_of(output: str | Article | None) -> str:
    return output if isinstance(output, str) else (output.text if output is not None else "")


def trafilatura_metadata(docs) -> list[tuple[str | None, list[str], str]]:
    """(title, authors, day) per page from trafilatura's default metadata, as meta_eval reads it."""
    meta_eval = sys.modules["meta_eval"]
    out = []
    for d in docs:
        try:
            r = trafilatura.bare_extraction(d.html, url=d.url or None, with_metadata=True)
        except Exception:  # noqa: BLE001 - a failure is a miss, as in meta_eval
            r = None
        if r is None:
            out.append((None, [], ""))
            continue
        r = r if isinstance(r, dict) else r.as_dict()
        out.append((r.get("title"), meta_eval.as_list(r.get("author")), str(r.get("date") or "")[:10]))
    return out


def newscrawl_metadata(articles: list[Article | None]) -> list[tuple[str | None, list[str], str]]:
    return [(a.title, list(a.authors), str(a.published or "")[:10]) if a is not None
            else (None, [], "") for a in articles]


def metadata_scores(refs: list[dict], got: list[tuple[str | None, list[str], str]]
                    ) -> tuple[dict[str, float], dict[str, list]]:
    """meta_eval's metrics over the pages whose reference has the field, and the misses."""
    meta_eval = sys.modules["meta_eval"]
    values: dict[str, list[float]] = {"title": [], "authors": [], "day": []}
    misses: dict[str, list] = {"title": [], "authors": [], "day": []}
    for ref, (title, authors, day) in zip(refs, got):
        if ref["title"]:
            ok = meta_eval.norm(title or "") == meta_eval.norm(ref["title"])
            values["title"].append(ok)
            if not ok:
                misses["title"].append((ref["id"], title, ref["title"]))
        if ref["authors"]:
            f = meta_eval.f1(authors, ref["authors"])
            values["authors"].append(f)
            if f < 1:
                misses["authors"].append((ref["id"], authors, ref["authors"]))
        if ref["day"]:
            ok = day == ref["day"]
            values["day"].append(ok)
            if not ok:
                misses["day"].append((ref["id"], day, ref["day"]))
    return ({k: (sum(v) / len(v) if v else float("nan")) for k, v in values.items()}, misses)


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
    parser.add_argument("--meta-only", action="store_true",
                        help="fundus-publishers metadata only (no body runs, no timing)")
    parser.add_argument("--misses", type=int, default=0, metavar="N",
                        help="print N metadata misses per field (development part only)")
    args = parser.parse_args()
    if not (SHARED / "eval").is_dir():
        print(f"{SHARED / 'eval'} is not here: no labelled pages to score (nothing measured).")
        return 0
    scorer = load_scorer()
    load_tool("meta_eval")
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[-1]})

    def score(docs, outs, keep=lambda d: True):
        counts = [scorer.shingle_tp_fp_fn("\n\n".join(d.reference), text_of(o))
                  for d, o in zip(docs, outs) if keep(d)]
        s = scorer.shingle_summary(counts)
        return s["f1"], s["precision"], s["recall"]

    sets = [s.strip() for s in args.sets.split(",") if s.strip()]
    if args.meta_only:
        sets = ["fundus-publishers"]
    for name in sets:
        docs = scorer.LOADERS[name](SHARED / "eval" / scorer.DATASET_DIRS[name])
        for d in docs:
            d.html = d.read_html()
        if args.meta_only:
            report_metadata(docs, run_generic(docs, language=False), args.misses)
            continue
        runs = {"trafilatura default": lambda: run_default(docs),
                "newscrawl generic": lambda: run_generic(docs, language=False),
                "  + language": lambda: run_generic(docs)}
        if name != "aeb":
            runs["newscrawl same-site"] = lambda: run_same_site(docs)
        results = timed(runs, args.passes)
        base_speed = len(docs) / results["trafilatura default"][1]
        held = sorted({d.publisher for d in docs if held_out(d.publisher)})
        n_held = sum(PARTS["held-out"](d) for d in docs)
        print(f"\n== {name}: {len(docs)} pages, {len(docs) - n_held} dev / {n_held} held-out "
              f"({len(held)} of {len({d.publisher for d in docs})} sites held out; "
              f"trafilatura {trafilatura.__version__})")
        header = "".join(f" | {part:^20s}" for part in PARTS)
        print(f"  {'':22s}{header} {'pages/s':>8s} {'speed':>6s}")
        print(f"  {'':22s}" + " | {:>6s} {:>6s} {:>6s}".format("F1", "P", "R") * len(PARTS))
        for label, (outs, seconds) in results.items():
            cells = "".join(" | {:6.3f} {:6.3f} {:6.3f}".format(*score(docs, outs, keep))
                            for keep in PARTS.values())
            speed = len(docs) / seconds
            print(f"  {label:22s}{cells} {speed:8.1f} {speed / base_speed:6.2f}")
            if args.save_dir:
                args.save_dir.mkdir(parents=True, exist_ok=True)
                path = args.save_dir / f"{name}-{label.strip(' +').replace(' ', '-')}.jsonl"
                with path.open("w", encoding="utf-8") as f:
                    for d, o in zip(docs, outs):
                        f.write(json.dumps({"id": d.id, "text": text_of(o)},
                                           ensure_ascii=False) + "\n")
        base = results["trafilatura default"][0]
        best_label = "newscrawl same-site" if "newscrawl same-site" in results else "newscrawl generic"
        best = results[best_label][0]
        margins = []
        for part, keep in PARTS.items():
            a, b = score(docs, base, keep), score(docs, best, keep)
            margins.append(f"{part} F1 {b[0] - a[0]:+.3f} P {b[1] - a[1]:+.3f}")
        print(f"  margin of {best_label} over trafilatura default: {'; '.join(margins)}")
        if name == "big9":
            foreign = {d.id for d in docs if reference_coverage(scorer, d) < MIN_REFERENCE_COVERAGE}
            if foreign:
                keep = lambda d: d.id not in foreign  # noqa: E731
                print(f"  without {len(foreign)} page(s) whose reference is another article's text "
                      f"({', '.join(sorted(foreign))}: < {MIN_REFERENCE_COVERAGE:.0%} of its "
                      f"4-grams are on the page), all pages:")
                for label, (outs, _) in results.items():
                    f1, p, r = score(docs, outs, keep)
                    print(f"  {label:22s} {f1:6.3f} {p:6.3f} {r:6.3f}")
            print("  per site F1 / P / R: trafilatura default | newscrawl same-site")
            for site in sorted({d.publisher for d in docs}):
                keep = lambda d, s=site: d.publisher == s  # noqa: E731
                a, b = score(docs, base, keep), score(docs, best, keep)
                print(f"    {site:14s} {a[0]:.3f} {a[1]:.3f} {a[2]:.3f} | {b[0]:.3f} {b[1]:.3f} "
                      f"{b[2]:.3f}{'  (held out)' if held_out(site) else ''}")
        if name == "fundus-publishers":
            languages = page_languages(docs)
            print("  per language F1, dev | held-out: trafilatura default / newscrawl generic / "
                  "same-site  (pages)")
            worse = []
            for lang, ids in sorted(languages.items(), key=lambda kv: -len(kv[1])):
                row = []
                for part, keep_part in list(PARTS.items())[1:]:
                    keep = lambda d, s=ids, k=keep_part: d.id in s and k(d)  # noqa: E731
                    n = sum(keep(d) for d in docs)
                    if not n:
                        row.append(f"{'-':>20s}")
                        continue
                    f = [score(docs, results[label][0], keep)[0]
                         for label in ("trafilatura default", "newscrawl generic",
                                       "newscrawl same-site")]
                    row.append(f"{f[0]:.3f} / {f[1]:.3f} / {f[2]:.3f} ({n})")
                    if min(f[1:]) < f[0]:
                        worse.append(f"{lang} {part}")
                print(f"    {lang:6s} {row[0]:>28s} | {row[1]:>28s}")
            print(f"  languages worse than trafilatura default: {', '.join(worse) or 'none'}")
            report_metadata(docs, results["newscrawl generic"][0], args.misses)
    return 0


def page_languages(docs) -> dict[str, set[str]]:
    """Page ids by language, from the set's languages.json (hand-corrected langdetect)."""
    scorer = sys.modules["extract_eval"]
    path = SHARED / "eval" / scorer.DATASET_DIRS["fundus-publishers"] / "languages.json"
    languages = json.loads(path.read_text())
    by_language: dict[str, set[str]] = defaultdict(set)
    for d in docs:
        by_language[(languages.get(d.id) or {}).get("language", "?")].add(d.id)
    return by_language


def report_metadata(docs, articles: list[Article | None], misses: int) -> None:
    """Title exact match, author F1 and publication day on fundus-publishers, newscrawl
    beside trafilatura, all / dev / held-out and per language."""
    meta_eval = sys.modules["meta_eval"]
    refs = {r["id"]: r for r in meta_eval.load(SHARED / "eval" / "fundus-publishers")}
    keep = [i for i, d in enumerate(docs) if d.id in refs]
    docs = [docs[i] for i in keep]
    mine = newscrawl_metadata([articles[i] for i in keep])
    theirs = trafilatura_metadata(docs)
    ref_list = [refs[d.id] for d in docs]
    print("  metadata (title exact / author F1 / day): trafilatura | newscrawl  (pages)")

    def scores(pick: Callable[[Any], bool]) -> tuple[dict, dict, dict, int]:
        idx = [i for i, d in enumerate(docs) if pick(d)]
        a, _ = metadata_scores([ref_list[i] for i in idx], [theirs[i] for i in idx])
        b, missed = metadata_scores([ref_list[i] for i in idx], [mine[i] for i in idx])
        return a, b, missed, len(idx)

    def cell(a: dict, b: dict, n: int) -> str:
        if not n:
            return f"{'-':^37s}"
        return (f"{a['title']:.2f} {a['authors']:.2f} {a['day']:.2f} | "
                f"{b['title']:.2f} {b['authors']:.2f} {b['day']:.2f} ({n:3d})")

    missed = {}
    for part, keep in PARTS.items():
        a, b, missed[part], n = scores(keep)
        print(f"    {part:9s} {a['title']:.3f} {a['authors']:.3f} {a['day']:.3f} | "
              f"{b['title']:.3f} {b['authors']:.3f} {b['day']:.3f}  ({n})")
    print(f"  per language: {'dev':^37s} || {'held-out':^37s}")
    for lang, ids in sorted(page_languages(docs).items(), key=lambda kv: -len(kv[1])):
        if len(ids) < 3:
            continue
        cells = []
        for part in ("dev", "held-out"):
            a, b, _, n = scores(lambda d, s=ids, k=PARTS[part]: d.id in s and k(d))
            cells.append(cell(a, b, n))
        print(f"    {lang:6s} {cells[0]} || {cells[1]}")
    # Figures without the misses that are the reference's (see the docstring), scored again
    # over the pages left (an author miss may score above 0).  The reference's choice of
    # headline is counted on every part by reference_choice(), from the page's own sources;
    # the hand-read REFERENCE_SLIPS are of the development part only (held-out misses are
    # not read), so the held-out figure leaves out only what the bench counts itself.
    html = {d.id: d.html for d in docs}
    print("  newscrawl without the reference's misses (title: its choice of headline, "
          "counted on every part; slips: dev only):")
    for part, keep in PARTS.items():
        _, b, found, _ = scores(keep)
        cells = []
        for k in ("title", "authors", "day"):
            theirs_ = {m[0] for m in found[k] if (k, m[0]) in REFERENCE_SLIPS or (
                k == "title" and reference_choice(html[m[0]], m[1], m[2]))}
            _, left, _, _ = scores(lambda d, t=theirs_, k_=keep: k_(d) and d.id not in t)
            cells.append(f"{k} {b[k]:.3f} -> {left[k]:.3f} "
                         f"({len(theirs_)} of {len(found[k])} misses theirs)")
        print(f"    {part:9s} " + ", ".join(cells))
    for field_name, found in missed["dev"].items():
        for doc_id, got, want in found[:misses]:
            print(f"    miss {field_name} {doc_id}: got {got!r} want {want!r}")


if __name__ == "__main__":
    sys.exit(main())
