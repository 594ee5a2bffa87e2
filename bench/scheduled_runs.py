"""Incremental run against a full one: 2,000 stored articles, then 20 new ones.

Serves a generated copy of the fixture site on 127.0.0.1, crawls it in full into a fresh
database, publishes 20 newer articles, and runs the scheduled (incremental) crawl on copies
of that database.  Prints requests and wall-clock time side by side, the ratios, and the
issue's targets: requests <= new articles + listing pages to the stop + 5, time < 5 %.

    .venv/bin/python bench/scheduled_runs.py [--articles 2000] [--new 20] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fixture_site import ARTICLES, FixtureArticle, build_site  # noqa: E402
from tests.server import serve  # noqa: E402

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", "-s", "LOG_LEVEL=WARNING"]
PER_PAGE = 20


def generate(n: int, seed: int = 0) -> list[FixtureArticle]:
    """``n`` distinct English articles, one a day going back from 2025-07-31 (newest first)."""
    rng = random.Random(seed)
    words = sorted({w for a in ARTICLES if a.lang == "en" for p in a.paragraphs
                    for w in re.findall(r"[A-Za-z]{3,}", p)})
    template = ARTICLES[0]

    def sentence() -> str:
        s = " ".join(rng.choice(words) for _ in range(rng.randint(10, 18)))
        return s[0].upper() + s[1:] + "."

    articles = []
    for i in range(n):
        day = date(2025, 7, 31) - timedelta(days=i // 3)
        paragraphs = [" ".join(sentence() for _ in range(4)) for _ in range(6)]
        articles.append(replace(
            template, id=str(900_000_000 + n - i), date=day.isoformat(),
            title=f"{sentence()[:-1][:70]} ({i})", paragraphs=paragraphs, captions=[],
            subheads=(), photo_slots=(), url_path="", print_title=None))
    return articles


def run(base_url: str, db: Path, site_file: Path) -> tuple[float, dict]:
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "crawl", "--start-url", f"{base_url}/World/",
         "--db", str(db), "--site-file", str(site_file), *FAST],
        cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        sys.exit(f"crawl failed ({result.returncode}):\n{result.stderr[-3000:]}")
    conn = sqlite3.connect(db)
    stats = json.loads(conn.execute("select stats from runs order by id desc limit 1")
                       .fetchone()[0])
    conn.close()
    return elapsed, stats


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--new", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3, help="incremental runs (median)")
    args = parser.parse_args()

    everything = generate(args.articles + args.new)
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        site, site_file = tmp_path / "site", tmp_path / "site.toml"
        site_file.write_text('extends = "bjreview"\nmax_pages = 1000\n')
        build_site(site, everything[args.new:], per_page=PER_PAGE)
        server, base_url = serve(site)
        try:
            full_db = tmp_path / "full.db"
            full_time, full = run(base_url, full_db, site_file)
            build_site(site, everything, per_page=PER_PAGE)  # 20 newer articles published
            runs = []
            for i in range(args.repeat):
                db = tmp_path / f"incremental-{i}.db"
                shutil.copy(full_db, db)
                runs.append(run(base_url, db, site_file))
        finally:
            server.shutdown()

    inc_time = statistics.median(t for t, _ in runs)
    inc = runs[0][1]
    listing = inc["newscrawl/pages/listing"]
    budget = args.new + listing + 5
    rows = [
        ("wall time (s)", f"{full_time:.2f}", f"{inc_time:.2f}", f"{inc_time / full_time:.1%}"),
        ("requests", full["downloader/request_count"], inc["downloader/request_count"],
         f"{inc['downloader/request_count'] / full['downloader/request_count']:.1%}"),
        ("crawl time (s)", f"{full['elapsed_time_seconds']:.2f}",
         f"{statistics.median(r['elapsed_time_seconds'] for _, r in runs):.2f}",
         f"{statistics.median(r['elapsed_time_seconds'] for _, r in runs) / full['elapsed_time_seconds']:.1%}"),
        ("listing pages", full["newscrawl/pages/listing"], listing, ""),
        ("article pages", full["newscrawl/pages/article"], inc["newscrawl/pages/article"], ""),
        ("articles new", full.get("newscrawl/articles/new", 0),
         inc.get("newscrawl/articles/new", 0), ""),
    ]
    print(f"{args.articles} stored articles, {args.new} new, {PER_PAGE} per listing page; "
          f"incremental: median of {args.repeat} runs, each on a copy of the full run's database")
    print(f"{'':16}{'full run':>12}{'incremental':>14}{'ratio':>9}")
    for name, a, b, ratio in rows:
        print(f"{name:16}{a!s:>12}{b!s:>14}{ratio:>9}")
    print("incremental wall times (s): " + ", ".join(f"{t:.2f}" for t, _ in runs))
    print("wall time is the whole `newscrawl crawl` process (imports, start-up, shutdown); "
          "crawl time is Scrapy's elapsed_time_seconds, engine open to close")
    ok_requests = inc["downloader/request_count"] <= budget
    ok_time = inc_time < 0.05 * full_time
    print(f"target requests <= new + listing pages to the stop + 5 = {budget}: "
          f"{'met' if ok_requests else 'MISSED'}")
    print(f"target time < 5% of the full run: {'met' if ok_time else 'MISSED'}")
    return 0 if ok_requests and ok_time else 1


if __name__ == "__main__":
    raise SystemExit(main())
