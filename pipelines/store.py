"""The SQLite database: schema migrations, one row per story, aliases, the run ledger.

:class:`Store` holds the SQL of every write and lookup.  In a crawl it is driven by the one
writer thread (:mod:`pipelines.writer`), which runs each batch in one short ``BEGIN
IMMEDIATE ... COMMIT`` (:meth:`Store.transaction`), so the write lock is held for
milliseconds and never across a network wait.  Used directly (tests, small scripts) it
groups writes in transactions of ``batch_size`` articles.  Either way a crash loses at most
the open batch and never half of one; WAL lets Datasette and other readers browse meanwhile.

No lookup grows with the database: near-duplicate candidates come from banded simhash
columns (an index), known URLs are read into a compact sorted array of 64-bit hashes, and
due revisits are chosen in SQL.
"""

from __future__ import annotations

import fcntl
import gzip
import hashlib
import json
import logging
import os
import sqlite3
import time
from array import array
from bisect import bisect_left
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterator

import sqlite_utils
from sqlite_migrate import Migrations

from pipelines.article import EXTRACTOR_VERSION, Article
from pipelines.dedup import near_duplicate, simhash_similarity, SIMHASH_MIN_SIMILARITY
from pipelines.tally import errors_by_kind, skips_by_kind
from pipelines.template import Template


logger = logging.getLogger(__name__)

migrations = Migrations("newscrawl")
# How long closing waits for readers before leaving the WAL untruncated.
CHECKPOINT_WAIT_MS = 500


@migrations()
def m001_initial(db: sqlite_utils.Database) -> None:
    db["articles"].create({
        "id": int, "url": str, "site": str, "title": str, "authors": str, "published": str,
        "description": str, "text": str, "captions": str, "extras": str,
        "declared_language": str, "language": str, "language_probability": float,
        "content_hash": str, "simhash": int, "encoding": str, "fetched_url": str,
        "first_seen": str, "last_seen": str, "changed_at": str, "run_id": int,
        "extractor": str,
    }, pk="id", not_null={"url", "site", "text", "content_hash", "first_seen", "last_seen"},
        strict=True)
    db["articles"].create_index(["url"], unique=True)
    db["articles"].create_index(["site", "content_hash"])
    db["articles"].create_index(["published"])
    db["runs"].create({
        "id": int, "site": str, "started": str, "finished": str, "finish_reason": str,
        "pages": int, "new": int, "updated": int, "unchanged": int, "duplicates": int,
        "errors": int, "stats": str,
    }, pk="id", not_null={"site", "started"}, strict=True)
    db["aliases"].create({
        "url": str, "article_id": int, "kind": str, "first_seen": str,
    }, pk="url", not_null={"article_id", "kind", "first_seen"},
        foreign_keys=[("article_id", "articles", "id")], strict=True)
    db["aliases"].create_index(["article_id"])
    db["articles"].enable_fts(["title", "text"], create_triggers=True, tokenize="porter")


@migrations()
def m002_issue3_pages_templates(db: sqlite_utils.Database) -> None:
    """Raw pages (to re-extract without re-crawling), learned site templates, richer fields."""
    articles = db["articles"]
    articles.add_column("language_detector", str)
    articles.add_column("modified", str)
    articles.add_column("date_conflict", str)
    db["pages"].create({
        "article_id": int, "url": str, "fetched_at": str, "content_type": str,
        "encoding": str, "html_gzip": bytes, "extractor": str,
    }, pk="article_id", not_null={"url", "fetched_at", "html_gzip", "extractor"},
        foreign_keys=[("article_id", "articles", "id")], strict=True)
    db["templates"].create({
        "site": str, "pages": int, "bodies": int, "template": str, "updated": str,
    }, pk="site", not_null={"template", "updated"}, strict=True)


@migrations()
def m002_issue4_incremental(db: sqlite_utils.Database) -> None:
    """Scheduled runs: HTTP validators, withdrawals, past versions, skipped pages, a fuller ledger."""
    for column in ("etag", "last_modified", "withdrawn_at"):
        db["articles"].add_column(column, str)
    db["versions"].create({
        "id": int, "article_id": int, "content_hash": str, "title": str, "text": str,
        "changed_at": str, "replaced_at": str, "run_id": int,
    }, pk="id", not_null={"article_id", "content_hash", "text", "replaced_at"},
        foreign_keys=[("article_id", "articles", "id")], strict=True)
    db["versions"].create_index(["article_id"])
    # Article-shaped URLs that gave no article (a video page, an empty body): remembered so
    # that an incremental run treats them as known instead of fetching them every time.
    db["skipped_pages"].create({
        "url": str, "site": str, "reason": str, "first_seen": str, "last_seen": str,
    }, pk="url", not_null={"site", "reason", "first_seen", "last_seen"}, strict=True)
    for column, kind in (("mode", str), ("pid", int), ("listing_pages", int),
                         ("articles_fetched", int), ("not_modified", int), ("withdrawn", int),
                         ("duplicates_by_kind", str), ("errors_by_kind", str)):
        db["runs"].add_column(column, kind)


# Simhash bands: two fingerprints within SIMHASH_MAX_DISTANCE bits agree exactly on at least
# one of SIMHASH_MAX_DISTANCE + 1 disjoint bands (pigeonhole), so an index lookup of the
# page's bands finds every near-duplicate candidate without scanning the site's rows.
SIMHASH_MAX_DISTANCE = int(64 * (1 - SIMHASH_MIN_SIMILARITY))
SIMHASH_BANDS = SIMHASH_MAX_DISTANCE + 1
_BAND_BITS = [64 // SIMHASH_BANDS + (1 if i < 64 % SIMHASH_BANDS else 0)
              for i in range(SIMHASH_BANDS)]


def simhash_bands(value: int) -> list[int]:
    """The band keys of a (signed) simhash: band number in the high bits, band value low."""
    unsigned = value & ((1 << 64) - 1)
    keys, shift = [], 0
    for band, bits in enumerate(_BAND_BITS):
        keys.append((band << 16) | ((unsigned >> shift) & ((1 << bits) - 1)))
        shift += bits
    return keys


@migrations()
def m003_issue10_indexes(db: sqlite_utils.Database) -> None:
    """Indexed near-duplicate lookups, FTS re-indexed only when title or text change, and
    the template version that shaped each body."""
    db.execute("create table simhash_bands (key integer not null, article_id integer not null "
               "references articles(id), primary key (key, article_id)) without rowid")
    rows = db.execute("select id, simhash from articles where simhash is not null").fetchall()
    db.conn.executemany("insert or ignore into simhash_bands (key, article_id) values (?, ?)",
                        [(key, article_id) for article_id, value in rows
                         for key in simhash_bands(value)])
    db["articles"].add_column("template_version", str)
    db["pages"].add_column("template_version", str)
    db["articles"].create_index(["site", "withdrawn_at"], if_not_exists=True)
    # sqlite-utils' trigger re-indexes a row on every update, last_seen touches included.
    db.execute("drop trigger if exists articles_au")
    db.execute("""create trigger articles_au after update of title, text on articles
        when old.title is not new.title or old.text is not new.text begin
          insert into articles_fts (articles_fts, rowid, title, text)
            values ('delete', old.rowid, old.title, old.text);
          insert into articles_fts (rowid, title, text) values (new.rowid, new.title, new.text);
        end""")


# Languages written without spaces between words: the porter index sees a whole clause as one
# token, so a word inside it is found only by the trigram index.
TRIGRAM_LANGUAGES = "('zh', 'ja', 'ko')"


@migrations()
def m004_issue14_trigram_search(db: sqlite_utils.Database) -> None:
    """A second full-text index, trigram-tokenized, over the Chinese, Japanese and Korean
    stories: a search for a word of two or more characters finds it inside a clause.

    Only those languages are indexed (by triggers on ``articles.language``): a trigram index
    is several times the size of the text, and English is served by ``articles_fts``.
    """
    cjk = "lower(substr(coalesce({row}.language, ''), 1, 2)) in " + TRIGRAM_LANGUAGES
    old, new = cjk.format(row="old"), cjk.format(row="new")
    for sql in (
        "create virtual table articles_trigram using fts5(title, text, content='articles', "
        "content_rowid='id', tokenize='trigram')",
        "insert into articles_trigram(rowid, title, text) select id, title, text "
        f"from articles where {cjk.format(row='articles')}",
        f"""create trigger articles_trigram_ai after insert on articles when {new} begin
            insert into articles_trigram(rowid, title, text) values (new.id, new.title, new.text);
        end""",
        f"""create trigger articles_trigram_ad after delete on articles when {old} begin
            insert into articles_trigram(articles_trigram, rowid, title, text)
                values ('delete', old.id, old.title, old.text);
        end""",
        # One trigger, so the old entry always leaves the index before the new one enters.
        f"""create trigger articles_trigram_au after update of title, text, language
            on articles begin
            insert into articles_trigram(articles_trigram, rowid, title, text)
                select 'delete', old.id, old.title, old.text where {old};
            insert into articles_trigram(rowid, title, text)
                select new.id, new.title, new.text where {new};
        end""",
    ):
        db.execute(sql)


@migrations()
def m005_issue13_sites(db: sqlite_utils.Database) -> None:
    """Site profiles kept in the database (inferred on a first crawl, reused after)."""
    db["sites"].create({
        "name": str, "start_url": str, "source": str, "profile": str, "created": str,
        "updated": str,
    }, pk="name", not_null={"start_url", "source", "profile", "created", "updated"}, strict=True)
    db["sites"].create_index(["start_url"])


@migrations()
def m006_issue11_withdrawn_reason(db: sqlite_utils.Database) -> None:
    """Why a revisit withdrew a story (HTTP 404/410, or a redirect to a page that is not
    an article, such as the section front)."""
    db["articles"].add_column("withdrawn_reason", str)


# Skipped pages: reasons that the next fetch may not have (an empty 200 during a deploy, a
# story page published before its body, a worker that timed out) are retried after these
# many days since the last try, then given up; these never change by trying again.
SKIP_RETRY_DAYS = (1, 3, 7)
PERMANENT_SKIPS = ("not_html", "too_large", "not_article_url")


@migrations()
def m007_issue11_skip_retries(db: sqlite_utils.Database) -> None:
    """Skipped pages are retried with back-off: how often they were tried, and when next
    (NULL: never again).  Pages remembered before are retried once, a day after."""
    db["skipped_pages"].add_column("tries", int)
    db["skipped_pages"].add_column("next_try", str)
    db.execute("update skipped_pages set tries = 1, next_try = datetime(last_seen, '+1 day') "
               f"where reason not in ({', '.join('?' * len(PERMANENT_SKIPS))})",
               PERMANENT_SKIPS)


@migrations()
def m008_issue11_run_skips(db: sqlite_utils.Database) -> None:
    """Skips apart from errors in the ledger, as the crawl's summary shows them."""
    db["runs"].add_column("skipped", int)
    db["runs"].add_column("skipped_by_kind", str)


@migrations()
def m009_issue11_near_duplicate_rows(db: sqlite_utils.Database) -> None:
    """A near-duplicate keeps its text and page in a row of its own, marked with the story
    it nearly repeats (an updated wire story under a new URL holds new sentences); browse
    and export leave such rows out by default."""
    db["articles"].add_column("duplicate_of", int)
    db["articles"].create_index(["duplicate_of"])


@migrations()
def m010_issue11_run_verdict(db: sqlite_utils.Database) -> None:
    """The run's verdict, the same whichever command started it (``newscrawl crawl``,
    ``scrapy crawl``, a scrapyd job): ok or failed, why in words, and the exit code."""
    db["runs"].add_column("verdict", str)
    db["runs"].add_column("verdict_reason", str)
    db["runs"].add_column("exit_code", int)


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Saved:
    """What :meth:`Store.save` did: ``new``, ``updated``, ``unchanged`` or ``duplicate``.

    For a duplicate, ``url`` is the story it repeats and ``article_id`` the row holding
    this page: the story's own (an exact copy, an alias) or, for a near copy, its own row
    marked ``duplicate_of``."""

    outcome: str
    article_id: int
    url: str
    kind: str | None = None  # for duplicates: "exact" or "near"
    copy: bool = False  # a near copy stored in a row of its own (its body, its page)


class StoreError(RuntimeError):
    """The database cannot be opened or written; the message says what to do."""


def connect(path: str | Path, timeout: float = 30.0) -> sqlite_utils.Database:
    """Open (creating if needed) and migrate a database, in WAL mode with a busy timeout."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(path), timeout=timeout)
        db = sqlite_utils.Database(conn)
        db.enable_wal()
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        migrations.apply(db)
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(f"cannot open database {path}: {exc}") from exc
    return db


class DatabaseLocked(StoreError):
    """Another run holds the database's lock file."""


class RunLock:
    """An exclusive ``flock`` on ``<db>.lock``: one crawl per database at a time.

    The kernel drops the lock when the holder exits however it exits (SIGKILL included), so
    a killed run never leaves a stale lock behind.  The file holds the holder's pid for the
    message the next run prints.
    """

    def __init__(self, db_path: str | Path) -> None:
        self.path = Path(f"{db_path}.lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise DatabaseLocked(
                f"another newscrawl run (pid {self.holder() or '?'}) is writing to "
                f"{str(self.path)[:-5]}; wait for it to finish, or check that it is still "
                "running") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def holder(self) -> int | None:
        try:
            text = self.path.read_text().strip()
        except OSError:
            return None
        return int(text) if text.isdigit() else None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


class KnownUrls:
    """A compact, read-only set of URLs: a sorted array of their 64-bit hashes.

    8 bytes per URL (a Python set of the strings takes about 150), so the known-URL check of
    an incremental run stays small whatever the database's size; a lookup is a binary
    search.  Two URLs sharing a hash (odds about n^2 / 2^65) would make one look known."""

    def __init__(self, urls: Iterator[str] | list[str] = ()) -> None:
        values = array("q", sorted({self._hash(u) for u in urls}))
        self._values = values

    @staticmethod
    def _hash(url: str) -> int:
        return int.from_bytes(hashlib.blake2b(url.encode("utf-8", "surrogatepass"),
                                              digest_size=8).digest(), "big", signed=True)

    def __contains__(self, url: object) -> bool:
        if not isinstance(url, str):
            return False
        value = self._hash(url)
        i = bisect_left(self._values, value)
        return i < len(self._values) and self._values[i] == value

    def __len__(self) -> int:
        return len(self._values)

    def __bool__(self) -> bool:
        return len(self._values) > 0

    @property
    def nbytes(self) -> int:
        return self._values.itemsize * len(self._values)


@dataclass(frozen=True)
class CrawlState:
    """What the spider needs from the database to plan an incremental run."""

    known: KnownUrls
    due: tuple[dict[str, Any], ...]
    last_run_complete: bool


def due_revisits_sql(revisit_days: tuple[float, ...]) -> str:
    """The ``where`` clause of articles due for a revisit: one of its revisit points
    (``first_seen`` + days) has passed since it was last seen."""
    points = " or ".join(
        f"(julianday(first_seen) + :d{i} > julianday(last_seen) and "
        f"julianday(first_seen) + :d{i} <= julianday(:now))" for i in range(len(revisit_days)))
    return f"site = :site and withdrawn_at is null and ({points or '0'})"


def crawl_state(path: str | Path, site: str, revisit_days: tuple[float, ...],
                now: datetime | None = None) -> CrawlState:
    """Known URLs, articles due for a revisit, and whether the previous run finished.

    Read-only: the spider calls this while the writer owns the database.  Withdrawn
    articles are not revisited.
    """
    path = Path(path)
    if not path.exists():
        return CrawlState(KnownUrls(), (), False)
    now = now or datetime.now(timezone.utc)
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        known = KnownUrls(r[0] for r in conn.execute(
            "select url from articles where site = :s union all "
            "select l.url from aliases l join articles a on a.id = l.article_id "
            "where a.site = :s union all select url from skipped_pages where site = :s "
            "and (next_try is null or julianday(next_try) > julianday(:now))",
            {"s": site, "now": now.isoformat()}))
        params: dict[str, Any] = {"site": site, "now": now.isoformat()}
        params.update({f"d{i}": float(d) for i, d in enumerate(revisit_days)})
        due = tuple(dict(r) for r in conn.execute(
            "select id, url, coalesce(fetched_url, url) as fetch_url, first_seen, last_seen, "
            "etag, last_modified from articles where "
            + due_revisits_sql(tuple(revisit_days)), params))
        last = conn.execute(
            "select finish_reason from runs where site = ? and finish_reason is not null "
            "order by id desc limit 1", [site]).fetchone()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot read database {path}: {exc}") from exc
    finally:
        conn.close()
    return CrawlState(known, due, last is not None and last[0] == "finished")


def record_verdict(path: str | Path, run_id: int, verdict: str, reason: str,
                   exit_code: int, timeout: float = 30.0) -> None:
    """Write a finished run's verdict (``ok`` or ``failed``), its reason in words and its
    exit code to its row in the ledger.

    Called once the crawl's writer has closed (whichever command ran the crawl), so it is
    one short transaction of its own; it never creates a database."""
    path = Path(path)
    if not path.is_file():
        raise StoreError(f"cannot record the verdict: no database at {path}")
    try:
        conn = sqlite3.connect(f"file:{path}?mode=rw", uri=True, timeout=timeout)
        try:
            with conn:
                conn.execute("update runs set verdict = ?, verdict_reason = ?, exit_code = ? "
                             "where id = ?", [verdict, reason, exit_code, run_id])
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise StoreError(f"cannot record the verdict of run {run_id} in {path}: {exc}") from exc


class Store:
    """Articles, aliases and runs in one SQLite file, written in atomic batches."""

    def __init__(self, path: str | Path, batch_size: int = 20, timeout: float = 30.0,
                 max_bytes: int = 0) -> None:
        self.path = Path(path)
        self.db = connect(self.path, timeout)
        if max_bytes:
            # A size cap: past it SQLite fails writes with SQLITE_FULL, exactly as on a full
            # disk, so the same path stops the crawl (and tests it without filling a disk).
            page_size = self.db.execute("PRAGMA page_size").fetchone()[0]
            self.db.execute(f"PRAGMA max_page_count = {max(1, max_bytes // page_size)}")
        self.batch_size = batch_size
        self.pending = 0
        #: Seconds the write lock was held, per committed transaction (the writer reports them).
        self.hold_times: list[float] = []
        self._locked_at: float | None = None

    # -- transactions -------------------------------------------------------------------
    def _begin(self) -> None:
        if not self.db.conn.in_transaction:
            self.db.execute("BEGIN IMMEDIATE")
            self._locked_at = time.monotonic()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One short ``BEGIN IMMEDIATE ... COMMIT`` around a batch; rolled back on error.

        Waits for another writer's lock up to the busy timeout (in the caller's thread)."""
        self.commit()
        self._begin()
        try:
            yield
        except BaseException:
            self.rollback()
            raise
        self.commit()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A nested transaction: one item's writes go in whole or not at all."""
        self.db.execute("SAVEPOINT item")
        try:
            yield
        except BaseException:
            try:
                self.db.execute("ROLLBACK TO item")
                self.db.execute("RELEASE item")
            except sqlite3.Error:
                pass  # SQLite already rolled the whole transaction back (disk full): say why
            raise
        self.db.execute("RELEASE item")

    def rollback(self) -> None:
        self.pending = 0
        self._locked_at = None
        if self.db.conn.in_transaction:
            self.db.conn.rollback()

    def commit(self) -> int:
        """Commit the open batch; returns how many articles it held."""
        done, self.pending = self.pending, 0
        if self.db.conn.in_transaction:
            self.db.conn.commit()
            if self._locked_at is not None:
                self.hold_times.append(time.monotonic() - self._locked_at)
        self._locked_at = None
        return done

    def close(self) -> None:
        self.commit()
        try:
            # A reader still open (Datasette) would make TRUNCATE wait the whole busy timeout:
            # wait briefly, then leave the WAL for the next checkpoint.
            self.db.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
            busy = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
            if busy:
                logger.info("WAL of %s not truncated: a reader is open; the next run or "
                            "reader checkpoints it", self.path)
        except sqlite3.Error as exc:
            logger.warning("WAL checkpoint of %s skipped: %s", self.path, exc)
        self.db.conn.close()

    # -- lookups ------------------------------------------------------------------------
    def find(self, url: str) -> dict[str, Any] | None:
        """The stored story for ``url``, directly or through an alias.

        The row carries ``alias_kind``: NULL for the story's own URL, else the alias kind.
        """
        rows = list(self.db.query(
            "select *, null as alias_kind from articles where url = :u union all "
            "select a.*, l.kind from aliases l join articles a on a.id = l.article_id "
            "where l.url = :u limit 1", {"u": url}))
        return rows[0] if rows else None

    def _near(self, site: str, article: Article) -> dict[str, Any] | None:
        """A stored story of ``site`` whose body is nearly this one: candidates from the
        simhash band index, confirmed by word-shingle overlap."""
        keys = simhash_bands(article.simhash)
        # CROSS JOIN keeps the band index the outer loop: with a plain join SQLite's planner
        # walks every article of the site (its site index) and probes the bands, a cost that
        # grows with the database (0.8 ms a save at 1,000 rows).
        candidates = self.db.execute(
            "select distinct a.id, a.simhash from simhash_bands b cross join articles a "
            f"on a.id = b.article_id where b.key in ({','.join('?' * len(keys))}) "
            "and a.site = ?", [*keys, site]).fetchall()
        for article_id, value in candidates:
            if value is not None and \
                    simhash_similarity(article.simhash, value) >= SIMHASH_MIN_SIMILARITY:
                row = self.db["articles"].get(article_id)
                if near_duplicate(article.text, row["text"]):
                    return row
        return None

    def _index_simhash(self, article_id: int, value: int, old: int | None) -> None:
        """Index the story's bands, dropping those of ``old``, the simhash indexed before
        (None for a new row).  By key and id, the table's primary key: a delete by id
        alone scans the whole table, a cost per save that grows with the database."""
        if old is not None:
            self.db.conn.executemany(
                "delete from simhash_bands where key = ? and article_id = ?",
                [(key, article_id) for key in simhash_bands(old)])
        self.db.conn.executemany(
            "insert or ignore into simhash_bands (key, article_id) values (?, ?)",
            [(key, article_id) for key in simhash_bands(value)])

    # -- writes -------------------------------------------------------------------------
    # The hot path writes with plain parameterized SQL: sqlite-utils' insert and update
    # build their statements in Python on every call, which cost the writer more than SQLite.
    def _insert(self, table: str, row: dict[str, Any]) -> int:
        columns = list(row)
        cursor = self.db.execute(
            f"insert into {table} ({', '.join(columns)}) "
            f"values ({', '.join('?' * len(columns))})", [row[c] for c in columns])
        return cursor.lastrowid

    def _update(self, article_id: int, changes: dict[str, Any]) -> None:
        columns = list(changes)
        self.db.execute(f"update articles set {', '.join(f'{c} = ?' for c in columns)} "
                        "where id = ?", [*(changes[c] for c in columns), article_id])

    def _alias(self, url: str | None, article_id: int, kind: str, now: str) -> None:
        if not url:
            return
        self.db.execute(
            "insert into aliases (url, article_id, kind, first_seen) values (?, ?, ?, ?) "
            "on conflict(url) do nothing", [url, article_id, kind, now])

    def save(self, article: Article, site: str, run_id: int | None = None,
             fetched_url: str | None = None, now: str | None = None,
             etag: str | None = None, last_modified: str | None = None,
             raw: bytes | None = None, content_type: str | None = None,
             raw_gzip: bytes | None = None, template_version: str | None = None,
             fetched_as: str | None = None, redirects: tuple[str, ...] = ()) -> Saved:
        """Store ``article``: insert a new story, update a changed one, or record a duplicate.

        ``fetched_url`` is the key of the URL the page came from, ``fetched_as`` that URL
        as fetched (stored, and what a revisit requests), ``redirects`` the keys of the
        URLs that redirected to it: all of them become aliases of the story, so none is
        fetched again as a new link.

        A story is found by its URL or any alias; failing that, a body already stored
        exactly under another URL makes this URL an alias of it, and a body nearly stored
        (Simhash + shingles) gets a row of its own marked ``duplicate_of`` that story, so
        what it adds is kept; a re-crawl of its URL updates that row.
        The page as fetched is kept for new and changed stories (``raw_gzip`` when a worker
        already compressed it, else ``raw``); an unchanged revisit does not rewrite it.
        """
        if not article.url:
            raise ValueError("an article needs a URL to be stored (give --url for a file)")
        now = now or utcnow()
        self._begin()
        names = (article.url, fetched_url, article.page_url, *redirects)
        urls = [u for u in dict.fromkeys(names) if u]
        # A page skipped before that has its article now (retried) is skipped no more.
        self.db.execute(f"delete from skipped_pages where url in ({', '.join('?' * len(urls))})",
                        urls)
        existing = next((row for row in (self.find(u) for u in dict.fromkeys(names) if u)
                         if row is not None), None)
        fields = {
            "title": article.title, "authors": json.dumps(article.authors, ensure_ascii=False),
            "published": article.published, "description": article.description,
            "text": article.text, "captions": json.dumps(article.captions, ensure_ascii=False),
            "extras": json.dumps(article.extras, ensure_ascii=False),
            "declared_language": article.declared_language, "language": article.language,
            "language_probability": article.language_probability,
            "content_hash": article.content_hash, "simhash": article.simhash,
            "encoding": article.encoding,
            "fetched_url": fetched_as or fetched_url or article.page_url,
            "language_detector": article.language_detector, "modified": article.modified,
            "date_conflict": article.date_conflict,
            "last_seen": now, "run_id": run_id, "extractor": EXTRACTOR_VERSION,
            "etag": etag, "last_modified": last_modified, "withdrawn_at": None,
            "withdrawn_reason": None,
            "template_version": template_version,
        }
        page = (raw_gzip, raw, fetched_as or fetched_url or article.page_url, now, content_type,
                article.encoding, template_version)
        if existing is not None and existing["alias_kind"] in ("exact", "near"):
            # A known re-post: never let it overwrite the story it duplicates.
            self._update(existing["id"], {"last_seen": now})
            return self._done(Saved("duplicate", existing["id"], existing["url"],
                                    existing["alias_kind"]))
        if existing is not None:
            article_id = existing["id"]
            for url in names:
                if url and url != existing["url"]:
                    self._alias(url, article_id, "redirect" if url in redirects else "url", now)
            if existing["content_hash"] == article.content_hash:
                self._update(article_id, {
                    "last_seen": now, "run_id": run_id, "etag": etag,
                    "last_modified": last_modified, "withdrawn_at": None,
                    "withdrawn_reason": None})
                outcome = "unchanged"
            else:
                self._insert("versions", {
                    "article_id": article_id, "content_hash": existing["content_hash"],
                    "title": existing["title"], "text": existing["text"],
                    "changed_at": existing["changed_at"], "replaced_at": now,
                    "run_id": run_id})
                self._update(article_id, {**fields, "changed_at": now})
                self._index_simhash(article_id, article.simhash, existing["simhash"])
                self._page(article_id, *page)
                outcome = "updated"
            return self._done(Saved(outcome, article_id, existing["url"]))

        # An exact copy is an alias of the story (nothing of it is new); a story's own row
        # is preferred to a near copy's.
        duplicate = next(iter(self.db.query(
            "select * from articles where site = ? and content_hash = ? "
            "order by duplicate_of is not null, id limit 1", [site, article.content_hash])), None)
        if duplicate is not None:
            for url in names:
                if url and url != duplicate["url"]:
                    self._alias(url, duplicate["id"], "exact", now)
            self._update(duplicate["id"], {"last_seen": now})
            return self._done(Saved("duplicate", duplicate["id"], duplicate["url"], "exact"))
        near = self._near(site, article)
        if near is not None and near["duplicate_of"] is not None:
            near = self.db["articles"].get(near["duplicate_of"])  # the story, not a copy of it

        # A new story, or a near copy of one: a row of its own either way, so its text and
        # page are kept (a re-crawl of it finds this row by URL and updates it).
        article_id = self._insert(
            "articles",
            {"url": article.url, "site": site, "first_seen": now, "changed_at": now, **fields,
             "duplicate_of": near["id"] if near is not None else None})
        self._index_simhash(article_id, article.simhash, None)
        self._page(article_id, *page)
        for url in names:
            if url and url != article.url:
                self._alias(url, article_id, "redirect" if url in redirects else "url", now)
        if near is not None:
            return self._done(Saved("duplicate", article_id, near["url"], "near", copy=True))
        return self._done(Saved("new", article_id, article.url))

    def _page(self, article_id: int, raw_gzip: bytes | None, raw: bytes | None,
              url: str | None, now: str, content_type: str | None, encoding: str | None,
              template_version: str | None) -> None:
        """Keep the page as fetched (gzip) so bodies can be rebuilt without re-crawling."""
        if raw_gzip is None:
            if raw is None:
                return
            raw_gzip = gzip.compress(raw, compresslevel=6)
        self.db.execute(
            "insert into pages (article_id, url, fetched_at, content_type, encoding, html_gzip, "
            "extractor, template_version) values (?, ?, ?, ?, ?, ?, ?, ?) "
            "on conflict(article_id) do update set url = excluded.url, "
            "fetched_at = excluded.fetched_at, content_type = excluded.content_type, "
            "encoding = excluded.encoding, html_gzip = excluded.html_gzip, "
            "extractor = excluded.extractor, template_version = excluded.template_version",
            [article_id, url or "", now, content_type, encoding, raw_gzip, EXTRACTOR_VERSION,
             template_version])

    def not_modified(self, url: str, run_id: int | None = None, now: str | None = None) -> Saved:
        """A revisit answered 304: the story was seen again, nothing else changes."""
        return self._revisited(url, {"last_seen": now or utcnow(), "run_id": run_id},
                               "not_modified")

    def withdraw(self, url: str, run_id: int | None = None, now: str | None = None,
                 reason: str | None = None) -> Saved:
        """A revisit found the story gone (404/410, or redirected to a page that is not an
        article): mark it withdrawn, keeping the first date and its reason."""
        now = now or utcnow()
        row = self.find(url)
        if row and row["withdrawn_at"]:
            since, reason = row["withdrawn_at"], row.get("withdrawn_reason") or reason
        else:
            since = now
        return self._revisited(url, {"withdrawn_at": since, "withdrawn_reason": reason,
                                     "last_seen": now, "run_id": run_id}, "withdrawn")

    def _revisited(self, url: str, changes: dict[str, Any], outcome: str) -> Saved:
        self._begin()
        row = self.find(url)
        if row is None:
            return self._done(Saved("unknown", 0, url))
        self._update(row["id"], changes)
        return self._done(Saved(outcome, row["id"], row["url"]))

    def skip(self, url: str, site: str, reason: str, now: str | None = None) -> None:
        """Remember an article-shaped URL that gave no article, so it counts as known until
        its next try (:data:`SKIP_RETRY_DAYS` after each try; never for
        :data:`PERMANENT_SKIPS`, nor after the last back-off)."""
        now = now or utcnow()
        self._begin()
        row = self.db.execute("select tries from skipped_pages where url = ?", [url]).fetchone()
        tries = (row[0] or 1) + 1 if row else 1
        next_try = None
        if reason not in PERMANENT_SKIPS and tries <= len(SKIP_RETRY_DAYS):
            when = datetime.fromisoformat(now) + timedelta(days=SKIP_RETRY_DAYS[tries - 1])
            next_try = when.isoformat(timespec="seconds")
        self.db.execute(
            "insert into skipped_pages (url, site, reason, first_seen, last_seen, tries, "
            "next_try) values (?, ?, ?, ?, ?, ?, ?) on conflict(url) do update set "
            "reason = excluded.reason, last_seen = excluded.last_seen, "
            "tries = excluded.tries, next_try = excluded.next_try",
            [url, site, reason, now, now, tries, next_try])

    def _done(self, saved: Saved) -> Saved:
        self.pending += 1
        if self.batch_size and self.pending >= self.batch_size:
            self.commit()
        return saved

    # -- the run ledger -------------------------------------------------------------------
    def start_run(self, site: str, now: str | None = None, mode: str | None = None) -> int:
        """Open a run row.  Runs left open by a killed process are closed as ``interrupted``
        (the caller holds the run lock, so no other run can still be live)."""
        self.commit()
        with self.db.atomic():
            self.db.execute("update runs set finish_reason = 'interrupted' "
                            "where finished is null and finish_reason is null")
            run_id = self.db["runs"].insert({"site": site, "started": now or utcnow(),
                                             "mode": mode, "pid": os.getpid()},
                                            pk="id").last_pk
        return run_id

    def finish_run(self, run_id: int, reason: str, stats: dict[str, Any],
                   now: str | None = None) -> None:
        self.commit()
        def by_kind(*prefixes: str) -> str:
            return json.dumps({k.rsplit("/", 1)[-1]: v for k, v in sorted(stats.items())
                               if k.startswith(prefixes)})

        errors, skipped = errors_by_kind(stats), skips_by_kind(stats)
        counts = {
            "listing_pages": stats.get("newscrawl/pages/listing", 0),
            "articles_fetched": stats.get("newscrawl/pages/article", 0),
            "not_modified": stats.get("newscrawl/articles/not_modified", 0),
            "withdrawn": stats.get("newscrawl/articles/withdrawn", 0),
            "duplicates_by_kind": by_kind("newscrawl/dedup/"),
            # As the summary counts them: a page without an article is a skip, not an error,
            # and a download failure is one error however many tries it took (the tries are
            # in ``stats``, downloader/exception_type_count/*).
            "errors_by_kind": json.dumps(errors),
            "skipped_by_kind": json.dumps(skipped),
            "skipped": sum(skipped.values()),
            "pages": stats.get("response_received_count", 0),
            "new": stats.get("newscrawl/articles/new", 0),
            "updated": stats.get("newscrawl/articles/updated", 0),
            "unchanged": stats.get("newscrawl/articles/unchanged", 0),
            "duplicates": sum(v for k, v in stats.items() if k.startswith("newscrawl/dedup/")),
            "errors": sum(errors.values()),
        }
        with self.db.atomic():
            self.db["runs"].update(run_id, {
                "finished": now or utcnow(), "finish_reason": reason, **counts,
                "stats": json.dumps(stats, default=str, sort_keys=True)})

    # -- site templates and re-extraction -------------------------------------------------
    def load_template(self, site: str) -> Template:
        row = next(self.db.query("select template from templates where site = ?", [site]), None)
        return Template.from_dict(json.loads(row["template"])) if row else Template()

    def save_template(self, site: str, template: Template, now: str | None = None) -> None:
        data = json.dumps(template.to_dict())  # megabytes for a big site: before the lock
        self._begin()
        self.db.execute(
            "insert into templates (site, pages, bodies, template, updated) values "
            "(?, ?, ?, ?, ?) on conflict(site) do update set pages = excluded.pages, "
            "bodies = excluded.bodies, template = excluded.template, updated = excluded.updated",
            [site, template.n_pages, template.n_bodies, data, now or utcnow()])
        self.commit()

    def stored_pages(self, site: str | None = None, run_id: int | None = None,
                     chunk: int = 200, ids: list[int] | None = None,
                     compressed: bool = False) -> Iterator[dict[str, Any]]:
        """Stored raw pages with their article's id, URL, site and content hash, in id order.

        The ids are read in keyset-paginated chunks (``id > last``) and each page on its own
        when it is wanted, so memory holds one page whatever the database's size, and no
        read transaction stays open across the caller's work (writers, this store's own
        included, commit in between).  ``ids`` keeps only those articles; ``compressed``
        gives each page as stored (``html_gzip``), for a worker to decompress."""
        if ids is not None:
            wanted = sorted(ids)
            chunks: Iterator[list[int]] = (wanted[i:i + chunk]
                                           for i in range(0, len(wanted), chunk))
        else:
            chunks = self._id_chunks(site, run_id, chunk)
        for part in chunks:
            for article_id in part:
                row = self.db.execute(
                    "select a.id, a.url, a.site, a.content_hash, p.url, p.encoding, "
                    "p.html_gzip from pages p join articles a on a.id = p.article_id "
                    "where a.id = ?" + (" and a.site = ?" if site else ""),
                    [article_id, *([site] if site else [])]).fetchone()
                if row is None:
                    continue
                _id, url, site_name, content, page_url, encoding, html = row
                page = {"id": article_id, "url": url, "site": site_name,
                        "content_hash": content, "page_url": page_url, "encoding": encoding}
                if compressed:
                    page["html_gzip"] = html
                else:
                    page["html"] = gzip.decompress(html)
                yield page

    def _id_chunks(self, site: str | None, run_id: int | None,
                   chunk: int) -> Iterator[list[int]]:
        where, params = ["a.id > ?"], []
        if site is not None:
            where.append("a.site = ?")
            params.append(site)
        if run_id is not None:
            where.append("a.run_id = ?")
            params.append(run_id)
        sql = ("select a.id from pages p join articles a on a.id = p.article_id where "
               + " and ".join(where) + " order by a.id limit ?")
        last = 0
        while True:
            part = [r[0] for r in self.db.execute(sql, [last, *params, chunk]).fetchall()]
            if not part:
                return
            last = part[-1]
            yield part

    def rewrite(self, article_id: int, article: Article,
                template_version: str | None = None) -> None:
        """Replace a stored body after re-extraction (same story, same URL)."""
        self._begin()
        old = self.db.execute("select simhash from articles where id = ?",
                              [article_id]).fetchone()
        self._update(article_id, {
            "title": article.title, "authors": json.dumps(article.authors, ensure_ascii=False),
            "published": article.published, "modified": article.modified,
            "date_conflict": article.date_conflict, "description": article.description,
            "text": article.text, "captions": json.dumps(article.captions, ensure_ascii=False),
            "extras": json.dumps(article.extras, ensure_ascii=False),
            "declared_language": article.declared_language, "language": article.language,
            "language_probability": article.language_probability,
            "language_detector": article.language_detector,
            "content_hash": article.content_hash, "simhash": article.simhash,
            "extractor": EXTRACTOR_VERSION, "template_version": template_version})
        self._index_simhash(article_id, article.simhash, old[0] if old else None)

    def mark_extracted(self, article_id: int, template_version: str | None) -> None:
        """Record that re-extraction with this extractor and template kept the body."""
        self._begin()
        # Only the article row: touching the pages row would make SQLite rewrite the stored
        # page (a row is rewritten whole), megabytes of WAL for a version string.
        self.db.execute("update articles set extractor = ?, template_version = ? where id = ?",
                        [EXTRACTOR_VERSION, template_version, article_id])
        self._done(Saved("updated", article_id, ""))

    def count(self) -> int:
        return self.db["articles"].count

    def rows(self, sql: str = "select * from articles order by id",
             params: Any = None) -> Iterator[dict[str, Any]]:
        return self.db.query(sql, params or [])
