"""Memory and time under hostile input, printed as figures (python bench/faults.py).

1. Peak RSS of a crawl process fetching compression bombs (gzip, br, zstd, deflate; 1 GiB
   each when decompressed) against the 10 MiB DOWNLOAD_MAXSIZE, vs a crawl of small pages.
2. Time to skip a page with 200,000 inline elements: extraction deadline vs running it out.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import FAST  # noqa: E402
from tests.hostile import (article_html, article_path as a, bomb, bomb_bytes,  # noqa: E402
                           hostile, html, listing)

GIB = 1024 ** 3
WRAPPER = """
import resource, subprocess, sys
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, code)
"""


def crawl_peak_rss(routes: dict) -> tuple[float, float, int]:
    """(peak RSS MiB of the crawl subprocess, seconds, exit code)."""
    with hostile(routes) as (_server, base), tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        # A small wrapper process runs the crawl and reports its children's peak RSS: measured
        # here directly, the fork of this (bomb-building, large) process would be counted.
        proc = subprocess.run([sys.executable, "-c", WRAPPER, sys.executable, "-m", "crawler.cli",
                               "crawl", "--start-url", f"{base}/World/", "--db", f"{tmp}/a.db",
                               *FAST, "-s", "RETRY_TIMES=0"],
                              cwd=ROOT, capture_output=True, text=True)
        elapsed = time.monotonic() - started
    rss_kib, code = proc.stdout.split()[-2:]
    return int(rss_kib) / 1024, elapsed, int(code)


def main() -> None:
    small = {a(n): html(article_html(n)) for n in range(1, 5)}
    small["/World/"] = html(listing([a(n) for n in range(1, 5)]))
    # RUSAGE_CHILDREN keeps the max over all children so far: measure the baseline first.
    base_rss, base_s, _ = crawl_peak_rss(small)
    print(f"baseline crawl of 4 small pages: peak RSS {base_rss:.0f} MiB, {base_s:.1f} s")
    bombs = dict(small)
    encodings = ("gzip", "deflate", "br", "zstd")
    for i, encoding in enumerate(encodings):
        bombs[a(10 + i)] = bomb(encoding, GIB)
    bombs["/World/"] = html(listing([a(n) for n in range(1, 5)] + [a(10 + i) for i in range(4)]))
    sizes = ", ".join(f"{e} {len(bomb_bytes(e, GIB)) // 1024} KiB" for e in encodings)
    print(f"bombs (1 GiB each decompressed; sent: {sizes})")
    bomb_rss, bomb_s, code = crawl_peak_rss(bombs)
    print(f"crawl with the 4 bombs, DOWNLOAD_MAXSIZE 10 MiB: peak RSS {bomb_rss:.0f} MiB "
          f"(+{bomb_rss - base_rss:.0f} MiB over baseline), {bomb_s:.1f} s, exit {code}")

    from pipelines.worker import ExtractTimeout, ExtractWorkers
    from tests.test_faults_pages import inline_bomb
    page = inline_bomb().encode()
    with ExtractWorkers(workers=1, timeout=5.0) as workers:
        started = time.monotonic()
        try:
            workers.extract(page, "http://127.0.0.1/a.html", None)
        except ExtractTimeout:
            pass
        print(f"200k inline elements ({len(page) // 1024} KiB): skipped after "
              f"{time.monotonic() - started:.1f} s with a 5 s deadline")
    from pipelines.extract import NoArticle, extract
    started = time.monotonic()
    try:
        extract(page, "http://127.0.0.1/a.html")
    except NoArticle:
        pass
    print(f"the same page without a deadline: {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
