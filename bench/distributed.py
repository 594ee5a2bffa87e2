"""Distributed crawling on this machine: crawl rate with 1, 2 and 3 workers, and the ingest.

Serves a generated copy of the fixture site on 127.0.0.1 (``--real``: real article pages from
../shared/eval under a World-section layout, bench/crawl.py's site), starts a private
redis-server (password, no persistence), and for 1, 2 and 3 workers crawls the whole site
into the item queue (no ingest running, so the workers' rate is measured alone): pages
queued per second between the first and the last page queued.  The machine's cores are
shared by its workers (NEWSCRAWL_EXTRACT_WORKERS = cores / workers), as one would run them.  Then the ingest's own capacity: a queue
pre-filled with ``--ingest-rows`` distinct stories (the crawled pages, each copy given its
own URL and a body of its own words, so every one is a new row with its page, full-text
index and de-duplication lookups), drained into a fresh database, rows per second.
Each of ``--repeat`` rounds does both, side by side, and the figures are medians; the
ingest's CPU milliseconds per row compare versions whatever the machine's load.

    .venv/bin/python bench/distributed.py [--real] [--articles 300] [--ingest-rows 3000]
        [--workers 1 2 3] [--repeat 3]

On a 2-core machine the cores are the limit: more workers cannot crawl faster, the point is
that they are not slower together than one alone.  The ingest should beat one worker's rate
by 20x or more, so one database serves many machines.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scheduled_runs import PER_PAGE, generate  # noqa: E402
from tests import redis_server  # noqa: E402
from tests.fixture_site import build_site  # noqa: E402
from tests.server import serve  # noqa: E402

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "LOG_LEVEL=WARNING",
        "-s", "NEWSCRAWL_REDIS_HEARTBEAT=0.5"]
PASSWORD = "bench-redis-password-91f3"


def start_redis(folder: Path) -> tuple[subprocess.Popen, str]:
    binary = shutil.which("redis-server")
    if binary is None:
        sys.exit("redis-server is not installed: apt-get install -y redis-server")
    return redis_server.start_redis(binary, folder, PASSWORD)


def crawl(n_workers: int, start_url: str, site_file: Path, site: str, redis_url: str, client,
          expected: int, logs: Path) -> dict:
    client.flushall()
    env = {**os.environ, "NEWSCRAWL_REDIS_URL": redis_url}
    # The machine's cores are shared among its workers: one extraction process per core.
    cores = max(1, (os.cpu_count() or 2) // n_workers)
    args = [sys.executable, "-m", "crawler.cli", "crawl", "--site-file", str(site_file),
            "--start-url", start_url, *FAST, "-s", f"NEWSCRAWL_EXTRACT_WORKERS={cores}",
            "--idle-exit", "2", "-q"]
    started = time.perf_counter()
    procs = [subprocess.Popen([*args, "--seed"], cwd=ROOT, env=env, start_new_session=True,
                              stdout=open(logs / f"{n_workers}-1.out", "w"),
                              stderr=subprocess.STDOUT)]
    time.sleep(0.5)
    procs += [subprocess.Popen(args, cwd=ROOT, env=env, start_new_session=True,
                               stdout=open(logs / f"{n_workers}-{i}.out", "w"),
                               stderr=subprocess.STDOUT) for i in range(2, n_workers + 1)]
    first = last = None
    seen = 0
    while any(p.poll() is None for p in procs):
        n = client.llen("newscrawl:items")
        now = time.perf_counter()
        if n and first is None:
            first = now
        if n > seen:
            seen, last = n, now
        time.sleep(0.05)
    wall = time.perf_counter() - started
    if any(p.returncode for p in procs):
        sys.exit(f"a worker failed: see {logs}")
    counts = [json.loads(v) for v in client.hgetall(
        f"newscrawl:{site}:runstats:{client.get(f'newscrawl:{site}:run').decode()}").values()]
    per_worker = [c.get("newscrawl/redis/queued_pages", 0) for c in counts]
    return {"workers": n_workers, "extract": cores, "queued": seen, "expected": expected, "wall": wall,
            "rate": (seen - 1) / (last - first) if first and last and last > first else 0.0,
            "per_worker": per_worker}


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def prefill(client, rows: int) -> int:
    """``rows`` distinct new stories on the item queue, cloned from the crawled pages."""
    from pipelines import wire
    from pipelines.dedup import content_hash, simhash

    raws = [r for r in client.lrange("newscrawl:items", 0, -1)]
    pages = [p for p in map(wire.load_page, raws) if p.kind == "page" and p.article]
    vocabulary = sorted({w for p in pages for w in p.article.text.split()})
    client.delete("newscrawl:items")
    pipe = client.pipeline(transaction=False)
    for i in range(rows):
        page = pages[i % len(pages)]
        article = page.article
        url = f"{article.url.removesuffix('.html')}-copy{i}.html"
        # A body of its own (words of the site drawn at random, paragraphs as long as the
        # original's), so no copy is a duplicate of another.
        # Each from a vocabulary of its own: bodies drawn from one common word list would
        # all get similar simhashes, unlike distinct stories.
        rng = random.Random(i)
        words = rng.sample(vocabulary, min(len(vocabulary), 150))
        text = "\n".join(" ".join(rng.choice(words) for _ in paragraph.split())
                         for paragraph in article.text.splitlines())
        clone = wire.Page(
            id=f"bench:{i}", kind="page", site=page.site, run=page.run,
            item={**page.item, "url": url, "final_url": url, "fetched_url": url,
                  "redirects": []},
            article=type(article)(**{**article.to_dict(), "url": url, "page_url": url,
                                     "text": text, "content_hash": content_hash(text),
                                     "simhash": simhash(text)}),
            raw_gzip=page.raw_gzip, template_version=page.template_version,
            page_print=page.page_print, body_print=page.body_print)
        pipe.lpush("newscrawl:items", wire.dump_page(clone))
        if i % 500 == 499:
            pipe.execute()
    pipe.execute()
    return rows


def ingest_rate(client, redis_url: str, db: Path, rows: int) -> tuple[float, float, float]:
    """Rows per second draining a pre-filled queue (the ingest in this process), the
    seconds it took and its CPU milliseconds per row (this process: the ingest's threads)."""
    from crawler.cli import project_settings
    from crawler.distributed import connect
    from crawler.ingest import Ingest

    import threading

    job = Ingest(connect(redis_url), str(db), project_settings(), until_idle=0.5)
    done: list[float] = []

    def watch() -> None:
        while client.llen("newscrawl:items") or client.llen("newscrawl:items:processing"):
            time.sleep(0.02)
        done.append(time.perf_counter())

    cpu = _own_cpu()
    started = time.perf_counter()
    thread = threading.Thread(target=watch)
    thread.start()
    job.run()
    thread.join()
    cpu = _own_cpu() - cpu
    stored = job.counts.get("newscrawl/articles/new", 0)
    if stored < rows:
        sys.exit(f"the ingest stored {stored} of {rows} rows: {dict(job.counts)}")
    return rows / (done[0] - started), done[0] - started, 1000 * cpu / rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=300)
    parser.add_argument("--ingest-rows", type=int, default=3000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--repeat", type=int, default=3,
                        help="rounds (crawls and an ingest each); the figures are medians")
    parser.add_argument("--real", action="store_true",
                        help="real article pages from ../shared/eval (bench/crawl.py's site) "
                             "instead of the generated fixture site")
    args = parser.parse_args()
    import redis

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        site, site_file = tmp_path / "site", tmp_path / "site.toml"
        if args.real:
            import crawl as datapath  # bench/crawl.py

            datapath.build_site(site, args.articles, datapath.eval_pages())
            site_file.write_text(datapath.PROFILE)
            name, section = "benchworld", "/world/"
        else:
            site_file.write_text('extends = "bjreview"\nname = "bench"\nmax_pages = 1000\n')
            build_site(site, generate(args.articles), per_page=PER_PAGE)
            name, section = "bench", "/World/"
        server, base_url = serve(site)
        (tmp_path / "redis").mkdir()
        (tmp_path / "logs").mkdir()
        redis_proc, redis_url = start_redis(tmp_path / "redis")
        client = redis.Redis.from_url(redis_url)
        try:
            # Side by side: each round crawls with every worker count, then drains a queue
            # cloned from that round's pages, so the machine's load weighs on both alike.
            rounds, ingests = [], []
            for i in range(args.repeat):
                rounds.append([crawl(n, base_url + section, site_file, name, redis_url,
                                     client, args.articles, tmp_path / "logs")
                               for n in args.workers])
                rows = prefill(client, args.ingest_rows)
                ingests.append(ingest_rate(client, redis_url, tmp_path / f"ingest{i}.db",
                                           rows))
        finally:
            server.shutdown()
            redis_proc.send_signal(signal.SIGTERM)
            redis_proc.wait(10)

    median = statistics.median
    results = []
    for k, n in enumerate(args.workers):
        runs = [r[k] for r in rounds]
        results.append({**runs[0], "rate": median(r["rate"] for r in runs),
                        "wall": median(r["wall"] for r in runs)})
    alone = results[0]["rate"]
    rate = median(i[0] for i in ingests)
    seconds = median(i[1] for i in ingests)
    ingest_cpu = median(i[2] for i in ingests)
    ratios = [i[0] / r[0]["rate"] for i, r in zip(ingests, rounds) if r[0]["rate"]]
    kind = "real pages (../shared/eval)" if args.real else "generated fixture pages"
    print(f"{args.articles} {kind}, 20 per listing page, on 127.0.0.1, {os.cpu_count()} cores "
          f"shared by the workers (one extraction process per core in all); medians of "
          f"{args.repeat}")
    print(f"{'workers':>8}{'extract':>8}{'pages queued':>14}{'pages/s':>10}{'vs 1':>7}"
          f"{'wall s':>8}   pages per worker (last round)")
    for r in results:
        print(f"{r['workers']:>8}{r['extract']:>8}{r['queued']:>14}{r['rate']:>10.1f}"
              f"{r['rate'] / alone if alone else 0:>7.2f}{r['wall']:>8.1f}"
              f"   {', '.join(map(str, r['per_worker']))}")
    print(f"ingest: {rows} new rows from a pre-filled queue in {seconds:.1f} s: {rate:.0f} "
          f"rows/s, {ingest_cpu:.2f} CPU ms/row")
    ratio = median(ratios) if ratios else 0.0
    print(f"ingest vs one worker, each round: {', '.join(f'{x:.1f}x' for x in ratios)}; "
          f"median {ratio:.1f}x")
    not_slower = all(r["rate"] >= 0.9 * alone for r in results)
    print(f"target: workers together not slower than one alone (within 10 %): "
          f"{'met' if not_slower else 'MISSED'}")
    print(f"target: ingest >= 20x one worker (median of the rounds' ratios): "
          f"{'met' if ratio >= 20 else 'MISSED'}")
    return 0 if not_slower and ratio >= 20 else 1


if __name__ == "__main__":
    raise SystemExit(main())
