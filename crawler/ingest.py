"""The ingest: the one process that writes a distributed crawl into the SQLite database.

Workers push finished pages to ``newscrawl:items``; the ingest takes them with ``LMOVE`` onto
``newscrawl:items:processing`` and stores each through the same writer and the same
:func:`pipelines.item_pipelines._save` as a local crawl (same schema, de-duplication and
template learning).  A page leaves the processing list only after its transaction committed;
on start the ingest puts back what a killed ingest left there.  The ids of the pages stored
are written in the same transaction (table ``ingested``), so a page taken twice (committed,
then killed before its acknowledgement) is recognised and not counted twice.

It also publishes what workers need to know: the stored key URLs of each site (a set of
digests, in full at start and as pages commit) and the learned template rules (with their
version), puts back the in-flight requests of workers whose heartbeat expired, and puts
the stored stories due for a revisit on the frontier of each new run.  Once a
site's frontier, the workers' flight and the item queues have been empty for the idle
window, its run is closed: pages the final template would change are re-extracted, and one
``runs`` row gets every worker's counts and the verdict on them (as a local crawl's row).
"""

from __future__ import annotations

import json
import logging
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import redis
from scrapy.signalmanager import SignalManager

from crawler.distributed import frontier_size, push_revisits, requeue_dead
from crawler.items import PageItem
from crawler.outcome import Verdict, judge
from pipelines import wire
from pipelines.extract import PageResult
from pipelines.item_pipelines import DataPath, _save
from pipelines.reextract import reextract
from pipelines.store import RunLock, Saved, Store, due_revisits_sql
from pipelines.writer import Writer

logger = logging.getLogger(__name__)

INGESTED = ("create table if not exists ingested (id text primary key, run_id integer, "
            "outcome text)")
# The key URLs a run must not fetch again: what crawl_state() reads, as URLs.
KNOWN_SQL = ("select url from articles where site = :s union all "
             "select l.url from aliases l join articles a on a.id = l.article_id "
             "where a.site = :s union all select url from skipped_pages where site = :s "
             "and (next_try is null or julianday(next_try) > julianday(:now))")
BATCH = 200


class _Host:
    """What :class:`DataPath` reads of a crawler: settings and a signal manager."""

    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.signals = SignalManager()


@dataclass
class SiteState:
    """The ingest's state for one site: its template being learned, its open runs."""

    name: str
    keys: wire.Keys
    data: DataPath
    published: str = ""
    runs: dict[str, int] = field(default_factory=dict)  # run token -> runs.id
    revisits: dict[str, int] = field(default_factory=dict)  # run token -> revisits queued


class Ingest:
    def __init__(self, server: redis.Redis, db: str, settings: Any,
                 until_idle: float | None = None) -> None:
        self.server = server
        self.db = db
        self.settings = settings
        self.until_idle = until_idle
        self.run_idle = until_idle if until_idle is not None else \
            settings.getfloat("NEWSCRAWL_INGEST_RUN_IDLE")
        self.keys = wire.Keys("")
        self.lock = RunLock(db)
        self.writer: Writer | None = None
        self.sites: dict[str, SiteState] = {}
        self.counts: Counter[str] = Counter()
        self.closed_runs: list[int] = []
        self.verdicts: dict[int, Verdict] = {}  # runs.id -> the verdict on the closed run
        self.failed: BaseException | None = None
        # Pages handed to the writer at most: two batches, one committing while the next
        # fills.  More would wait in its queue past NEWSCRAWL_FLUSH_SECONDS behind a slow
        # commit, and then go one per transaction.
        self.room = threading.BoundedSemaphore(max(1, min(
            settings.getint("NEWSCRAWL_WRITER_QUEUE"),
            2 * settings.getint("NEWSCRAWL_FLUSH_ROWS"))))
        self.outstanding = 0
        self._lock = threading.Lock()
        self._acks: list[tuple[SiteState, wire.Page, Any, bytes]] = []

    # -- the loop -----------------------------------------------------------------------------
    def run(self) -> Counter[str]:
        self.lock.acquire()  # DatabaseLocked: another crawl or ingest owns the database
        try:
            self.writer = Writer(
                lambda: Store(self.db, batch_size=0,
                              max_bytes=self.settings.getint("NEWSCRAWL_DB_MAX_BYTES")),
                self.settings.getint("NEWSCRAWL_FLUSH_ROWS"),
                self.settings.getfloat("NEWSCRAWL_FLUSH_SECONDS"), name="newscrawl-ingest")
            self.writer.call(lambda store: store.db.execute(INGESTED)).result()
            self.recover()
            for name in sorted(m.decode() for m in self.server.smembers(self.keys.sites)):
                self.site(name)
            self.loop()
            if self.failed is None:
                self.writer.flush().result()
                self.flush_acks()
                for state in list(self.sites.values()):
                    self.close_runs(state)
        finally:
            for state in self.sites.values():
                state.data.close_pool()
            if self.writer is not None:
                self.writer.close()
            self.lock.release()
        if self.failed is not None:
            raise self.failed
        return self.counts

    def recover(self) -> None:
        """Put back what a killed ingest had taken and not committed."""
        moved = 0
        while self.server.lmove(self.keys.processing, self.keys.items, "LEFT", "RIGHT"):
            moved += 1
        if moved:
            self.counts["recovered"] += moved
            logger.warning("%s pages a previous ingest had taken went back on the queue", moved)

    def loop(self) -> None:
        idle_since: float | None = None
        next_chores = 0.0
        while self.failed is None:
            now = time.monotonic()
            if now >= next_chores:
                next_chores = now + 1.0
                busy = self.chores()
                if busy:
                    idle_since = None
                else:
                    idle_since = idle_since or now
                    if now - idle_since >= self.run_idle:
                        for state in list(self.sites.values()):
                            self.close_runs(state)
                        if self.until_idle is not None:
                            return
            raws = self.take()
            if raws:
                idle_since = None
            for raw in raws:
                self.handle(raw)
            self.flush_acks()

    def take(self) -> list[bytes]:
        pipe = self.server.pipeline(transaction=False)
        for _ in range(BATCH):
            pipe.lmove(self.keys.items, self.keys.processing, "RIGHT", "LEFT")
        raws = [r for r in pipe.execute() if r is not None]
        if raws:
            return raws
        raw = self.server.blmove(self.keys.items, self.keys.processing, 0.5, "RIGHT", "LEFT")
        return [raw] if raw is not None else []

    def chores(self) -> bool:
        """Rescue dead workers' requests, meet new sites; whether anything is going on."""
        for name in sorted(m.decode() for m in self.server.smembers(self.keys.sites)):
            self.site(name)
        self.flush_acks()
        busy = self.outstanding > 0 or self.server.llen(self.keys.items) > 0 \
            or self.server.llen(self.keys.processing) > 0
        for state in self.sites.values():
            requeue_dead(self.server, state.keys)
            self.seed_revisits(state)
            if frontier_size(self.server, state.keys):
                busy = True
        return busy

    def seed_revisits(self, state: SiteState) -> None:
        """Once per run of the site: its stored stories due for a revisit go on the frontier,
        as conditional GETs (the local crawl's start requests; the answers, 304 or a
        changed page or a withdrawal, come back as pages).  Only the ingest can choose them:
        the due dates are in the database.  So it must run while the workers crawl: a run it
        meets only after its workers left gets none (the next run does)."""
        token = self.server.get(state.keys.run)
        if token is None or token.decode() in state.revisits:
            return
        workers = [w.decode() for w in self.server.smembers(state.keys.workers)]
        if not any(self.server.exists(state.keys.alive(w)) for w in workers):
            return  # no worker crawling: nobody would take them, and the run never ends
        run = token.decode()
        state.revisits[run] = 0
        if not self.server.sadd(state.keys.revisited, run):
            return  # seeded by an ingest before this one
        site = self.profile(state)
        if site is None or not site.revisit_days or not Path(self.db).exists():
            return
        params: dict[str, Any] = {"site": state.name,
                                  "now": datetime.now(timezone.utc).isoformat()}
        params.update({f"d{i}": float(d) for i, d in enumerate(site.revisit_days)})
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        conn.row_factory = sqlite3.Row
        try:
            due = [dict(r) for r in conn.execute(
                "select coalesce(fetched_url, url) as fetch_url, etag, last_modified "
                "from articles where " + due_revisits_sql(tuple(site.revisit_days)), params)]
        finally:
            conn.close()
        state.revisits[run] = push_revisits(self.server, state.keys, due)
        if due:
            logger.info("Run %s of %s: %s stored stories due for a revisit queued", run,
                        state.name, len(due))

    # -- one page -----------------------------------------------------------------------------
    def handle(self, raw: bytes) -> None:
        try:
            page = wire.load_page(raw)
        except wire.PayloadRefused as exc:
            self.refuse(raw, exc)
            return
        state = self.site(page.site)
        run_id = self.run_row(state, page.run)
        self.room.acquire()
        with self._lock:
            self.outstanding += 1
        future = self.writer.submit(self.job(page, state, run_id),
                                    self.after(page, state, raw))
        future.add_done_callback(lambda f: self.done(f, raw))

    def refuse(self, raw: bytes, exc: Exception) -> None:
        self.counts["refused"] += 1
        logger.error("Refused an item that is not a newscrawl page: %s (kept in %s)",
                     exc, self.keys.refused_items)
        pipe = self.server.pipeline()
        pipe.lpush(self.keys.refused_items, raw[:65536])
        pipe.ltrim(self.keys.refused_items, 0, 99)
        pipe.lrem(self.keys.processing, 1, raw)
        pipe.execute()

    @staticmethod
    def job(page: wire.Page, state: SiteState, run_id: int) -> Any:
        item = page.item
        result = PageResult(article=page.article, page_print=page.page_print,
                            body_print=page.body_print, raw_gzip=page.raw_gzip,
                            template_version=page.template_version)
        fetched = PageItem(url=item["url"], final_url=item["final_url"] or item["url"],
                           site=page.site, body=b"", encoding=None,
                           status=int(item["status"] or 200), fetched_at="",
                           headers=item["headers"], fetched_url=item["fetched_url"],
                           redirects=item["redirects"], withdrawn=item["withdrawn"],
                           article=page.article, skipped=item["skipped"], result=result)

        def run(store: Store) -> tuple[str, Saved | None, bool]:
            row = store.db.execute("select outcome from ingested where id = ?",
                                   [page.id]).fetchone()
            if row is not None:
                return row[0], None, True  # stored before a kill, taken again
            if page.kind == "skip":
                store.skip(fetched.url, page.site, fetched.skipped or "unknown")
                outcome, saved = "skip", None
            else:
                if fetched.status == 200 and page.article is None:
                    raise ValueError("a page without its article")
                saved = _save(fetched, page.site, run_id)(store)
                outcome = (f"newscrawl/dedup/{saved.kind}" if saved.outcome == "duplicate"
                           else f"newscrawl/articles/{saved.outcome}")
            store.db.execute("insert into ingested (id, run_id, outcome) values (?, ?, ?)",
                             [page.id, run_id, outcome])
            return outcome, saved, False
        return run

    def after(self, page: wire.Page, state: SiteState, raw: bytes) -> Any:
        """Once committed (writer thread): note the page for :meth:`flush_acks`, which learns
        from it and acknowledges it in the main thread, so the writer thread does nothing
        but SQL."""
        def run(done: tuple[str, Saved | None, bool]) -> None:
            with self._lock:
                self._acks.append((state, page, done, raw))
        return run

    def learn(self, state: SiteState, page: wire.Page, saved: Saved | None) -> list[str]:
        """What a committed page teaches the site's template; the digests of its key URLs."""
        data = state.data
        if saved is not None and data.learning and page.kind == "page":
            if saved.outcome == "new":
                data.learn(page.page_print, page.body_print)
            if saved.outcome in ("new", "updated") or getattr(saved, "copy", False):
                data.stored(saved.article_id, PageResult(
                    article=None, page_print=page.page_print, body_print=page.body_print,
                    template_version=page.template_version))
        item = page.item
        names = {item["url"], item["final_url"], *item["redirects"]}
        if page.article is not None:
            names |= {page.article.url, page.article.page_url}
        names.discard(None)
        return [wire.digest(u) for u in names]

    def flush_acks(self) -> None:
        """For the pages committed since the last call: learn from them, then in one round
        trip their keys join the known set, new template rules are published, and they
        leave the processing list (only now: a kill before this takes them again, and
        ``ingested`` knows them)."""
        with self._lock:
            acks, self._acks = self._acks, []
        if not acks or self.failed is not None:
            return  # after a failed batch the oldest taken are not these: the next ingest
        pipe = self.server.pipeline(transaction=False)
        for state, page, (outcome, saved, again), _raw in acks:
            digests = self.learn(state, page, saved)
            if digests:
                pipe.sadd(state.keys.known, *digests)
            self.counts["again" if again else outcome] += 1
        for state in {id(a[0]): a[0] for a in acks}.values():
            rules = state.data.rules
            if rules.version != state.published:
                state.published = rules.version
                pipe.hset(state.keys.template, mapping={
                    "version": rules.version, "rules": wire.dump_rules(rules)})
        # They are the oldest pages on the list (taken in order, committed in order, a
        # refused page removed at once): trimmed from the old end, not re-sent to be found.
        pipe.ltrim(self.keys.processing, 0, -len(acks) - 1)
        pipe.execute()

    def done(self, future: Any, raw: bytes) -> None:
        with self._lock:
            self.outstanding -= 1
        self.room.release()
        exc = future.exception()
        if exc is None:
            return
        if isinstance(exc, (sqlite3.Error, RuntimeError)):
            if self.failed is None:
                self.failed = exc
                logger.error("Cannot write to the database %s: %s. Stopping; the pages of the "
                             "open batch stay on %s for the next ingest.", self.db, exc,
                             self.keys.processing)
            return
        self.refuse(raw, exc)

    # -- sites and runs -----------------------------------------------------------------------
    def site(self, name: str) -> SiteState:
        """The site's state; on first sight its template is loaded and published, and its
        stored key URLs are published in full."""
        if name in self.sites:
            return self.sites[name]
        state = SiteState(name, wire.Keys(name), DataPath(_Host(self.settings)))
        if state.data.learning:
            state.data.start_template(
                self.writer.call(lambda store: store.load_template(name)).result())
            self.push_rules(state)
        self.publish_known(state)
        self.sites[name] = state
        return state

    def push_rules(self, state: SiteState) -> None:
        """The template rules as they stand, for the workers (they poll the version)."""
        rules = state.data.rules
        self.server.hset(state.keys.template, mapping={
            "version": rules.version, "rules": wire.dump_rules(rules)})
        state.published = rules.version

    def publish_known(self, state: SiteState) -> None:
        tmp = f"{state.keys.known}:new"
        self.server.delete(tmp)
        count = 0
        if Path(self.db).exists():
            conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
            try:
                rows = conn.execute(KNOWN_SQL, {"s": state.name,
                                                "now": datetime.now(timezone.utc).isoformat()})
                while chunk := rows.fetchmany(10_000):
                    self.server.sadd(tmp, *(wire.digest(r[0]) for r in chunk))
                    count += len(chunk)
            finally:
                conn.close()
        if count:
            self.server.rename(tmp, state.keys.known)
        else:
            self.server.delete(state.keys.known)
        logger.info("Published %s known URLs of %s", count, state.name)

    def profile(self, state: SiteState) -> Any:
        """The profile the workers crawl the site with (they publish it), else the built-in."""
        from crawler.sites import SITES, SiteError, site_from_dict

        raw = self.server.get(state.keys.profile)
        try:
            if raw:
                return site_from_dict(json.loads(raw), f"the profile of {state.name} in Redis")
        except (SiteError, ValueError) as exc:
            logger.warning("Cannot read the profile of %s from Redis: %s", state.name, exc)
        return SITES.get(state.name)

    def run_row(self, state: SiteState, token: str | None) -> int:
        token = token or "unseeded"
        if token in state.runs:
            return state.runs[token]
        row = self.server.hget(state.keys.run_rows, token)
        if row is not None:
            run_id = int(row)
        else:
            run_id = self.writer.call(
                lambda store: store.start_run(state.name, mode="distributed")).result()
            self.server.hset(state.keys.run_rows, token, run_id)
            logger.info("Run %s of %s is runs.id %s", token, state.name, run_id)
        state.runs[token] = run_id
        return run_id

    def close_runs(self, state: SiteState) -> None:
        """The site's runs are over: re-extract what the final template changes, keep the
        template, write each run's row with the workers' and the ingest's counts."""
        tokens = {t.decode(): int(r) for t, r in self.server.hgetall(state.keys.run_rows).items()}
        tokens.update(state.runs)
        current = self.server.get(state.keys.run)
        if current is not None and current.decode() not in tokens \
                and self.server.exists(state.keys.run_stats(current.decode())) \
                and not self.server.sismember(state.keys.closed, current):
            # Workers crawled, no page reached the queue (every fetch failed): the run gets
            # its row and verdict all the same, not silence.
            tokens[current.decode()] = self.run_row(state, current.decode())
        if not tokens:
            return
        self.writer.flush().result()
        self.flush_acks()
        data = state.data
        extra: dict[str, Any] = {}
        if data.learning:
            rules = data.template.rules()
            data.publish(rules)
            stale = data.stale(rules)
            if stale:
                site = self.profile(state)
                if site is not None:
                    pool = data.pool()
                    done = self.writer.call(lambda store: reextract(
                        store, site, rules, workers=pool, ids=stale)).result()
                    extra = {"newscrawl/template/reextracted": done.changed,
                             "newscrawl/template/rechecked": done.checked}
                    data.close_pool()
            template = data.template
            self.writer.call(lambda store: store.save_template(state.name, template)).result()
            # The next run starts from the saved template with nothing of this run to track.
            data.close_pool()
            state.data = DataPath(_Host(self.settings))
            state.data.start_template(template)
            self.push_rules(state)
        site = self.profile(state)
        host = site.primary_host if site is not None else state.name
        max_failures = self.settings.getfloat("NEWSCRAWL_MAX_FAILURE_RATIO")
        for token, run_id in tokens.items():
            workers = self.server.hgetall(state.keys.run_stats(token))
            stats: Counter[str] = Counter()
            for blob in workers.values():
                stats.update({k: v for k, v in json.loads(blob).items()
                              if isinstance(v, (int, float))})
            for name in ("newscrawl/articles/", "newscrawl/dedup/", "newscrawl/store/"):
                for key in [k for k in stats if k.startswith(name)]:
                    del stats[key]
            if state.revisits.get(token):
                stats["newscrawl/revisits/requested"] += state.revisits[token]

            def finish(store: Store, run_id: int = run_id, stats: Counter = stats,
                       n: int = len(workers)) -> Verdict:
                for outcome, count in store.db.execute(
                        "select outcome, count(*) from ingested where run_id = ? "
                        "and outcome != 'skip' group by outcome", [run_id]):
                    stats[outcome] += count
                record = {**dict(stats), **extra, "newscrawl/distributed/workers": n,
                          "finish_reason": "finished"}
                store.finish_run(run_id, "finished", record)
                # Judged as a local crawl is, from the merged counts: every worker's fetches
                # and failures, the ingest's stored outcomes.
                verdict = judge(record, host, self.db, max_failure_ratio=max_failures)
                store.db.execute("update runs set verdict = ?, verdict_reason = ?, "
                                 "exit_code = ? where id = ?",
                                 [verdict.word, verdict.reason, verdict.exit_code, run_id])
                store.db.execute("delete from ingested where run_id = ?", [run_id])
                return verdict
            self.verdicts[run_id] = self.writer.call(finish).result()
            pipe = self.server.pipeline()
            pipe.hdel(state.keys.run_rows, token)
            pipe.delete(state.keys.run_stats(token))
            pipe.sadd(state.keys.closed, token)  # a worker's late report opens no new row
            pipe.execute()
            state.runs.pop(token, None)
            self.closed_runs.append(run_id)
            logger.info("Closed run %s of %s (%s workers): %s", run_id, state.name,
                        len(workers), self.verdicts[run_id].reason)
