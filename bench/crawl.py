#!/usr/bin/env python3
"""The crawl's data path against its limits, side by side in one run (medians of --repeat).

Serves N real article pages (from ../shared/eval: the article-extraction-benchmark, big9 and
fundus-publishers pages, each copy made distinct by shuffling the words of its long text
runs, so copies are different stories with the same template) under a World-section layout
on 127.0.0.1: listing pages of 20 links, newest first, and robots.txt.  Then measures:

  crawl            `newscrawl crawl` with the real settings, politeness delays off
                   (32 concurrent requests), into a fresh database: pages stored per second
  limit trafil.    trafilatura's bare_extraction over the same pages, one process per core
  limit ours       newscrawl's own per-page work (process_page: extraction with the learned
                   template, language, hashes, fingerprints, links, gzip), same kind of pool
  naive scrapy     one Scrapy process whose item pipeline extracts (trafilatura), detects the
                   language (langdetect) and inserts one row per process_item
  trafilatura cli  `trafilatura -i urls.txt --parallel 32` fetching the same URLs

Times exclude interpreter start-up for every row (the crawl's own elapsed time; the pools'
time from creating the pool to the last result).  Also: CPU seconds per article and peak RSS
of all processes at several sizes (--scaling), reactor lag and write-lock hold p99 from the
crawl's stats, a `newscrawl extract --db` of 20 pages started during a crawl of the same
database, and the one-off `newscrawl extract page.html` beside trafilatura's CLI.

Usage (from the project root):  .venv/bin/python bench/crawl.py [--pages 1000] [--repeat 3]
    [--scaling 500,2000,8000] [--skip naive,cli]
Needs ../shared/eval; says so and exits 0 when it is absent.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PY = sys.executable
NEWSCRAWL = [PY, "-m", "crawler.cli"]
PER_LISTING = 20
WORKERS = os.cpu_count() or 2
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "CONCURRENT_REQUESTS=32", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=32",
        "-s", "CLOSESPIDER_PAGECOUNT=0", "-s", "LOG_LEVEL=WARNING",
        "-s", f"NEWSCRAWL_EXTRACT_WORKERS={WORKERS}"]
PROFILE = """name = "benchworld"
start_urls = ["http://bench.invalid/world/"]
hosts = ["bench.invalid"]
article_pattern = '^/world/a/\\d+\\.html$'
listing_pattern = '^/world/(?:index(?:_(\\d+))?\\.html)?$'
max_pages = 100000
stop_after_known = 1000000
"""
LONG_RUN = re.compile(r">([^<>]{80,})<")
SCRIPTS = re.compile(r"(<(script|style)\b.*?</\2\s*>)", re.S | re.I)


# -- the site -----------------------------------------------------------------------------
def eval_pages() -> list[str]:
    import importlib.util

    spec = importlib.util.spec_from_file_location("extract_eval",
                                                  SHARED / "tools" / "extract_eval.py")
    scorer = importlib.util.module_from_spec(spec)
    sys.modules["extract_eval"] = scorer
    spec.loader.exec_module(scorer)
    pages = []
    for name in ("aeb", "big9", "fundus-publishers"):
        for doc in scorer.LOADERS[name](SHARED / "eval" / scorer.DATASET_DIRS[name]):
            pages.append(doc.read_html())
    return pages


def distinct_copy(html: str, copy: int) -> str:
    """Copy ``copy`` of a page: the words of each long text run shuffled (copy 0 is the
    page itself), outside scripts and styles, so bodies differ and templates stay."""
    if copy == 0:
        return html
    rng = random.Random(copy)

    def shuffle(m: re.Match) -> str:
        words = m.group(1).split(" ")
        rng.shuffle(words)
        return ">" + " ".join(words) + "<"

    parts = SCRIPTS.split(html)
    out = []
    i = 0
    while i < len(parts):
        out.append(LONG_RUN.sub(shuffle, parts[i]))
        if i + 1 < len(parts):
            out.append(parts[i + 1])  # the script or style block, untouched
        i += 3
    return "".join(out)


def build_site(root: Path, n: int, pages: list[str]) -> None:
    (root / "world" / "a").mkdir(parents=True, exist_ok=True)
    for i in range(n):
        html = distinct_copy(pages[i % len(pages)], i // len(pages))
        (root / "world" / "a" / f"{i}.html").write_text(html, encoding="utf-8")
    order = list(range(n - 1, -1, -1))  # newest first
    listings = [order[j:j + PER_LISTING] for j in range(0, n, PER_LISTING)]
    for p, ids in enumerate(listings):
        name = "index.html" if p == 0 else f"index_{p}.html"
        links = "".join(f'<li><a href="/world/a/{i}.html">Story {i}</a></li>' for i in ids)
        nxt = f'<a class="next" href="/world/index_{p + 1}.html">Next</a>' \
            if p + 1 < len(listings) else ""
        (root / "world" / name).write_text(
            f"<html><head><title>World</title></head><body><h1>World</h1><ul>{links}</ul>"
            f"{nxt}</body></html>", encoding="utf-8")
    (root / "robots.txt").write_text("User-agent: *\nAllow: /\n")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """tests.server in a process of its own (its CPU is not the crawl's)."""

    def __init__(self, root: Path) -> None:
        self.port = free_port()
        self.proc = subprocess.Popen([PY, "-m", "tests.server", str(root), "--port",
                                      str(self.port)], cwd=ROOT, stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.1).close()
                break
            except OSError:
                time.sleep(0.05)
        self.url = f"http://127.0.0.1:{self.port}/world/"

    def close(self) -> None:
        self.proc.terminate()
        self.proc.wait()


# -- measuring a process tree ----------------------------------------------------------------
PAGE = os.sysconf("SC_PAGE_SIZE")
TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, float, int] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK, int(fields[21]) * PAGE


class TreeSampler(threading.Thread):
    """Peak RSS (sum over the process tree) and CPU seconds (sum of each process's last
    reading) of a process and all its descendants, sampled every 50 ms."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.root = pid
        self.peak_rss = 0
        self.cpu: dict[int, float] = {}
        self.done = threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.is_set():
            stats = {}
            for entry in os.listdir("/proc"):
                if entry.isdigit():
                    s = _stat(int(entry))
                    if s is not None:
                        stats[int(entry)] = s
            tree, grew = {self.root}, True
            while grew:
                grew = False
                for pid, (ppid, _cpu, _rss) in stats.items():
                    if ppid in tree and pid not in tree:
                        tree.add(pid)
                        grew = True
            self.peak_rss = max(self.peak_rss, sum(stats[p][2] for p in tree if p in stats))
            for pid in tree:
                if pid in stats:
                    self.cpu[pid] = stats[pid][1]
            time.sleep(0.05)

    def stop(self) -> tuple[float, int]:
        self.done.set()
        self.join()
        return sum(self.cpu.values()), self.peak_rss

    def own_cpu(self) -> float:
        """CPU seconds of the root process alone (the crawl process, without its workers)."""
        return self.cpu.get(self.root, 0.0)


def run_measured(cmd: list[str], **kwargs) -> tuple[subprocess.CompletedProcess, float, float, int]:
    """Run ``cmd``; (result, wall seconds, CPU seconds of the tree, peak tree RSS)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **kwargs)
    sampler = TreeSampler(proc.pid)
    out, err = proc.communicate()
    wall = time.perf_counter() - start
    cpu, rss = sampler.stop()
    run_measured.own_cpu = sampler.own_cpu()  # the root's share, for the crawl's split
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err), wall, cpu, rss


# -- the variants ------------------------------------------------------------------------------
def crawl(server: Server, profile: Path, db: Path, extra: list[str] = ()) -> dict:
    result, wall, cpu, rss = run_measured(
        [*NEWSCRAWL, "crawl", "--site-file", str(profile), "--start-url", server.url,
         "--db", str(db), "--full", *FAST, *extra])
    if result.returncode != 0:
        raise SystemExit(f"crawl failed ({result.returncode}):\n{result.stderr[-3000:]}")
    conn = sqlite3.connect(db)
    stored = conn.execute("select count(*) from articles").fetchone()[0]
    stats = json.loads(conn.execute("select stats from runs order by id desc limit 1")
                       .fetchone()[0])
    conn.close()
    elapsed = float(stats.get("elapsed_time_seconds") or wall)
    return {"stored": stored, "seconds": elapsed, "rate": stored / elapsed, "wall": wall,
            "cpu": cpu, "cpu_parent": run_measured.own_cpu, "rss": rss, "stats": stats}


POOL_SCRIPT = r"""
import json, sys, time
sys.path.insert(0, sys.argv[1])
from concurrent.futures import ProcessPoolExecutor
import multiprocessing
kind, root, n, workers = sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
paths = [f"{root}/world/a/{i}.html" for i in range(n)]

def trafilatura_page(path):
    import trafilatura
    doc = trafilatura.bare_extraction(open(path, "rb").read().decode("utf-8"))
    return 0 if doc is None else len(doc.text or "")

def ours_page(args):
    path, rules = args
    from pipelines.extract import process_page
    result = process_page(open(path, "rb").read(), "http://bench.invalid/" + path[len(root):],
                          None, template=rules)
    return 0 if result.article is None else len(result.article.text)

if __name__ == "__main__":
    rules = None
    if kind == "ours":
        from pipelines import template
        from pipelines.extract import learn_page
        from pipelines.worker import warm_up
        warm_up()
        learned = template.Template()
        for path in paths[:200]:  # what a crawl has learned after its first pages
            template.merge(learned, learn_page(open(path, "rb").read()))
        rules = learned.rules()
    else:
        import trafilatura
    start = time.perf_counter()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        if kind == "ours":
            out = list(pool.map(ours_page, [(p, rules) for p in paths], chunksize=4))
        else:
            out = list(pool.map(trafilatura_page, paths, chunksize=4))
    import resource
    used = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, joined above
    print(json.dumps({"seconds": time.perf_counter() - start, "pages": sum(1 for x in out if x),
                      "worker_cpu": used.ru_utime + used.ru_stime}))
"""


def pool_limit(kind: str, site: Path, n: int) -> dict:
    result, wall, cpu, rss = run_measured([PY, "-c", POOL_SCRIPT, str(ROOT), kind, str(site),
                                           str(n), str(WORKERS)])
    if result.returncode != 0:
        raise SystemExit(f"{kind} pool failed:\n{result.stderr[-3000:]}")
    data = json.loads(result.stdout.strip().splitlines()[-1])
    return {"seconds": data["seconds"], "rate": n / data["seconds"], "cpu": cpu, "rss": rss,
            "extracted": data["pages"], "worker_cpu": data["worker_cpu"]}


NAIVE_SCRIPT = r"""
import sqlite3, sys, time
import scrapy
from scrapy.crawler import CrawlerProcess
url, db, n = sys.argv[1], sys.argv[2], int(sys.argv[3])

class NaivePipeline:
    def open_spider(self, spider=None):
        self.conn = sqlite3.connect(db)
        self.conn.execute("create table if not exists articles (url text unique, title text, "
                          "text text, language text)")
    def process_item(self, item, spider=None):
        import trafilatura
        from langdetect import DetectorFactory, detect
        DetectorFactory.seed = 0
        doc = trafilatura.bare_extraction(item["html"], url=item["url"])
        if doc is None or not doc.text:
            return item
        try:
            language = detect(doc.text)
        except Exception:
            language = None
        self.conn.execute("insert or ignore into articles values (?, ?, ?, ?)",
                          (item["url"], doc.title, doc.text, language))
        self.conn.commit()
        return item
    def close_spider(self, spider=None):
        self.conn.close()

class Naive(scrapy.Spider):
    name = "naive"
    start_urls = [url]
    def parse(self, response):
        for href in response.xpath("//a/@href").getall():
            if "/world/a/" in href:
                yield response.follow(href, self.parse_article)
            elif "/world/index_" in href:
                yield response.follow(href, self.parse)
    def parse_article(self, response):
        yield {"url": response.url, "html": response.text}

start = time.time()
process = CrawlerProcess({"ITEM_PIPELINES": {"__main__.NaivePipeline": 300}, "LOG_LEVEL": "WARNING",
                          "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32,
                          "DOWNLOAD_DELAY": 0, "ROBOTSTXT_OBEY": True, "TELNETCONSOLE_ENABLED": False})
crawler = process.create_crawler(Naive)
process.crawl(crawler)
process.start()
print(crawler.stats.get_value("elapsed_time_seconds"))
"""


def naive(server: Server, db: Path, n: int) -> dict:
    script = db.with_suffix(".py")  # Scrapy reads its callbacks' source: a file, not -c
    script.write_text(NAIVE_SCRIPT)
    result, wall, cpu, rss = run_measured([PY, str(script), server.url, str(db), str(n)])
    if result.returncode != 0:
        raise SystemExit(f"naive crawl failed:\n{result.stderr[-3000:]}")
    seconds = float(result.stdout.strip().splitlines()[-1])
    stored = sqlite3.connect(db).execute("select count(*) from articles").fetchone()[0]
    return {"seconds": seconds, "rate": stored / seconds, "stored": stored, "cpu": cpu, "rss": rss}


def trafilatura_cli(server: Server, n: int, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    urls = work / "urls.txt"
    base = server.url.rsplit("/world/", 1)[0]
    urls.write_text("".join(f"{base}/world/a/{i}.html\n" for i in range(n)))
    out = work / "trafilatura-out"
    # Its defaults are polite and safe (5 s between requests to a host, loopback refused):
    # politeness off, as for the crawl, and loopback allowed.
    import trafilatura

    config = (Path(trafilatura.__file__).parent / "settings.cfg").read_text()
    config = re.sub(r"(?m)^SLEEP_TIME = .*$", "SLEEP_TIME = 0", config)
    config = re.sub(r"(?m)^SSRF_PROTECTION = .*$", "SSRF_PROTECTION = off", config)
    (work / "trafilatura.cfg").write_text(config)
    result, wall, cpu, rss = run_measured([str(Path(PY).parent / "trafilatura"), "-i", str(urls),
                                           "--parallel", "32", "-o", str(out),
                                           "--config-file", str(work / "trafilatura.cfg")])
    done = len(list(out.glob("*"))) if out.is_dir() else 0
    return {"seconds": wall, "rate": done / wall, "stored": done, "cpu": cpu, "rss": rss,
            "rc": result.returncode}


def concurrent_extract(server: Server, profile: Path, db: Path, site: Path, n: int) -> dict:
    """A crawl with a one-off `extract --db` of 20 saved pages started a third of the way in."""
    box: dict = {}

    def one_off() -> None:
        time.sleep(max(1.0, box["delay"]))
        pages = [str(site / "world" / "a" / f"{i}.html") for i in range(20)]
        started = time.perf_counter()
        result = subprocess.run([*NEWSCRAWL, "extract", "--db", str(db), "--url",
                                 "http://bench.invalid/one-off.html", *pages],
                                cwd=ROOT, capture_output=True, text=True)
        box.update(rc=result.returncode, seconds=time.perf_counter() - started,
                   traceback="Traceback" in result.stderr, stderr=result.stderr[-500:])

    box["delay"] = box_delay = n / 120  # about a third of the way into a ~40 pages/s crawl
    thread = threading.Thread(target=one_off)
    thread.start()
    measured = crawl(server, profile, db)
    thread.join()
    measured.update(extract=box, delay=box_delay)
    return measured


def one_off(repeat: int) -> dict:
    page = next(iter(sorted((SHARED / "eval" / "big9-2017" / "html").glob("*.html.gz"))))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "page.html"
        path.write_bytes(gzip.decompress(page.read_bytes()))
        ours, theirs = [], []
        for _ in range(repeat):
            r, wall, _cpu, rss = run_measured([*NEWSCRAWL, "extract", str(path)])
            assert r.returncode == 0, r.stderr
            ours.append((wall, rss))
            with path.open("rb") as stdin:
                r, wall, _cpu, rss = run_measured([str(Path(PY).parent / "trafilatura")],
                                                  stdin=stdin)
            theirs.append((wall, rss))
    med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
    return {"ours_wall": med(ours, 0), "ours_rss": med(ours, 1), "traf_wall": med(theirs, 0),
            "traf_rss": med(theirs, 1)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--scaling", default="500,2000,8000",
                        help="sizes for CPU/article and peak RSS ('' to skip)")
    parser.add_argument("--skip", default="", help="comma list of: naive,cli,concurrent,oneoff")
    args = parser.parse_args()
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}
    if not (SHARED / "eval").is_dir():
        print(f"{SHARED / 'eval'} is not here: no real pages to serve (nothing measured).")
        return 0
    sizes = sorted({args.pages, *[int(s) for s in args.scaling.split(",") if s.strip()]})
    pages = eval_pages()
    print(f"{len(pages)} distinct eval pages; copies made distinct by shuffling long runs; "
          f"{WORKERS} workers (cores); medians of {args.repeat}")
    with tempfile.TemporaryDirectory(prefix="bench-crawl-") as tmp:
        work = Path(tmp)
        site = work / "site"
        build_site(site, max(sizes), pages)
        profile = work / "bench.toml"
        profile.write_text(PROFILE)
        rows: dict[str, list[dict]] = {}
        n = args.pages
        # The main table serves exactly n pages: a site of its own.
        main_site = work / f"site{n}"
        build_site(main_site, n, pages)
        server = Server(main_site)
        try:
            for r in range(args.repeat):  # alternate, so machine noise hits all alike
                rows.setdefault("crawl", []).append(crawl(server, profile, work / f"c{r}.db"))
                rows.setdefault("limit trafilatura", []).append(pool_limit("trafilatura", main_site, n))
                rows.setdefault("limit ours", []).append(pool_limit("ours", main_site, n))
                if "naive" not in skip:
                    rows.setdefault("naive scrapy", []).append(naive(server, work / f"n{r}.db", n))
                if "cli" not in skip:
                    rows.setdefault("trafilatura cli", []).append(
                        trafilatura_cli(server, n, work / f"t{r}"))
                if "concurrent" not in skip:
                    rows.setdefault("crawl + extract --db", []).append(
                        concurrent_extract(server, profile, work / f"x{r}.db", main_site, n))
                print(f"  pass {r + 1}: " + ", ".join(f"{k} {v[-1]['rate']:.1f}/s"
                                                      for k, v in rows.items()), flush=True)
        finally:
            server.close()
        med = {name: statistics.median(x["rate"] for x in xs) for name, xs in rows.items()}
        base = med["crawl"]
        print(f"\n== {n} pages: pages per second (medians of {args.repeat}), ratio crawl / row")
        print(f"  {'':24s} {'pages/s':>8s} {'crawl ÷ row':>11s}")
        for name, rate in med.items():
            print(f"  {name:24s} {rate:8.1f} {base / rate:11.2f}")
        # Where the CPU goes per page: the crawl process itself (Scrapy, the writer, learning)
        # and its workers, beside the pools' workers doing the same per-page work alone.
        crawl_cpu = [(c["cpu_parent"] / n, (c["cpu"] - c["cpu_parent"]) / n) for c in rows["crawl"]]
        pools = {k: statistics.median(x["worker_cpu"] / n for x in rows[k])
                 for k in ("limit trafilatura", "limit ours")}
        print(f"  CPU ms per page (medians): crawl process "
              f"{statistics.median(p for p, _ in crawl_cpu) * 1000:.0f} + its workers "
              f"{statistics.median(w for _, w in crawl_cpu) * 1000:.0f}; pool workers: ours "
              f"{pools['limit ours'] * 1000:.0f}, trafilatura {pools['limit trafilatura'] * 1000:.0f}")
        crawls = rows["crawl"]
        stats = [c["stats"] for c in crawls]
        print("\n  crawl stats (medians): reactor lag p99 "
              f"{statistics.median(s.get('newscrawl/reactor/lag_p99_ms', 0) for s in stats):.1f} ms,"
              f" max {statistics.median(s.get('newscrawl/reactor/lag_max_ms', 0) for s in stats):.1f}"
              " ms; write-lock hold p99 "
              f"{statistics.median(s.get('newscrawl/store/lock_hold_p99_ms', 0) for s in stats):.1f}"
              f" ms, max {statistics.median(s.get('newscrawl/store/lock_hold_max_ms', 0) for s in stats):.1f}"
              f" ms over {statistics.median(s.get('newscrawl/store/commits', 0) for s in stats):.0f}"
              " commits; stored "
              f"{statistics.median(c['stored'] for c in crawls):.0f} of {n}")
        if "crawl + extract --db" in rows:
            xs = rows["crawl + extract --db"]
            ok = all(x["extract"].get("rc") == 0 and not x["extract"].get("traceback") for x in xs)
            slow = base / med["crawl + extract --db"]
            print(f"  extract --db of 20 pages during the crawl: "
                  f"{'all succeeded' if ok else 'FAILED: ' + str([x['extract'] for x in xs])}, "
                  f"{statistics.median(x['extract'].get('seconds', 0) for x in xs):.1f} s each; "
                  f"crawl {med['crawl + extract --db']:.1f} pages/s beside it "
                  f"({(slow - 1) * 100:+.1f} % time)")
        if args.scaling:
            print("\n== scaling (one crawl per size): CPU s per stored article (all processes), "
                  "peak RSS (all processes)")
            first = None
            for size in sizes:
                size_site = main_site if size == n else work / f"site{size}"
                if size != n:
                    build_site(size_site, size, pages)
                server = Server(size_site)
                try:
                    c = crawl(server, profile, work / f"s{size}.db")
                finally:
                    server.close()
                per = c["cpu"] / max(1, c["stored"])
                # The bench's "site" is 505 sites' pages in turn: each one's template is
                # learned only after its third copy, so the end-of-run re-extraction takes a
                # share of the crawl that depends on the size.  CPU per extraction (stored
                # pages plus re-extracted ones) is the cost per unit of work.
                again = int(c["stats"].get("newscrawl/template/rechecked") or 0)
                per_x = c["cpu"] / max(1, c["stored"] + again)
                first = first or (per, c["rss"], per_x)
                print(f"  {size:6d} pages  {c['rate']:6.1f} pages/s  {per * 1000:7.1f} ms CPU/article "
                      f"({per / first[0]:.2f} x)  {again:5d} re-extracted, "
                      f"{per_x * 1000:6.1f} ms CPU/extraction ({per_x / first[2]:.2f} x)  "
                      f"peak RSS {c['rss'] / 2**20:7.0f} MB ({c['rss'] / first[1]:.2f} x)")
        if "oneoff" not in skip:
            o = one_off(5)
            print(f"\n== one-off extract of a saved page (medians of 5): newscrawl "
                  f"{o['ours_wall']:.2f} s, {o['ours_rss'] / 2**20:.0f} MB peak RSS; trafilatura "
                  f"CLI {o['traf_wall']:.2f} s, {o['traf_rss'] / 2**20:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
