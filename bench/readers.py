"""Does browsing slow a crawl down? Time the Store writing N articles alone and with readers.

Each reader is a separate process (as ``newscrawl browse`` is) running Datasette's client in a
loop: a search, a facetted table page and a canned query, as fast as it can (far busier than
people). On a machine with few cores the readers also take CPU from the writer: compare the
figures with ``nproc``.

    .venv/bin/python bench/readers.py [--articles 400] [--repeat 3]

Readers pausing 0.25 s between requests stand for people browsing; pause 0 is a flood.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import multiprocessing
import os
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.browse import make_datasette  # noqa: E402
from pipelines.store import Store  # noqa: E402
from tests.test_browse_during_crawl import article  # noqa: E402

PATHS = ("/{db}/articles.json?_search=summit&_size=20",
         "/{db}/articles?_facet=language", "/{db}/per_day.json")


def write(db: Path, n: int) -> float:
    start = time.perf_counter()
    store = Store(db, batch_size=20, timeout=5)
    for i in range(1, n):
        store.save(article(i), "bjreview")
    store.close()
    return time.perf_counter() - start


def read_until(db: Path, stop: Any, counts: Any, pause: float) -> None:
    async def loop() -> None:
        client = make_datasette(db).client
        while not stop.is_set():
            for path in PATHS:
                response = await client.get(path.format(db=db.stem))
                if response.status_code != 200:
                    raise SystemExit(f"{path}: HTTP {response.status_code}: {response.text[:300]}")
                with counts.get_lock():
                    counts.value += 1
                await asyncio.sleep(pause)
    asyncio.run(loop())


def once(n: int, readers: int, pause: float) -> tuple[float, int]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        seed = Store(db)
        seed.save(article(0), "bjreview")
        seed.close()
        ctx = multiprocessing.get_context("spawn")
        stop, counts = ctx.Event(), ctx.Value("i", 0)
        threads = [ctx.Process(target=read_until, args=(db, stop, counts, pause))
                   for _ in range(readers)]
        for t in threads:
            t.start()
        while readers and counts.value < 3 * readers:  # readers running before the writer
            time.sleep(0.05)
        seconds = write(db, n)
        stop.set()
        for t in threads:
            t.join()
        return seconds, counts.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"CPUs: {os.cpu_count()}")
    print(f"{'readers':>7} {'pause s':>7} {'write s (median)':>17} {'articles/s':>10} "
          f"{'reader requests':>15}")
    for readers, pause in ((0, 0.0), (1, 0.25), (2, 0.25), (1, 0.0), (2, 0.0)):
        runs = [once(args.articles, readers, pause) for _ in range(args.repeat)]
        seconds = statistics.median(s for s, _ in runs)
        requests = statistics.median(r for _, r in runs)
        print(f"{readers:>7} {pause:>7.2f} {seconds:>17.2f} {args.articles / seconds:>10.0f} "
              f"{requests:>15.0f}")


if __name__ == "__main__":
    main()
