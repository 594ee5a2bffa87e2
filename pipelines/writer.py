"""The one writer: a thread that owns the database connection and commits in short batches.

Producers (the crawl's item pipelines in the reactor thread, ``newscrawl extract --db``,
``newscrawl ingest``) hand it jobs, plain functions of a :class:`~pipelines.store.Store`, and
get a future back.  The writer accumulates jobs in memory and runs each batch in one short
``BEGIN IMMEDIATE ... COMMIT``, flushed when ``flush_rows`` jobs are waiting or the oldest has
waited ``flush_seconds``.  So the write lock is held for the milliseconds the SQL takes,
never across a network wait, and waiting for another writer's lock blocks this thread, not
the reactor.  A job's future resolves only once its transaction has committed: whatever a
caller counts as stored is on disk, and a SIGKILL loses at most the last ``flush_seconds``.
"""

from __future__ import annotations

import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from pipelines.store import Store

logger = logging.getLogger(__name__)

# Another writer holding the lock longer than the busy timeout: try again after this long,
# up to LOCK_RETRY_SECONDS in all, before the batch fails.
LOCK_RETRY_PAUSE = 1.0
LOCK_RETRY_SECONDS = 600.0


@dataclass
class Job:
    """One unit of work: ``run(store)`` inside the batch's transaction (in a savepoint of its
    own), then ``after(result)`` once committed, in the writer thread."""

    run: Callable[[Store], Any]
    after: Callable[[Any], None] | None = None
    future: Future = field(default_factory=Future)
    queued: float = field(default_factory=time.monotonic)


_STOP = object()
_FLUSH = object()


class Writer:
    """A thread owning one :class:`Store`; :meth:`submit` returns a future of a job's result.

    ``call`` runs a job alone (its own transaction, or none when the job opens its own),
    for work that commits in steps (re-extraction) or that must follow every queued row
    (closing a run)."""

    def __init__(self, open_store: Callable[[], Store], flush_rows: int = 200,
                 flush_seconds: float = 1.0, name: str = "newscrawl-writer") -> None:
        self.flush_rows = max(1, flush_rows)
        self.flush_seconds = max(0.0, flush_seconds)
        self._open_store = open_store
        self._queue: queue.Queue[Any] = queue.Queue()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.store: Store | None = None
        self.commits = 0
        self.rows = 0
        self._thread = threading.Thread(target=self._main, name=name, daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    # -- producers ----------------------------------------------------------------------------
    def submit(self, run: Callable[[Store], Any],
               after: Callable[[Any], None] | None = None) -> Future:
        """Queue a job for the next batch; the future resolves after its commit."""
        job = Job(run, after)
        if not self._thread.is_alive():
            job.future.set_exception(RuntimeError("the database writer has stopped"))
            return job.future
        self._queue.put(job)
        return job.future

    def call(self, run: Callable[[Store], Any]) -> Future:
        """Run ``run(store)`` alone, after every job queued before it; ``run`` manages its own
        transactions (e.g. one per chunk of re-extracted pages)."""
        job = Job(run)
        self._queue.put((_FLUSH, job))
        return job.future

    def flush(self) -> Future:
        """A future that resolves once everything queued so far is committed."""
        return self.call(lambda store: None)

    def close(self, timeout: float | None = None) -> None:
        """Commit what is queued, close the database, stop the thread."""
        if self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)

    @property
    def hold_times(self) -> list[float]:
        return self.store.hold_times if self.store is not None else []

    # -- the writer thread -------------------------------------------------------------------
    def _main(self) -> None:
        try:
            self.store = self._open_store()
            self.store.batch_size = 0  # batches are ours: the store never commits by count
        except BaseException as exc:  # reported to the constructor's caller
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        pending: list[Job] = []
        try:
            while True:
                wait = None
                if pending:
                    wait = max(0.0, pending[0].queued + self.flush_seconds - time.monotonic())
                try:
                    item = self._queue.get(timeout=wait)
                except queue.Empty:
                    item = None
                if item is _STOP:
                    self._flush(pending)
                    break
                if isinstance(item, tuple) and item[0] is _FLUSH:
                    self._flush(pending)
                    self._alone(item[1])
                    continue
                if item is not None:
                    pending.append(item)
                    # What queued up while the last batch ran joins this one: judged one by
                    # one, each of those jobs is already older than flush_seconds and would
                    # be committed alone (100 one-row transactions in 500 rows, seen).
                    control = self._take_waiting(pending)
                    if control is _STOP:
                        self._flush(pending)
                        break
                    if control is not None:  # a job to run alone, after this batch
                        self._flush(pending)
                        self._alone(control[1])
                        continue
                if pending and (len(pending) >= self.flush_rows or item is None or
                                time.monotonic() - pending[0].queued >= self.flush_seconds):
                    self._flush(pending)
        finally:
            self._fail_queued(RuntimeError("the database writer has stopped"))
            try:
                self.store.close()
            except sqlite3.Error as exc:
                logger.warning("Closing the database: %s", exc)

    def _take_waiting(self, pending: list[Job]) -> Any:
        """Move the jobs already queued into ``pending`` (up to ``flush_rows``); returns a
        control item (stop, flush) met on the way, which ends the taking."""
        while len(pending) < self.flush_rows:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return None
            if item is _STOP or isinstance(item, tuple) and item[0] is _FLUSH:
                return item
            pending.append(item)
        return None

    def _alone(self, job: Job) -> None:
        try:
            result = job.run(self.store)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            self.store.rollback()
            job.future.set_exception(exc)
        else:
            self.store.commit()
            job.future.set_result(result)

    def _flush(self, pending: list[Job]) -> None:
        """Run and commit one batch; on a database error every job of it fails, uncommitted."""
        if not pending:
            return
        batch = list(pending)
        pending.clear()
        outcomes: list[tuple[Job, Any, BaseException | None]] = []
        try:
            self._begin()
            for job in batch:
                try:
                    with self.store.savepoint():
                        outcomes.append((job, job.run(self.store), None))
                except sqlite3.Error:
                    raise
                except Exception as exc:  # noqa: BLE001 - this job's own error (bad input)
                    outcomes.append((job, None, exc))
            self.store.commit()
        except sqlite3.Error as exc:
            self.store.rollback()
            logger.error("A batch of %d rows was rolled back: %s", len(batch), exc)
            for job in batch:
                job.future.set_exception(exc)
            return
        self.commits += 1
        self.rows += len(batch)
        for job, result, error in outcomes:
            if error is not None:
                job.future.set_exception(error)
                continue
            if job.after is not None:
                try:
                    job.after(result)
                except Exception:  # noqa: BLE001 - never lose the commit's news for it
                    logger.exception("After-commit step failed")
            job.future.set_result(result)

    def _begin(self) -> None:
        """BEGIN IMMEDIATE, waiting out another writer (``extract --db``, ``reextract``)."""
        deadline = time.monotonic() + LOCK_RETRY_SECONDS
        while True:
            try:
                self.store.commit()
                self.store._begin()
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc) \
                        or time.monotonic() > deadline:
                    raise
                logger.warning("The database is locked by another writer; waiting")
                time.sleep(LOCK_RETRY_PAUSE)

    def _fail_queued(self, exc: BaseException) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            job = item[1] if isinstance(item, tuple) else item
            if isinstance(job, Job) and not job.future.done():
                job.future.set_exception(exc)
