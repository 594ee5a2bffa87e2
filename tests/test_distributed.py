"""Distributed crawling for real: a redis-server with a password on a free loopback port, the
fixture site over HTTP (counting requests), worker and ingest subprocesses, SIGKILLs."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import pytest

from pipelines.wire import load_page
from tests.conftest import FAST, ROOT
from tests.fixture_site import ARTICLES, build_site
from tests.redis_server import start_redis
from tests.server import FixtureHTTPServer, FixtureRequestHandler, stop

PASSWORD = "test-redis-password-5d1c"
WORKER = [*FAST, "-s", "NEWSCRAWL_REDIS_HEARTBEAT=0.5"]
# A short lease, so a killed worker's requests come back within the test (only there: on a
# loaded machine a live worker's heartbeat can be late by that much, costing a second fetch).
SHORT_LEASE = ["-s", "NEWSCRAWL_REDIS_LEASE_SECONDS=2"]


@pytest.fixture
def redis_server(tmp_path):
    """A private redis-server (password required, no persistence) for one test: its URL
    and its process."""
    binary = shutil.which("redis-server")
    if binary is None:
        message = "redis-server is not installed: apt-get install -y redis-server (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    folder = tmp_path / "redis"
    folder.mkdir()
    proc, url = start_redis(binary, folder, PASSWORD)
    try:
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(10)


@pytest.fixture
def redis_url(redis_server):
    return redis_server[0]


@pytest.fixture
def client(redis_url):
    import redis

    return redis.Redis.from_url(redis_url)


class CountingHandler(FixtureRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        self.server.hits.append(path)  # type: ignore[attr-defined]
        delay = self.server.delay  # type: ignore[attr-defined]
        if delay and path.startswith("/World/2"):
            time.sleep(delay)
        if self.server.broken and path.startswith("/World/2"):  # type: ignore[attr-defined]
            self.send_error(500, "the article store is down")
            return
        super().do_GET()


class CountingServer(FixtureHTTPServer):
    def handle_error(self, request, client_address) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a killed worker hung up
            super().handle_error(request, client_address)


@pytest.fixture
def site(tmp_path):
    """The fixture site, served with every request path recorded (``server.hits``)."""
    root = tmp_path / "site"
    manifest = build_site(root)
    server = CountingServer(("127.0.0.1", 0), partial(CountingHandler, directory=str(root)))
    server.hits, server.delay, server.broken = [], 0.0, False
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield server, root, manifest
    finally:
        stop(server)


class Procs:
    """Subprocesses of the test, each in its own process group (its extraction workers
    too), killed at the end whatever happened."""

    def __init__(self, folder: Path, redis_url: str) -> None:
        self.folder, self.redis_url, self.running = folder, redis_url, []

    def start(self, name: str, *args: str) -> subprocess.Popen:
        out = open(self.folder / f"{name}.out", "w")
        err = open(self.folder / f"{name}.err", "w")
        env = {**os.environ, "NEWSCRAWL_REDIS_URL": self.redis_url}
        proc = subprocess.Popen([sys.executable, "-m", "crawler.cli", *args], cwd=ROOT,
                                stdout=out, stderr=err, env=env, start_new_session=True)
        proc.name = name
        self.running.append(proc)
        return proc

    def worker(self, name: str, base_url: str, *extra: str) -> subprocess.Popen:
        return self.start(name, "crawl", "--site", "bjreview", "--start-url",
                          f"{base_url}/World/", *WORKER, "--log-file",
                          str(self.folder / f"{name}.log"), *extra)

    def ingest(self, name: str, db: Path, *extra: str) -> subprocess.Popen:
        return self.start(name, "ingest", "--db", str(db), *extra)

    def wait(self, proc: subprocess.Popen, timeout: float = 90) -> tuple[int, str, str]:
        code = proc.wait(timeout)
        return (code, (self.folder / f"{proc.name}.out").read_text(),
                (self.folder / f"{proc.name}.err").read_text())

    def kill(self, proc: subprocess.Popen) -> None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def close(self) -> None:
        for proc in self.running:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)

    def logs(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.folder.iterdir())
                       if p.suffix in (".out", ".err", ".log"))


@pytest.fixture
def procs(tmp_path, redis_url):
    folder = tmp_path / "procs"
    folder.mkdir()
    group = Procs(folder, redis_url)
    try:
        yield group
    finally:
        group.close()


def rows(db: Path, sql: str) -> list[sqlite3.Row]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def stored_paths(db: Path, base_url: str) -> list[str]:
    return sorted(r["url"].removeprefix(base_url) for r in rows(db, "select url from articles"))


def expected_paths(manifest: dict) -> set[str]:
    """The stories stored (the re-post and its original are one: either keeps the row)."""
    duplicate = manifest["duplicates"][0]
    return {a["canonical_path"] for a in manifest["articles"]} - {duplicate["duplicate_of"]}


def assert_stored_once(db: Path, base_url: str, manifest: dict) -> None:
    stored = stored_paths(db, base_url)
    assert len(stored) == len(set(stored)) == 10
    duplicate = manifest["duplicates"][0]
    story = {duplicate["path"], duplicate["duplicate_of"]}
    assert set(stored) - story == expected_paths(manifest) - story
    assert rows(db, "pragma integrity_check")[0][0] == "ok"


def article_hits(server) -> list[str]:
    return [p for p in server.hits if p.startswith("/World/2")]


def test_three_workers_and_one_ingest_store_every_article_once_each_fetched_once(
        site, procs, client, tmp_path):
    server, root, manifest = site
    newest = sorted(ARTICLES, key=lambda a: (a.date, a.id), reverse=True)
    build_site(root, newest[2:])  # the site before its two newest stories
    base = server.base_url
    db = tmp_path / "articles.db"
    seeder = procs.worker("w1", base, "--seed", "--idle-exit", "2")
    time.sleep(1.0)  # the seeder opens the run; the others join it
    others = [procs.worker(f"w{i}", base, "--idle-exit", "2") for i in (2, 3)]
    ingest = procs.ingest("ingest", db, "--until-idle", "2")
    for proc in (seeder, *others):
        code, out, err = procs.wait(proc)
        assert code == 0, err[-3000:]
        assert out.startswith("OK: worker of"), out
    code, out, err = procs.wait(ingest)
    assert code == 0, err[-3000:]

    stored = stored_paths(db, base)
    assert len(stored) == len(set(stored)) == 8
    hits = article_hits(server)
    assert len(hits) == len(set(hits)), sorted(hits)  # no page fetched twice, variants neither
    assert server.hits.count("/World/") == 1
    run = rows(db, "select * from runs")
    assert len(run) == 1
    stats = json.loads(run[0]["stats"])
    assert (run[0]["finish_reason"], run[0]["mode"], run[0]["new"]) == \
        ("finished", "distributed", 8)
    assert stats["newscrawl/distributed/workers"] == 3
    # Judged as a local crawl's row is, from every worker's counts and the ingest's.
    assert (run[0]["verdict"], run[0]["exit_code"]) == ("ok", 0)
    host = base.removeprefix("http://")
    assert run[0]["verdict_reason"] == f"{host}: 8 new and 0 updated articles stored"
    assert f"Run {run[0]['id']}: OK: {host}: 8 new" in out
    # Every worker's counts are in the one row: all the pages fetched, by whoever fetched them.
    assert run[0]["articles_fetched"] == len(hits)
    assert rows(db, "pragma integrity_check")[0][0] == "ok"
    assert PASSWORD not in procs.logs()

    learned_first = client.hget("newscrawl:bjreview:template", "version").decode()
    assert learned_first != "none"  # the ingest learned the site's boilerplate and published it

    # The second run: two stories published since; only they are fetched.
    build_site(root)
    server.hits.clear()
    seeder = procs.worker("w4", base, "--seed", "--idle-exit", "2")
    ingest = procs.ingest("ingest2", db, "--until-idle", "2")
    code, out, err = procs.wait(seeder)
    assert code == 0, err[-3000:]
    assert procs.wait(ingest)[0] == 0
    assert sorted(article_hits(server)) == sorted(a.path for a in newest[:2])
    assert_stored_once(db, base, manifest)
    second = rows(db, "select * from runs order by id")[-1]
    assert (second["new"], second["finish_reason"]) == (2, "finished")
    # The template the first run learned reached the worker: the new stories were
    # extracted with the rules the ingest published, as a local second run would.
    # (re-extracted at the end of the run if the rules it learned changed their body).
    final = client.hget("newscrawl:bjreview:template", "version").decode()
    learned = rows(db, "select template from templates")[0]["template"]
    assert json.loads(learned)["n_pages"] == 10
    new_rows = rows(db, f"select template_version from articles where run_id = {second['id']}")
    assert len(new_rows) == 2
    assert {r["template_version"] for r in new_rows} <= {learned_first, final}

    # A day later: every story is due for its first revisit.  The ingest (which alone has
    # the dates) puts the conditional GETs on the third run's frontier, as a local crawl
    # starts with them: one story changed (updated, a version kept), one is gone
    # (withdrawn), the others are as stored.
    edited, removed = manifest["articles"][2], manifest["articles"][3]
    page = root / edited["path"].lstrip("/")
    page.write_text(page.read_text().replace(edited["must_contain"][1],
                                             "The summit ended a day early."))
    future = time.time() + 60  # a newer Last-Modified than the one stored
    os.utime(page, (future, future))
    (root / removed["path"].lstrip("/")).unlink()
    then = (datetime.now(timezone.utc) - timedelta(days=2)).isoformat(timespec="seconds")
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("update articles set first_seen = ?, last_seen = ?", [then, then])
    conn.close()
    server.hits.clear()
    seeder = procs.worker("w5", base, "--seed", "--idle-exit", "2")
    ingest = procs.ingest("ingest3", db, "--until-idle", "2")
    assert procs.wait(seeder)[0] == 0
    assert procs.wait(ingest)[0] == 0
    hits = article_hits(server)
    assert len(hits) == len(set(hits)) == 10, sorted(hits)  # each stored story once
    third = rows(db, "select * from runs order by id")[-1]
    # The 2 stories of the second run answer 304; the first run's 6 others were rewritten
    # by the site's rebuild since (a newer Last-Modified): fetched whole, found unchanged.
    assert (third["new"], third["updated"], third["unchanged"], third["not_modified"],
            third["withdrawn"]) == (0, 1, 6, 2, 1)
    assert json.loads(third["stats"])["newscrawl/revisits/requested"] == 10
    assert third["verdict"] == "ok"
    assert len(rows(db, "select * from versions")) == 1
    assert_stored_once(db, base, manifest)


def test_a_sigkilled_worker_loses_nothing(site, procs, client, tmp_path, crawled_db):
    server, _root, manifest = site
    server.delay = 0.4  # article pages are slow: the worker has some in flight when killed
    base, db = server.base_url, tmp_path / "articles.db"
    doomed = procs.worker("doomed", base, "--seed", *SHORT_LEASE)
    deadline = time.monotonic() + 60
    while len(article_hits(server)) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    procs.kill(doomed)
    held = sum(client.hlen(k) for k in client.keys("newscrawl:bjreview:inflight:*"))
    assert held > 0  # it died holding requests
    server.delay = 0.0
    rescuer = procs.worker("rescuer", base, "--idle-exit", "2", *SHORT_LEASE)
    ingest = procs.ingest("ingest", db, "--until-idle", "2")
    code, out, err = procs.wait(rescuer)
    assert code == 0, err[-3000:]
    assert procs.wait(ingest)[0] == 0
    assert_stored_once(db, base, manifest)
    assert "stopped answering" in procs.logs()  # the rescuer or the ingest put them back
    assert not client.keys("newscrawl:bjreview:inflight:*")
    # The same rows as a local crawl of the same site: same extraction, template, dedup.
    local_db, _ = crawled_db

    def bodies(path: Path) -> list[tuple]:  # not by URL: either of the re-post's two keeps it
        return sorted((r["title"], r["text"], r["language"])
                      for r in rows(path, "select title, text, language from articles"))
    assert bodies(db) == bodies(local_db)


def test_a_sigkilled_ingest_loses_and_doubles_nothing(site, procs, client, tmp_path):
    server, _root, manifest = site
    base, db = server.base_url, tmp_path / "articles.db"
    code, out, err = procs.wait(procs.worker("w", base, "--seed", "--idle-exit", "2"))
    assert code == 0, err[-3000:]
    queued = client.lrange("newscrawl:items", 0, -1)
    assert len(queued) == 12  # 10 stories, the re-post, the page without a body

    # Batches of 5 that wait 60 s: 10 pages commit, 2 wait in the open batch when it dies.
    first = procs.ingest("first", db, "-s", "NEWSCRAWL_FLUSH_ROWS=5",
                         "-s", "NEWSCRAWL_FLUSH_SECONDS=60")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if db.exists() and client.llen("newscrawl:items") == 0:
            try:
                if rows(db, "select count(*) from ingested")[0][0] == 10:
                    break
            except sqlite3.Error:
                pass
        time.sleep(0.05)
    procs.kill(first)

    committed = {r["id"] for r in rows(db, "select id from ingested")}
    taken = client.lrange("newscrawl:items:processing", 0, -1)
    # Two pages died in the open batch; committed ones whose LREM had not run yet are there too.
    assert sum(load_page(r).id not in committed for r in taken) == 2
    again = sum(load_page(r).id in committed for r in taken)
    # A kill between a commit and its LREM leaves a stored page on the list: make sure one is.
    acked = [r for r in queued if load_page(r).id in committed and r not in taken]
    if acked:
        client.lpush("newscrawl:items", acked[0])
        again += 1
    # A cut page among the good ones: refused and taken off the list at once, while the
    # pages around it are acknowledged from the old end of the list in the order taken.
    assert len(taken) >= 2
    client.linsert("newscrawl:items:processing", "BEFORE", taken[-1], queued[3][:-50])

    code, out, err = procs.wait(procs.ingest("second", db, "--until-idle", "2"))
    assert code == 0, err[-3000:]
    assert again > 0 and f"taken again after a kill {again}" in out
    assert "refused 1" in out
    assert client.lrange("newscrawl:items:refused", 0, -1) == [queued[3][:-50]]
    assert_stored_once(db, base, manifest)
    run = rows(db, "select * from runs")
    assert len(run) == 1
    assert (run[0]["new"], run[0]["duplicates"], run[0]["finish_reason"]) == (10, 1, "finished")
    assert client.llen("newscrawl:items") == client.llen("newscrawl:items:processing") == 0


def test_a_distributed_run_whose_pages_all_fail_gets_its_row_and_a_failed_verdict(
        site, procs, tmp_path):
    """No page reaches the ingest (every article answers 500): the run still gets its row,
    judged from the workers' counts, so `newscrawl runs --check` does not report the
    previous run."""
    server, _root, _manifest = site
    server.broken = True
    db = tmp_path / "articles.db"
    worker = procs.worker("w", server.base_url, "--seed", "--idle-exit", "2",
                          "-s", "RETRY_TIMES=0")
    ingest = procs.ingest("ingest", db, "--until-idle", "2")
    code, out, err = procs.wait(worker)
    assert code == 0, err[-3000:]  # a worker's own verdict: it did its part
    assert "0 pages queued for the ingest" in out and "Errors: HTTP 500 12" in out
    code, out, err = procs.wait(ingest)
    assert code == 0, err[-3000:]
    (run,) = rows(db, "select * from runs")
    assert (run["mode"], run["verdict"], run["exit_code"]) == ("distributed", "failed", 1)
    assert run["new"] == 0 and run["articles_fetched"] == 0
    # The 12 article pages failed, the 4 listing pages did not.
    assert "12 of 16 pages failed" in run["verdict_reason"], run["verdict_reason"]
    host = server.base_url.removeprefix("http://")
    assert f"Run {run['id']}: FAILED: {host}: 12 of 16 pages failed" in out
    check = subprocess.run([sys.executable, "-m", "crawler.cli", "runs", "--db", str(db),
                            "--check"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert check.returncode == 1 and check.stdout.startswith(f"failed: run {run['id']}")


class Exploit:
    """A pickle that creates a file when unpickled: what an attacker would push."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def test_a_pickled_payload_is_refused_and_counted_never_run(site, procs, client, tmp_path):
    server, _root, _manifest = site
    probe = tmp_path / "probe"
    pickle.loads(pickle.dumps(Exploit(probe))).close()
    assert probe.exists()  # the payload does run code when unpickled

    marker = tmp_path / "pwned"
    payload = pickle.dumps({"url": f"{server.base_url}/World/", "callback": "parse_listing",
                            "exploit": Exploit(marker)}, protocol=5)
    client.zadd("newscrawl:bjreview:requests", {payload: 0})
    client.lpush("newscrawl:items", payload)
    # The worker and the ingest side by side, as in a deployment: each refuses its copy.
    worker = procs.worker("w", server.base_url, "--idle-exit", "2")
    ingest = procs.ingest("ingest", tmp_path / "a.db", "--until-idle", "2")
    code, out, err = procs.wait(worker)
    assert code == 0, err[-3000:]
    assert "Refused request payloads (not newscrawl's JSON): 1" in out
    code, out, err = procs.wait(ingest)
    assert code == 0, err[-3000:]
    assert "refused 1" in out
    assert not marker.exists()
    assert server.hits == []  # nothing was fetched for it
    assert client.lrange("newscrawl:bjreview:refused", 0, -1) == [payload]
    assert client.lrange("newscrawl:items:refused", 0, -1) == [payload]
    assert client.zcard("newscrawl:bjreview:requests") == 0
    assert not client.keys("newscrawl:bjreview:inflight:*")


def test_enqueue_puts_urls_on_the_frontier_and_a_wrong_password_is_never_printed(
        site, procs, client, redis_url, tmp_path):
    server, _root, manifest = site
    base, db = server.base_url, tmp_path / "a.db"
    story = manifest["articles"][0]["path"]
    env = {**os.environ, "NEWSCRAWL_REDIS_URL": redis_url}
    queued = subprocess.run(
        [sys.executable, "-m", "crawler.cli", "enqueue", "--site", "bjreview", "--start-url",
         f"{base}/World/", f"{base}{story}", f"{base}/about.html", "http://example.org/x"],
        cwd=ROOT, capture_output=True, text=True, env=env, timeout=60)
    assert queued.returncode == 1, queued.stderr  # two of the three are not the site's pages
    assert "Queued 1 of 3 URLs for bjreview" in queued.stdout
    assert "Not queued: http://example.org/x: not on" in queued.stderr
    assert client.zcard("newscrawl:bjreview:requests") == 1
    worker = procs.worker("w", base, "--idle-exit", "2")
    ingest = procs.ingest("ingest", db, "--until-idle", "2")  # beside it, as in a deployment
    code, out, err = procs.wait(worker)
    assert code == 0, err[-3000:]
    assert procs.wait(ingest)[0] == 0
    assert stored_paths(db, base) == [manifest["articles"][0]["canonical_path"]]
    assert article_hits(server) == [story]

    wrong = redis_url.replace(PASSWORD, "not-the-password-1234")
    result = subprocess.run([sys.executable, "-m", "crawler.cli", "ingest", "--redis-url",
                             wrong, "--db", str(db), "--until-idle", "1"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 69
    assert "cannot reach Redis at redis://***@127.0.0.1" in result.stderr
    assert "not-the-password-1234" not in result.stdout + result.stderr


def test_losing_redis_stops_a_worker_and_the_ingest_with_a_clear_message(
        site, procs, redis_server, client, tmp_path):
    server, _root, _manifest = site
    server.delay = 0.5
    worker = procs.worker("w", server.base_url, "--seed")
    ingest = procs.ingest("ingest", tmp_path / "a.db")
    deadline = time.monotonic() + 60
    while not article_hits(server) and time.monotonic() < deadline:
        time.sleep(0.05)
    redis_server[1].kill()  # Redis dies mid-crawl
    redis_server[1].wait(10)
    code, out, err = procs.wait(worker, timeout=60)
    assert code == 1
    assert "STOPPED: worker of" in out and "(redis_error)" in out
    assert "Lost Redis" in err and "Traceback" not in out + err
    code, out, err = procs.wait(ingest, timeout=60)
    assert code == 69
    assert "lost Redis" in err and "Traceback" not in out + err
    assert PASSWORD not in procs.logs()
