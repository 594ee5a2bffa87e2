"""The data path: one writer with short transactions, indexed lookups, streamed
re-extraction, safe workers, a layering that keeps the processing library light.

Everything for real: SQLite files, threads and processes, crawls of the fixture site over
HTTP on 127.0.0.1, SIGKILL."""

from __future__ import annotations

import base64
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

import pytest

from pipelines.article import Article
from pipelines.dedup import content_hash, simhash
from pipelines.store import RunLock, Store, simhash_bands
from pipelines.writer import Writer
from tests.conftest import FAST, ROOT, crawl, newscrawl, query
from tests.server import FixtureHTTPServer, FixtureRequestHandler, stop

SITE = "bjreview"


def article(n: int, text: str | None = None) -> Article:
    text = text or " ".join(f"Story {n} paragraph {i}: the council met on trade, rail and "
                            f"the harvest of district {n * 7 + i}." for i in range(8))
    url = f"https://www.bjreview.com/World/202506/t20250601_{n}.html"
    return Article(url=url, page_url=url, title=f"Story {n}", authors=[], published=None,
                   description=None, text=text, content_hash=content_hash(text),
                   simhash=simhash(text))


WORDS = ("trade rail harvest council river delegates minister port grain talks summit "
         "border water market season vote reform league bridge drought").split()


def saved_pages(folder: Path, n: int) -> list[str]:
    """``n`` saved article pages of another site, each a different story (random words)."""
    from tests.hostile import article_html

    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    files = []
    for i in range(n):
        body = "".join("<p>" + " ".join(rng.choice(WORDS) for _ in range(40)) + ".</p>"
                       for _ in range(4))
        head = f"<link rel='canonical' href='https://news.example.org/world/{i}.html'>"
        path = folder / f"{i}.html"
        path.write_text(article_html(i, body=body, head=head))
        files.append(str(path))
    return files


def count(db: Path) -> int:
    """Articles in ``db``; 0 while the file is still being created."""
    conn = sqlite3.connect(db)
    try:
        return conn.execute("select count(*) from articles").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


# -- the writer -----------------------------------------------------------------------------
def test_writer_commits_a_lone_row_within_the_flush_interval(tmp_path):
    """A slow crawl (one page, then nothing) still commits within NEWSCRAWL_FLUSH_SECONDS,
    and a job's future resolves only once its row is on disk."""
    db = tmp_path / "a.db"
    writer = Writer(lambda: Store(db, batch_size=0), flush_rows=1000, flush_seconds=0.5)
    try:
        started = time.monotonic()
        future = writer.submit(lambda store: store.save(article(1), SITE))
        assert count(db) == 0  # queued, not yet committed
        assert future.result(timeout=10).outcome == "new"
        waited = time.monotonic() - started
        assert count(db) == 1  # resolved means committed
        assert 0.4 <= waited < 5
    finally:
        writer.close()


def test_writer_flushes_by_count_and_holds_the_lock_only_while_committing(tmp_path):
    db = tmp_path / "a.db"
    Store(db).close()
    writer = Writer(lambda: Store(db, batch_size=0), flush_rows=5, flush_seconds=60)
    try:
        futures = [writer.submit(lambda store, n=n: store.save(article(n), SITE))
                   for n in range(4)]
        time.sleep(0.3)
        # Four rows wait in memory: no transaction is open, another writer gets the lock now.
        other = sqlite3.connect(db, timeout=0.05)
        other.execute("BEGIN IMMEDIATE")
        other.execute("insert into runs (site, started) values ('other', '2025-01-01')")
        other.commit()
        other.close()
        assert count(db) == 0 and not any(f.done() for f in futures)
        futures.append(writer.submit(lambda store: store.save(article(4), SITE)))  # the 5th
        assert [f.result(timeout=10).outcome for f in futures] == ["new"] * 5
        assert count(db) == 5
        assert writer.commits == 1
        assert max(writer.hold_times) < 5  # sanity: held for the batch, not for minutes
    finally:
        writer.close()


def test_jobs_queued_during_a_slow_batch_commit_together_after_it(tmp_path):
    """A batch that takes longer than flush_seconds (a slow disk, a big re-index) must not
    leave the jobs queued meanwhile to commit one transaction each: they are all already
    older than flush_seconds, and are one batch."""
    db = tmp_path / "a.db"
    writer = Writer(lambda: Store(db, batch_size=0), flush_rows=200, flush_seconds=0.2)
    try:
        def slow(store, n=0):
            time.sleep(1.0)  # the batch's commit is slow
            return store.save(article(n), SITE)

        first = writer.submit(slow)
        time.sleep(0.4)  # the slow batch has started
        queued = [writer.submit(lambda store, n=n: store.save(article(n), SITE))
                  for n in range(1, 41)]
        assert first.result(timeout=20).outcome == "new"
        assert [f.result(timeout=20).outcome for f in queued] == ["new"] * 40
        assert count(db) == 41
        assert writer.commits <= 3, writer.commits  # the slow one, then the forty together
    finally:
        writer.close()


def test_a_bad_item_fails_alone_and_the_batch_commits(tmp_path):
    db = tmp_path / "a.db"
    writer = Writer(lambda: Store(db, batch_size=0), flush_rows=3, flush_seconds=60)
    try:
        nameless = article(2)
        nameless.url = None
        good = [writer.submit(lambda store, n=n: store.save(article(n), SITE)) for n in (1, 3)]
        bad = writer.submit(lambda store: store.save(nameless, SITE))
        with pytest.raises(ValueError, match="needs a URL"):
            bad.result(timeout=10)
        assert [f.result(timeout=10).outcome for f in good] == ["new", "new"]
        assert count(db) == 2
    finally:
        writer.close()


KILLED_WRITER = r"""
import os, sys, time
from pipelines.store import Store
from pipelines.writer import Writer
from tests.test_data_path import article
writer = Writer(lambda: Store(sys.argv[1], batch_size=0), flush_rows=1000, flush_seconds=0.3)
n = 0
while True:
    future = writer.submit(lambda store, n=n: store.save(article(n), "bjreview"))
    future.add_done_callback(lambda f, n=n: os.write(1, f"committed {n} {time.time()}\n".encode()))
    os.write(1, f"submitted {n} {time.time()}\n".encode())
    n += 1
    time.sleep(0.02)
"""


def test_sigkill_loses_at_most_the_flush_interval(tmp_path):
    db = tmp_path / "a.db"
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(db)], cwd=ROOT,
                            stdout=subprocess.PIPE, text=True)
    submitted: dict[int, float] = {}
    committed: set[int] = set()
    try:
        for line in proc.stdout:
            kind, n, at = line.split()
            (submitted.__setitem__(int(n), float(at)) if kind == "submitted"
             else committed.add(int(n)))
            if len(committed) >= 40 and time.time() - min(submitted.values()) > 4:
                break
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        killed_at = time.time()
        proc.wait()
    stored = {int(r["url"].rsplit("_", 1)[1].split(".")[0])
              for r in query(db, "select url from articles")}
    assert query(db, "pragma integrity_check") == [{"integrity_check": "ok"}]
    assert committed <= stored, "a row reported as committed was lost"
    # What a SIGKILL can lose is what was submitted in the last flush interval (+ slack for
    # a loaded machine): everything older is on disk.
    old = {n for n, at in submitted.items() if at < killed_at - 0.3 - 2.0}
    assert old and old <= stored


def test_a_crawl_killed_with_sigkill_leaves_no_lock_and_the_next_run_completes(site_url,
                                                                               tmp_path):
    db = tmp_path / "a.db"
    args = [sys.executable, "-m", "crawler.cli", "crawl", "--start-url", f"{site_url}/World/",
            "--db", str(db), *FAST, "-s", "DOWNLOAD_DELAY=0.4",
            "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1", "-s", "NEWSCRAWL_FLUSH_SECONDS=0.2"]
    proc = subprocess.Popen(args, cwd=ROOT, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not db.exists() or count(db) < 2):
            time.sleep(0.1)
        assert count(db) >= 2
    finally:
        os.kill(proc.pid, signal.SIGKILL)  # the crawl only: its workers are orphaned
        proc.wait()
    time.sleep(1.0)  # orphaned workers see their parent gone and exit
    lock = RunLock(db)
    lock.acquire()  # no orphaned worker inherited the run lock
    lock.release()
    result = crawl(site_url, db)
    assert result.returncode == 0, result.stderr[-3000:]
    urls = [r["url"] for r in query(db, "select url from articles")]
    assert len(urls) == len(set(urls)) == 10
    assert query(db, "pragma integrity_check") == [{"integrity_check": "ok"}]


class PacedHandler(FixtureRequestHandler):
    """Article pages one every 0.3 s, and those after the first ``server.free`` held until
    ``server.gate`` is set: the crawl is still fetching and writing while a test runs
    something beside it, and has pages left to store once that is done, however loaded
    the machine is."""

    def do_GET(self) -> None:
        if self.path.startswith("/World/2"):
            with self.server.lock:  # type: ignore[attr-defined]
                self.server.served += 1  # type: ignore[attr-defined]
                held = self.server.served > self.server.free  # type: ignore[attr-defined]
            time.sleep(0.3)
            if held:
                self.server.gate.wait(60)  # type: ignore[attr-defined]
        super().do_GET()


def test_a_one_off_extract_db_during_a_real_crawl_succeeds(site_dir, tmp_path):
    """`newscrawl extract --db` writes to the database a crawl is writing: both succeed,
    no traceback, nothing lost (the crawl holds the write lock only for milliseconds)."""
    db = tmp_path / "a.db"
    files = saved_pages(tmp_path / "saved", 20)
    server = FixtureHTTPServer(("127.0.0.1", 0),
                               partial(PacedHandler, directory=str(site_dir[0])))
    # 12 article pages, 2 of them storing no row (a re-post, a page without a body): of
    # the 4 held back, at least 2 are stored after the one-off's rows.
    server.served, server.free, server.lock, server.gate = 0, 8, threading.Lock(), \
        threading.Event()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    proc = subprocess.Popen(
        [sys.executable, "-m", "crawler.cli", "crawl", "--start-url",
         f"{server.base_url}/World/", "--db", str(db), *FAST,
         "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (not db.exists() or count(db) < 1):
            time.sleep(0.1)
        one_off = newscrawl("extract", "--db", str(db), *files)
    finally:
        server.gate.set()
        out, err = proc.communicate(timeout=120)
        stop(server)
    assert one_off.returncode == 0, one_off.stderr
    assert "Traceback" not in one_off.stderr
    assert proc.returncode == 0, err[-3000:]
    assert "Traceback" not in err
    sites = {r["site"]: r["n"] for r in query(
        db, "select site, count(*) as n from articles group by site")}
    assert sites["bjreview"] == 10
    assert sum(sites.values()) == 10 + len(files)
    # The writes interleaved: the crawl committed rows after the one-off's.
    (last_one_off,) = [r["n"] for r in query(
        db, "select max(id) as n from articles where site != 'bjreview'")]
    assert query(db, "select max(id) as n from articles where site = 'bjreview'")[0]["n"] \
        > last_one_off


def test_a_crawl_reports_reactor_lag_and_lock_hold_and_leaves_nothing_to_reextract(
        crawled_db):
    db, _manifest = crawled_db
    stats = json.loads(query(db, "select stats from runs order by id desc limit 1")[0]["stats"])
    for key in ("newscrawl/reactor/lag_p99_ms", "newscrawl/store/lock_hold_p99_ms",
                "newscrawl/store/commits", "newscrawl/gc/full_pauses", "newscrawl/gc/pause_max_ms"):
        assert key in stats, key
    assert stats["newscrawl/store/commits"] >= 1
    versions = {r["template_version"] for r in query(db, "select template_version from articles")}
    assert None not in versions
    # The end-of-run re-extraction took every page the final template changes: a full
    # re-extraction with the stored template changes nothing.
    copy = db.parent / "copy.db"
    copy.write_bytes(db.read_bytes())
    result = newscrawl("reextract", "--site", "bjreview", "--db", str(copy))
    assert result.returncode == 0, result.stderr
    assert "0 bodies changed" in result.stdout, result.stdout


# -- lookups that do not grow with the database ----------------------------------------------
def test_near_duplicate_candidates_come_from_the_band_index(tmp_path):
    """100,000 stored simhashes: the lookup uses the index and looks at a sliver of them."""
    db = tmp_path / "big.db"
    store = Store(db)
    rng = random.Random(7)
    values = [rng.getrandbits(64) - (1 << 63) for _ in range(100_000)]
    with store.transaction():
        store.db.execute("drop trigger articles_ai")  # no FTS work for 100,000 stub rows
        store.db.conn.executemany(
            "insert into articles (id, url, site, text, content_hash, simhash, first_seen, "
            "last_seen) values (?, ?, 'bjreview', 't', ?, ?, 'n', 'n')",
            [(i + 1, f"u{i}", f"h{i}", v) for i, v in enumerate(values)])
        store.db.conn.executemany(
            "insert into simhash_bands (key, article_id) values (?, ?)",
            [(k, i + 1) for i, v in enumerate(values) for k in simhash_bands(v)])
    plan = " ".join(r[3] for r in store.db.execute(
        "explain query plan select distinct a.id, a.simhash from simhash_bands b join "
        "articles a on a.id = b.article_id where b.key in (1, 2, 3) and a.site = 'x'"))
    assert "SCAN b" not in plan and "SEARCH b" in plan, plan
    fresh = article(1)
    examined = store.db.execute(
        f"select count(distinct article_id) from simhash_bands where key in "
        f"({','.join('?' * 7)})", simhash_bands(fresh.simhash)).fetchone()[0]
    assert examined < 3000  # about 1.4 % of the rows share a band by chance
    started = time.perf_counter()
    assert store._near(SITE, fresh) is None
    assert time.perf_counter() - started < 1.0  # milliseconds; generous for a shared machine
    store.close()


def test_a_near_duplicate_is_found_through_the_index(tmp_path):
    rng = random.Random(5)
    text = " ".join(rng.choice(WORDS) + ("." if i % 12 == 11 else "") for i in range(400))
    store = Store(tmp_path / "a.db")
    for n in range(3, 30):  # other stories of the site, in the index too
        store.save(article(n), SITE)
    first = store.save(article(1, text), SITE)
    edited = text.replace("trade", "commerce", 2)
    other = article(2, edited)
    saved = store.save(other, SITE)
    assert (saved.outcome, saved.kind, saved.url) == ("duplicate", "near", first.url)
    assert store.find(other.url)["duplicate_of"] == first.article_id
    store.close()


def test_saving_moves_a_storys_bands_by_the_index_never_scanning_them(tmp_path):
    """New, updated and re-extracted stories: the band table holds exactly each story's
    current bands, and no statement of a save walks the table (it grows with the database:
    a delete by article id alone scans every band row)."""
    store = Store(tmp_path / "a.db")
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)

    def bands(article_id: int) -> list[int]:
        return sorted(k for (k,) in store.db.execute(
            "select key from simhash_bands where article_id = ?", [article_id]))

    first = store.save(article(1), SITE)
    second = store.save(article(2), SITE)
    changed = article(1, "A different story altogether: the port reopened after the storm. "
                         * 6)
    assert store.save(changed, SITE).outcome == "updated"
    rewritten = article(2, "Delegates agreed on the river treaty late on Friday. " * 6)
    store.rewrite(second.article_id, rewritten)
    store.commit()
    store.db.conn.set_trace_callback(None)
    assert bands(first.article_id) == sorted(set(simhash_bands(changed.simhash)))
    assert bands(second.article_id) == sorted(set(simhash_bands(rewritten.simhash)))
    assert store.db.execute("select count(*) from simhash_bands").fetchone()[0] == \
        len(bands(first.article_id)) + len(bands(second.article_id))
    touching = {s for s in statements if "simhash_bands" in s and not s.startswith("select")}
    assert any(s.startswith("delete") for s in touching)
    for sql in touching:
        plan = " ".join(r[3] for r in store.db.execute(f"explain query plan {sql}"))
        assert "SCAN" not in plan, (sql, plan)
    store.close()


def test_fts_is_reindexed_only_when_title_or_text_change(tmp_path):
    store = Store(tmp_path / "a.db")

    def index() -> list:
        return store.db.execute("select id, block from articles_fts_data order by id").fetchall()

    store.save(article(1), SITE, now="2025-06-01T00:00:00+00:00")
    store.commit()
    before = index()
    assert store.save(article(1), SITE).outcome == "unchanged"  # a revisit: last_seen only
    store.commit()
    assert index() == before  # sqlite-utils' trigger would have deleted and re-added it
    changed = article(1, article(1).text + " A correction was added.")
    assert store.save(changed, SITE).outcome == "updated"
    store.commit()
    assert index() != before
    hits = store.db.execute("select rowid from articles_fts where articles_fts match "
                            "'correction'").fetchall()
    assert len(hits) == 1
    store.close()


def test_an_unchanged_revisit_does_not_rewrite_the_stored_page(tmp_path):
    store = Store(tmp_path / "a.db")
    store.save(article(1), SITE, raw=b"<html>first fetch</html>", now="2025-06-01T00:00:00+00:00")
    store.save(article(1), SITE, raw=b"<html>second fetch</html>", now="2025-06-08T00:00:00+00:00")
    store.commit()
    row = store.db.execute("select fetched_at from pages").fetchone()
    assert row[0] == "2025-06-01T00:00:00+00:00"
    store.close()


def test_known_urls_are_a_compact_set(tmp_path):
    from pipelines.store import KnownUrls

    urls = [f"https://www.bjreview.com/World/202506/t20250601_{n}.html" for n in range(50_000)]
    known = KnownUrls(urls)
    assert all(u in known for u in urls[::997]) and urls[0] + "x" not in known
    assert len(known) == 50_000 and known.nbytes == 8 * 50_000


# -- re-extraction, streamed ---------------------------------------------------------------------
REEXTRACT_MEMORY = """
import sys
from click.testing import CliRunner
from crawler.cli import cli
result = CliRunner().invoke(cli, ["reextract", "--site", "bjreview", "--db", sys.argv[1]])
print(result.output)
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the process it was forked from
# (a pytest that has grown), VmHWM is this program's own peak.
hwm = next(l for l in open("/proc/self/status") if l.startswith("VmHWM:"))
print("maxrss_kb", int(hwm.split()[1]))
"""


def test_reextraction_streams_a_database_larger_than_its_memory_bound(tmp_path):
    """240 MB of stored pages (230 MB in the file): the command's own process stays under
    150 MB, because pages are read in chunks, never all at once."""
    import gzip

    from tests.hostile import article_html

    db = tmp_path / "a.db"
    store = Store(db, batch_size=50)
    rng = random.Random(3)
    pages = 300
    for n in range(pages):
        blob = base64.b64encode(rng.randbytes(600_000)).decode()  # an 800 kB script
        # Each a different story (random words): stories that share their sentences are all
        # near-duplicate candidates of each other, and building the file would be quadratic.
        text = " ".join(rng.choice(WORDS) for _ in range(120)) + "."
        raw = article_html(n).replace("</body>", f"<script>var x='{blob}';</script></body>")
        # Kept as gzip, as every stored page is, but not deflated: random bytes hardly
        # shrink, and deflating 240 MB took the test longer than the re-extraction.
        stored = gzip.compress(raw.encode(), compresslevel=0)
        store.save(article(n, text), SITE, raw_gzip=stored)
    store.close()
    assert db.stat().st_size > 170 * 2**20
    result = subprocess.run([sys.executable, "-c", REEXTRACT_MEMORY, str(db)], cwd=ROOT,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"{pages} pages re-extracted" in result.stdout, result.stdout
    maxrss_mb = int(result.stdout.rsplit("maxrss_kb", 1)[1]) / 1024
    assert maxrss_mb < 150, f"{maxrss_mb:.0f} MB\n{result.stdout}\n{result.stderr[-2000:]}"
    versions = {r["extractor"] for r in query(db, "select extractor from articles")}
    assert len(versions) == 1 and None not in versions


# -- layering -----------------------------------------------------------------------------------
@pytest.mark.parametrize("module", ["pipelines.dedup", "pipelines.store", "pipelines.extract",
                                    "pipelines.template", "pipelines.language",
                                    "pipelines.writer", "pipelines.reextract"])
def test_pure_modules_import_neither_scrapy_nor_crawler_nor_change_loggers(module):
    code = (
        "import logging, sys\n"
        "before = {n: (l.level, l.propagate, len(l.handlers)) for n, l in "
        "logging.root.manager.loggerDict.items() if isinstance(l, logging.Logger)}\n"
        "root = (logging.root.level, len(logging.root.handlers))\n"
        f"import {module}\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('scrapy', 'twisted', "
        "'crawler', 'pebble'))\n"
        "changed = [n for n, v in before.items() if (logging.getLogger(n).level, "
        "logging.getLogger(n).propagate, len(logging.getLogger(n).handlers)) != v]\n"
        "assert not bad, bad\n"
        "assert root == (logging.root.level, len(logging.root.handlers))\n"
        "assert not changed, changed\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
