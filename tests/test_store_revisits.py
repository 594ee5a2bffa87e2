"""Store pieces of scheduled runs, in process: the run lock, due revisits, versions."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from pipelines.store import DatabaseLocked, RunLock, Store, crawl_state
from tests.test_store import BODY, OTHER, URL, article

T0 = datetime(2025, 7, 1, 12, 0, tzinfo=timezone.utc)


def iso(t: datetime) -> str:
    return t.isoformat(timespec="seconds")


def test_run_lock_refuses_a_second_holder_and_is_released_when_its_process_dies(tmp_path):
    db = tmp_path / "a.db"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from pipelines.store import RunLock; "
         f"RunLock({str(db)!r}).acquire(); print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(DatabaseLocked, match=f"pid {holder.pid}"):
            RunLock(db).acquire()
    finally:
        holder.kill()
        holder.wait()
    lock = RunLock(db)
    lock.acquire()  # the kernel dropped the dead holder's lock
    lock.release()


@pytest.mark.parametrize(("age_days", "last_seen_days", "due"), [
    (0.5, 0.5, False),   # too young
    (1.5, 1.5, True),    # 1-day point passed, not seen since
    (1.5, 0.2, False),   # seen after the 1-day point
    (8, 3, True),        # revisited on day 1 (5 days ago), the 7-day point passed since
    (8, 8, True),        # both points missed: one revisit
    (30, 20, False),     # both points done
])
def test_due_revisits(tmp_path, age_days, last_seen_days, due):
    store = Store(tmp_path / "a.db")
    first = iso(T0 - timedelta(days=age_days))
    store.save(article(URL), "bjreview", now=first)
    store.db["articles"].update(1, {"last_seen": iso(T0 - timedelta(days=last_seen_days))})
    store.close()
    state = crawl_state(tmp_path / "a.db", "bjreview", (1, 7), now=T0)
    assert [r["url"] for r in state.due] == ([URL] if due else [])
    assert URL in state.known and len(state.known) == 1 and URL + "x" not in state.known


def test_changed_body_keeps_a_version_and_withdrawal_keeps_the_row(tmp_path):
    store = Store(tmp_path / "a.db")
    store.save(article(URL), "bjreview", now=iso(T0))
    changed = BODY.replace("48 hours", "two days")
    assert store.save(article(URL, changed), "bjreview",
                      now=iso(T0 + timedelta(days=1))).outcome == "updated"
    assert store.save(article(URL, changed), "bjreview").outcome == "unchanged"
    [version] = store.rows("select * from versions")
    assert (version["text"], version["changed_at"], version["replaced_at"]) == (
        BODY, iso(T0), iso(T0 + timedelta(days=1)))
    assert store.withdraw(URL, now=iso(T0 + timedelta(days=7))).outcome == "withdrawn"
    store.withdraw(URL, now=iso(T0 + timedelta(days=8)))
    row = store.db["articles"].get(1)
    assert row["withdrawn_at"] == iso(T0 + timedelta(days=7)) and row["text"] == changed
    assert store.withdraw(OTHER).outcome == "unknown"
    store.close()
    assert crawl_state(tmp_path / "a.db", "bjreview", (1, 7)).due == ()


def test_skipped_pages_back_off_1_3_7_days_then_stop_and_permanent_reasons_never_retry(tmp_path):
    db = tmp_path / "a.db"
    store = Store(db, batch_size=1)
    page, video = "https://a.test/world/2025/story", "https://a.test/world/2025/video"
    tried, waits = T0, []
    for _ in range(4):
        store.skip(page, "s", "no_body", now=iso(tried))
        store.skip(video, "s", "not_html", now=iso(tried))
        store.commit()
        rows = {r["url"]: r for r in store.rows("select * from skipped_pages")}
        next_try = rows[page]["next_try"]
        waits.append(next_try and datetime.fromisoformat(next_try) - tried)
        assert rows[video]["next_try"] is None
        # Known (not fetched) until the next try is due, then a link to try again.
        assert page in crawl_state(db, "s", (), now=tried + timedelta(hours=1)).known
        if rows[page]["next_try"] is not None:
            due = datetime.fromisoformat(rows[page]["next_try"]) + timedelta(minutes=1)
            assert page not in crawl_state(db, "s", (), now=due).known
            assert video in crawl_state(db, "s", (), now=due).known
            tried = due
    assert waits == [timedelta(days=1), timedelta(days=3), timedelta(days=7), None]
    assert rows[page]["tries"] == 4
    # Stored at last (a retry found the body): no longer a skipped page.
    store.save(article(URL), "s", fetched_url=page, now=iso(tried))
    store.commit()
    assert [r["url"] for r in store.rows("select url from skipped_pages")] == [video]
    store.close()
