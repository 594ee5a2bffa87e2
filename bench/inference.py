"""Profile inference on the six generated site shapes: requests, wall time, and how the
inferred profile's article pattern scores against the site's own list of stories, beside
the hand-written profile's score.  Then, as a check on real URLs the rules were not written
from: how many article URLs of ../shared/eval (big9-2017, article-extraction-benchmark) the
non-story URL rules reject (each one is a wrong rejection), and the byline each big9 site's
first four pages agree on, with the authors it gives (none is better than a wrong one).

    .venv/bin/python bench/inference.py [SHAPE ...]
"""

from __future__ import annotations

import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.infer import (MAX_REQUESTS, agreed_byline, infer_site, not_story_reason,  # noqa: E402
                           page_key)
from crawler.sites import Site, site_from_dict  # noqa: E402
from pipelines.dedup import canonical_url  # noqa: E402
from tests.fixture_shapes import SHAPES  # noqa: E402
from tests.server import serving_pages  # noqa: E402


def score(profile: Site, stories: set[str], others: set[str]) -> tuple[float, float]:
    taken = {k for k in stories | others if profile.is_article(k)}
    return len(taken & stories) / max(1, len(taken)), len(taken & stories) / len(stories)


def main(names: list[str]) -> None:
    print(f"{'shape':12} {'stories':>7} {'pages':>5} {'requests':>8} {'seconds':>7}  "
          f"{'inferred P / R':>14}  {'hand-written P / R':>18}")
    for name in names or sorted(SHAPES):
        site = SHAPES[name]()
        with serving_pages(site.pages) as server:
            site.set_base(server.base_url)
            base = server.base_url
            started = time.perf_counter()
            report = infer_site(base + site.start_path)
            seconds = time.perf_counter() - started
        key = lambda p: page_key(canonical_url(base + p))  # noqa: E731
        stories = {key(p) for p in site.articles}
        others = {key(p) for p in [*site.others, *site.listings]} - stories
        hand = site_from_dict(tomllib.loads(site.profile.format(base=base, host=base[7:])))
        p, r = score(report.site, stories, others)
        hp, hr = score(hand, stories, others)
        print(f"{name:12} {len(stories):7d} {len(site.pages):5d} {report.requests:4d}/{MAX_REQUESTS:<3d}"
              f" {seconds:7.2f}  {p:6.3f} / {r:5.3f}  {hp:10.3f} / {hr:5.3f}")


def real_urls() -> None:
    import json

    eval_dir = ROOT.parent / "shared" / "eval"
    if not eval_dir.is_dir():
        print(f"(no {eval_dir}: real-URL check skipped)")
        return
    urls = [json.loads(line)["url"] for line in open(eval_dir / "big9-2017" / "manifest.jsonl")]
    truth = json.loads((eval_dir / "article-extraction-benchmark" / "ground-truth.json").read_text())
    urls += [v["url"] for v in truth.values() if isinstance(v, dict) and v.get("url")]
    urls = sorted(set(urls))
    wrong = [(u, r) for u in urls if (r := not_story_reason(page_key(u)))]
    print(f"\nreal article URLs rejected as non-stories: {len(wrong)} of {len(urls)}")
    for url, reason in wrong:
        print(f"  {reason}: {url}")

    import gzip
    from collections import defaultdict

    pages = defaultdict(list)
    for line in open(eval_dir / "big9-2017" / "manifest.jsonl"):
        row = json.loads(line)
        pages[row["site"]].append(gzip.open(eval_dir / "big9-2017" / row["file"]).read())
    print("\nbylines agreed on by the first 4 pages of each big9-2017 site:")
    for site, bodies in sorted(pages.items()):
        xpath, authors = agreed_byline(bodies[:4])
        print(f"  {site:12} {', '.join(authors) if xpath else '(none)'}")


if __name__ == "__main__":
    main(sys.argv[1:])
    real_urls()
