"""Peak memory of ``newscrawl export`` on a small and a large database: is it streaming?

Builds databases of N synthetic articles (schema from the real migrations), runs the real
command in a child process per format, and prints each child's peak RSS; a naive export that
loads every row first is measured alongside to show what non-streaming would cost.

    .venv/bin/python bench/export.py [--sizes 1000 20000] [--text-bytes 3000]
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipelines.store import connect  # noqa: E402

WORDS = ("summit trade climate ocean forum railway energy cooperation delegation treaty harvest "
         "market port bridge festival vaccine election budget tariff satellite").split()
NAIVE = ("import json, sqlite3, sys; c = sqlite3.connect(sys.argv[1]); "
         "rows = c.execute('select * from articles').fetchall(); "
         "cols = [d[0] for d in c.execute('select * from articles limit 0').description]; "
         "out = open(os.devnull, 'w'); "
         "[out.write(json.dumps(dict(zip(cols, r))) + '\\n') for r in rows]")


def build(path: Path, n: int, text_bytes: int) -> None:
    db = connect(path)
    rng = random.Random(n)
    words_per_row = max(1, text_bytes // 8)

    def rows():
        for i in range(n):
            text = " ".join(rng.choice(WORDS) for _ in range(words_per_row))
            yield {"url": f"https://example.org/World/{i}.html", "site": "bench",
                   "title": f"Story {i}", "authors": '["A. Writer"]',
                   "published": f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}", "text": text,
                   "captions": "[]", "extras": "{}", "language": "en",
                   "content_hash": f"{i:064x}", "first_seen": "2025-01-01T00:00:00+00:00",
                   "last_seen": "2025-01-01T00:00:00+00:00"}

    with db.atomic():
        db["articles"].insert_all(rows(), batch_size=1000)
    db.conn.close()


# A small wrapper runs the command, so the peak measured is the command's own and not that of
# a fork of this (large) process: ru_maxrss counts a child's memory from before its exec.
MEASURE = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True, "
           "stdout=subprocess.DEVNULL); "
           "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")


def peak_rss_mb(cmd: list[str]) -> tuple[float, float]:
    """Run ``cmd``; return its peak RSS in MiB and wall seconds."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", MEASURE, *cmd], cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{cmd} failed: {result.stderr[-2000:]}")
    return int(result.stdout.split()[-1]) / 1024, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 20000])
    parser.add_argument("--text-bytes", type=int, default=3000)
    args = parser.parse_args()
    print(f"{'rows':>7} {'db MiB':>7} {'command':<22} {'peak RSS MiB':>12} {'seconds':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            db = Path(tmp) / f"bench{n}.db"
            build(db, n, args.text_bytes)
            size = db.stat().st_size / 2**20
            for fmt in ("jsonl", "csv"):
                rss, secs = peak_rss_mb([sys.executable, "-m", "crawler.cli", "export",
                                         "--db", str(db), "--format", fmt, "-o", os.devnull])
                print(f"{n:>7} {size:>7.1f} {'export --format ' + fmt:<22} {rss:>12.1f} {secs:>8.2f}")
            rss, secs = peak_rss_mb([sys.executable, "-c", "import os; " + NAIVE, str(db)])
            print(f"{n:>7} {size:>7.1f} {'naive fetchall (ref.)':<22} {rss:>12.1f} {secs:>8.2f}")


if __name__ == "__main__":
    main()
