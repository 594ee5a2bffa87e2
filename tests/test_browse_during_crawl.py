"""Browsing while a crawl writes: readers never see "database is locked" and never block it."""

from __future__ import annotations

import asyncio
import random
import sqlite3
import threading
import time

from crawler.browse import make_datasette
from pipelines.dedup import content_hash, simhash
from pipelines.extract import Article
from pipelines.store import Store

WORDS = ("summit trade climate ocean forum railway energy cooperation delegation treaty "
         "harvest market port bridge festival vaccine election budget tariff satellite").split()


def article(i: int) -> Article:
    """A distinct story per ``i`` (seeded words, so no two are near-duplicates)."""
    rng = random.Random(i)
    text = "\n".join(" ".join(rng.choice(WORDS) for _ in range(40)) + f" story{i}."
                     for _ in range(4))
    url = f"https://www.bjreview.com/World/202506/t202506{1 + i % 28:02d}_{800000000 + i}.html"
    return Article(url=url, page_url=url, title=f"Story {i} on the summit", authors=["A. Writer"],
                   published=f"2025-06-{1 + i % 28:02d}", description=None, text=text,
                   language="en", language_probability=0.99, content_hash=content_hash(text),
                   simhash=simhash(text))


def test_a_reader_holding_a_snapshot_does_not_block_the_writer(tmp_path):
    db = tmp_path / "live.db"
    # A short busy timeout: if a reader blocked the writer, saving would fail, not wait.
    store = Store(db, batch_size=5, timeout=0.2)
    store.save(article(0), "bjreview")
    store.commit()
    reader = sqlite3.connect(db.resolve().as_uri() + "?mode=ro", uri=True, timeout=0.2)
    reader.execute("begin")
    assert reader.execute("select count(*) from articles").fetchone() == (1,)
    for i in range(1, 31):
        store.save(article(i), "bjreview")
    store.commit()
    # The open read sees its snapshot; a fresh read sees everything committed.
    assert reader.execute("select count(*) from articles").fetchone() == (1,)
    reader.execute("commit")
    assert reader.execute("select count(*) from articles").fetchone() == (31,)
    store.close()  # its checkpoint must not fail because a reader is connected
    reader.close()


def test_datasette_serves_while_a_crawl_writes(tmp_path):
    db = tmp_path / "live.db"
    seed = Store(db)
    seed.save(article(0), "bjreview")
    seed.close()
    total, errors, done = 150, [], threading.Event()

    def write() -> None:
        try:
            store = Store(db, batch_size=5, timeout=0.5)
            for i in range(1, total):
                store.save(article(i), "bjreview")
                time.sleep(0.01)  # a crawl writes as pages arrive, not in one burst
            store.close()
        except Exception as exc:  # reported to the main thread, which fails the test
            errors.append(exc)
        finally:
            done.set()

    async def read() -> list[int]:
        client = make_datasette(db).client

        async def count() -> int:
            for path in ("/live/articles.json?_search=summit&_size=5",
                         "/live/per_day.json", "/live/articles?_search=treaty"):
                response = await client.get(path)
                assert response.status_code == 200, response.text[:500]
                assert "locked" not in response.text
            response = await client.get("/live/articles.json?_size=0")
            return response.json()["filtered_table_rows_count"]

        seen = []
        while not done.is_set():
            seen.append(await count())
        seen.append(await count())
        return seen

    writer = threading.Thread(target=write)
    writer.start()
    seen = asyncio.run(read())
    writer.join()
    assert not errors, errors
    assert seen == sorted(seen), "a reader saw rows disappear"
    assert seen[-1] == total
    assert len(set(seen)) > 2, f"the reader never read mid-crawl: {seen[:5]}...{seen[-5:]}"
