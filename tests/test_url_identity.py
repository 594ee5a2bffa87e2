"""URL identity over real crawls of hostile fixture sites on 127.0.0.1: what is requested is
what was linked, identity is the key URL, and both hold across consecutive runs."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tests.conftest import FAST, newscrawl, query
from tests.fixture_site import ARTICLES
from tests.hostile import article_html, hostile, html, listing, redirect, sequence, status

STORIES = [a for a in ARTICLES if a.lang == "en"]


def story(i: int) -> str:
    """A page holding a real fixture story (distinct prose, so no two are near-duplicates)."""
    a = STORIES[i]
    return article_html(i, title=a.title,
                        body="".join(f"<p>{p}</p>" for p in a.body[:6]))


def write_site(tmp_path: Path, base: str, article_pattern: str,
               listing_pattern: str = r"^/world/(?:page-(\d+))?$", **fields: object) -> Path:
    host = base.split("://", 1)[1]
    lines = ['name = "slashless"', f'start_urls = ["{base}/world/"]', f'hosts = ["{host}"]',
             f"article_pattern = '{article_pattern}'", f"listing_pattern = '{listing_pattern}'",
             *(f"{k} = {json.dumps(v)}" for k, v in fields.items())]
    path = tmp_path / "site.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(site: Path, db: Path, *extra: str):
    result = newscrawl("crawl", "--site-file", str(site), "--db", str(db), *FAST, *extra)
    stats = json.loads(query(db, "select stats from runs order by id desc limit 1")[0]["stats"])
    return result, stats


def by_sid(pages: dict):
    """A CMS's story script: the ``sid`` parameter says which story (others are ignored)."""
    def run(h) -> None:
        sid = parse_qs(urlsplit(h.path).query).get("sid", [""])[0]
        pages.get(sid, status(404, body="no such story"))(h)
    return run


SLUGS = ["/world/2024/06/23/story-number-0", "/world/2024/06/23/story-number-1",
         "/world/2024/06/24/summit-ends"]
SIDS = ["/story.php?sid=101", "/story.php?sid=102"]


def test_extension_less_articles_and_sid_story_ids_are_stored_as_linked(tmp_path):
    routes = {"/robots.txt": html("User-agent: *\nAllow: /\n", content_type="text/plain"),
              "/world/": html(listing([
                  *SLUGS,
                  # The same story twice: a tracker on it, and a fragment.
                  SIDS[0] + "&utm_source=rss", *SIDS, SIDS[1] + "#comments"]))}
    # The site answers each article at its exact URL only; with a slash appended it is a 404.
    routes.update({path: html(story(i)) for i, path in enumerate(SLUGS)})
    routes["/story.php"] = by_sid({"101": html(story(3)), "102": html(story(4))})
    db = tmp_path / "a.db"
    with hostile(routes) as (server, base):
        site = write_site(tmp_path, base, r"^/world/\d{4}/\d{2}/\d{2}/[a-z0-9-]+$|"
                                          r"^/story\.php\?sid=\d+$")
        first, stats = run(site, db)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        assert sorted(server.targets) == sorted(
            ["/robots.txt", "/world/", *SLUGS, SIDS[0] + "&utm_source=rss", SIDS[1]])
        assert not any(k.startswith("newscrawl/errors/") for k in stats), stats

        stored = query(db, "select url, fetched_url, title from articles order by url")
        assert [r["url"].removeprefix(base) for r in stored] == sorted(SLUGS + SIDS)
        # Two ?sid= stories are two rows, each with its own story.
        titles = {r["url"].removeprefix(base): r["title"] for r in stored}
        assert titles[SIDS[0]] == STORIES[3].title and titles[SIDS[1]] == STORIES[4].title
        assert len(set(titles.values())) == 5
        # The row keeps the URL as fetched (what a revisit requests) beside its key.
        by_url = {r["url"].removeprefix(base): r["fetched_url"].removeprefix(base) for r in stored}
        assert by_url[SIDS[0]] == SIDS[0] + "&utm_source=rss"
        assert by_url[SLUGS[0]] == SLUGS[0]
        assert query(db, "select count(*) n from aliases")[0]["n"] == 0

        # The next run knows every story by its key: only robots.txt and the listing.
        server.targets.clear()
        second, stats = run(site, db)
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
        assert sorted(server.targets) == ["/robots.txt", "/world/"]
        assert stats["newscrawl/links/known"] == 5
        assert query(db, "select count(*) n from articles")[0]["n"] == 5


# -- the incremental stop -------------------------------------------------------------------
POOL = [p for a in STORIES for p in a.body if len(p) > 200]


def numbered(n: int) -> str:
    return f"/world/2024/06/story-{n}"


def numbered_page(n: int, related: list[int]) -> str:
    """Story ``n`` (three paragraphs of its own) with a "Related" box linking ``related``."""
    body = "".join(f"<p>{p}</p>" for p in POOL[3 * n:3 * n + 3])
    box = "".join(f"<li><a href='{numbered(r)}'>Related story {r}</a></li>" for r in related)
    # article_html wraps ``body`` in <article>: the box closes it and sits beside it.
    aside = f"</article><aside><h2>Related</h2><ul>{box}</ul></aside><article>"
    return article_html(n, title=f"Story {n}: {POOL[3 * n][:60]}", body=body + aside)


def listing_pages(newest_first: list[int], per_page: int = 4) -> dict:
    """``/world/``, ``/world/page-1``, ... with ``per_page`` stories each and a Next link."""
    chunks = [newest_first[i:i + per_page] for i in range(0, len(newest_first), per_page)]
    routes = {}
    for i, chunk in enumerate(chunks):
        links = [numbered(n) for n in chunk]
        if i + 1 < len(chunks):
            links.append(f"/world/page-{i + 1}")
        routes["/world/" if i == 0 else f"/world/page-{i}"] = html(listing(links))
    return routes


def feed(numbers: list[int], base: str) -> str:
    items = "".join(f"<item><title>Story {n}</title><link>{base}{numbered(n)}</link></item>"
                    for n in numbers)
    return ("<?xml version='1.0'?><rss version='2.0'><channel><title>World</title>"
            f"{items}</channel></rss>")


def sitemap(numbers: list[int], base: str) -> str:
    urls = "".join(f"<url><loc>{base}{numbered(n)}</loc></url>" for n in numbers)
    return ("<?xml version='1.0' encoding='UTF-8'?><urlset "
            f"xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>{urls}</urlset>")


def test_related_known_links_a_known_feed_and_sitemap_do_not_stop_the_listing_walk(tmp_path):
    old, new = list(range(12)), list(range(12, 24))
    routes = {"/robots.txt": html("User-agent: *\nAllow: /\n", content_type="text/plain")}
    # Every story links a dozen older ("related", known by the second run) stories; the new
    # ones also link the next new story, so some are found on article pages first.
    routes.update({numbered(n): html(numbered_page(n, old + ([n + 1] if 12 <= n < 23 else [])))
                   for n in old + new})
    db = tmp_path / "a.db"
    with hostile(routes) as (server, base):
        routes["/feed.xml"] = html(feed(old, base), content_type="application/rss+xml")
        routes["/sitemap.xml"] = html(sitemap(old, base), content_type="application/xml")
        routes.update(listing_pages(old[::-1]))  # 3 listing pages before the new stories
        site = write_site(tmp_path, base, r"^/world/\d{4}/\d{2}/story-\d+$",
                          feeds=[f"{base}/feed.xml"], sitemaps=[f"{base}/sitemap.xml"],
                          stop_after_known=5)
        first, stats = run(site, db)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        assert stats["newscrawl/articles/new"] == 12 and stats["newscrawl/pages/listing"] == 3

        # Twelve stories published since: listing pages 0-2 hold them, 3-5 the known ones.
        routes.update(listing_pages((old + new)[::-1]))
        server.targets.clear()
        second, stats = run(site, db)
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
        assert stats["newscrawl/articles/new"] == 12
        stored = {r["url"].removeprefix(base) for r in query(db, "select url from articles")}
        assert stored == {numbered(n) for n in old + new}
        # Page 3 has 4 known links, page 4's first one is the 5th in a row: the walk stops
        # there, though the feed, the sitemap and every new page were full of known links
        # long before.
        listing_hits = [t for t in server.targets if t.startswith("/world/page-") or t == "/world/"]
        assert listing_hits == ["/world/", *(f"/world/page-{i}" for i in range(1, 5))]
        assert stats["newscrawl/listing/stopped"] == 1
        assert sorted(server.targets) == sorted(
            ["/robots.txt", "/feed.xml", "/sitemap.xml", *listing_hits,
             *(numbered(n) for n in new)])

        # A third run finds nothing new: 5 known in a row by page 1, and stops there.
        server.targets.clear()
        third, stats = run(site, db)
        assert third.returncode == 0, third.stdout + third.stderr[-3000:]
        assert sorted(server.targets) == ["/feed.xml", "/robots.txt", "/sitemap.xml", "/world/",
                                          "/world/page-1"]
        assert stats["newscrawl/listing/stopped"] == 1
        assert stats.get("newscrawl/pages/article", 0) == 0


# -- redirects ------------------------------------------------------------------------------
def canonical(n: int) -> str:
    return f"/world/2024/06/story-{n}"


def short(n: int) -> str:
    return f"/world/story-{n}"


def test_redirect_chains_are_aliases_and_a_story_redirected_off_the_pattern_is_withdrawn(tmp_path):
    routes = {"/robots.txt": html("User-agent: *\nAllow: /\n", content_type="text/plain"),
              # Short links the listing uses: 301, 302, and a two-hop chain, to the story.
              short(1): redirect(canonical(1), 301), short(2): redirect(canonical(2), 302),
              short(4): redirect("/world/old/story-4", 301),
              # A slash variant: one page, because the redirect says so.
              canonical(6) + "/": redirect(canonical(6), 301),
              "/world/old/story-4": redirect(canonical(4), 301),
              # A removed story sent to a topic page (not an article URL) that has prose.
              short(9): redirect("/world/topics/summit", 301),
              "/world/topics/summit": html(numbered_page(9, []))}
    routes.update({canonical(n): html(numbered_page(n, [])) for n in (1, 2, 3, 4, 5, 6)})
    links = [short(1), short(2), canonical(3), short(4), canonical(5), short(9),
             canonical(6) + "/"]
    routes["/world/"] = html(listing(links))
    db = tmp_path / "a.db"
    with hostile(routes) as (server, base):
        site = write_site(tmp_path, base, r"^/world/(?:\d{4}/\d{2}/)?story-\d+/?$",
                          listing_pattern=r"^/world/$")
        first, stats = run(site, db)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        assert sorted(server.targets) == sorted([
            "/robots.txt", "/world/", short(1), canonical(1), short(2), canonical(2),
            canonical(3), short(4), "/world/old/story-4", canonical(4), canonical(5),
            short(9), "/world/topics/summit", canonical(6) + "/", canonical(6)])
        stored = query(db, "select id, url, fetched_url from articles order by id")
        assert sorted(r["url"].removeprefix(base) for r in stored) == [
            canonical(n) for n in (1, 2, 3, 4, 5, 6)]
        ids = {r["url"].removeprefix(base): r["id"] for r in stored}
        aliases = {r["url"].removeprefix(base): (r["article_id"], r["kind"])
                   for r in query(db, "select * from aliases")}
        assert aliases == {short(1): (ids[canonical(1)], "redirect"),
                           short(2): (ids[canonical(2)], "redirect"),
                           short(4): (ids[canonical(4)], "redirect"),
                           "/world/old/story-4": (ids[canonical(4)], "redirect"),
                           canonical(6) + "/": (ids[canonical(6)], "redirect")}
        assert stats["newscrawl/skipped/not_article_url"] == 1
        assert query(db, "select url, reason from skipped_pages") == [
            {"url": base + short(9), "reason": "not_article_url"}]

        # Story 5 is removed and 301'd to the section front; its 1-day revisit is due.
        routes[canonical(5)] = redirect("/world/", 301)
        routes["/world/"] = html(listing(links[:4] + links[5:]))  # no longer listed
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("update articles set first_seen = datetime('now', '-2 days'), "
                         "last_seen = datetime('now', '-2 days') where id = ?", [ids[canonical(5)]])
        conn.close()
        server.targets.clear()
        second, stats = run(site, db)
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
        # No short link, chain or skipped page is fetched again: only the revisit (and the
        # section front it is sent to, which this run also walks as the listing).
        assert sorted(server.targets) == ["/robots.txt", "/world/", "/world/", canonical(5)]
        assert stats["newscrawl/articles/withdrawn"] == 1
        rows = {r["url"].removeprefix(base): r for r in query(db, "select * from articles")}
        assert len(rows) == 6
        gone = rows[canonical(5)]
        assert gone["withdrawn_at"] is not None
        assert gone["withdrawn_reason"] == f"redirected to {base}/world/, not an article URL"
        assert all(r["withdrawn_at"] is None for u, r in rows.items() if u != canonical(5))


def test_a_redirect_to_an_alias_host_is_followed_robots_txt_included(tmp_path):
    served = {"/robots.txt": html("User-agent: *\nAllow: /\n", content_type="text/plain"),
              "/world/": html(listing([canonical(n) for n in (1, 2, 3)]))}
    served.update({canonical(n): html(numbered_page(n, [])) for n in (1, 2, 3)})
    db = tmp_path / "a.db"
    with hostile(served) as (apex, apex_base), \
            hostile({}, fallback=lambda path: redirect(apex_base + path, 301)) as (www, base):
        # The profile's primary host (the "www.") sends everything, robots.txt too, to its
        # alias (the "apex"): another port of 127.0.0.1 here, which is another host.
        site = write_site(tmp_path, base, r"^/world/\d{4}/\d{2}/story-\d+$",
                          listing_pattern=r"^/world/$", aliases=[apex_base.split("://")[1]])
        first, stats = run(site, db)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        assert not [k for k in stats if "offsite" in k or "disallow_all" in k], stats
        expected = sorted(["/robots.txt", "/world/", *(canonical(n) for n in (1, 2, 3))])
        # The apex's robots.txt is read twice: as where www.'s robots.txt redirects, and as
        # its own host's before the first page requested there.
        assert (sorted(www.targets), sorted(apex.targets)) == (expected,
                                                               ["/robots.txt", *expected])
        # Rows are keyed on the primary host, whichever host served them.
        assert [r["url"] for r in query(db, "select url from articles order by url")] == [
            base + canonical(n) for n in (1, 2, 3)]
        assert query(db, "select count(*) n from aliases")[0]["n"] == 0

        www.targets.clear()
        apex.targets.clear()
        second, stats = run(site, db)
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
        assert sorted(www.targets) == ["/robots.txt", "/world/"]
        assert sorted(apex.targets) == ["/robots.txt", "/robots.txt", "/world/"]
        assert stats["newscrawl/links/known"] == 3


def test_a_one_off_extraction_keeps_the_canonical_link_as_written(tmp_path):
    page = tmp_path / "explainer.html"
    canonical_link = "https://www.bbc.com/news/explainers-63159607"
    head = f"<link rel='canonical' href='{canonical_link}'>"
    page.write_text(article_html(2, title=STORIES[2].title, head=head,
                                 body="".join(f"<p>{p}</p>" for p in STORIES[2].body[:6])))
    db = tmp_path / "a.db"
    result = newscrawl("extract", str(page), "--json", "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["url"] == canonical_link
    assert [r["url"] for r in query(db, "select url from articles")] == [canonical_link]


def etagged(body: str, etag: str, seen: list[str | None]):
    """A page with an ETag that answers 304 to a matching If-None-Match."""
    data = body.encode()

    def run(h) -> None:
        asked = h.headers.get("If-None-Match")
        seen.append(asked)
        if asked == etag:
            h.send_response(304)
            h.send_header("ETag", etag)
            h.end_headers()
            return
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("ETag", etag)
        h.send_header("Content-Length", str(len(data)))
        h.end_headers()
        h.wfile.write(data)
    return run


def test_an_etag_revisit_answered_304_changes_only_last_seen(tmp_path):
    asked: list[str | None] = []
    routes = {"/robots.txt": html("User-agent: *\nAllow: /\n", content_type="text/plain"),
              "/world/": html(listing([SLUGS[0]])),
              SLUGS[0]: etagged(story(0), '"v1-abc"', asked)}
    db = tmp_path / "a.db"
    with hostile(routes) as (server, base):
        site = write_site(tmp_path, base, r"^/world/\d{4}/\d{2}/\d{2}/[a-z0-9-]+$")
        first, _ = run(site, db)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        (row,) = query(db, "select * from articles")
        assert row["etag"] == '"v1-abc"' and asked == [None]
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("update articles set first_seen = datetime('now', '-2 days'), "
                         "last_seen = datetime('now', '-2 days')")
        conn.close()
        before = query(db, "select * from articles")[0]

        server.targets.clear()
        second, stats = run(site, db)
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
        assert asked == [None, '"v1-abc"']
        assert sorted(server.targets) == ["/robots.txt", "/world/", SLUGS[0]]
        assert stats["newscrawl/articles/not_modified"] == 1
        assert stats["downloader/response_status_count/304"] == 1
        (after,) = query(db, "select * from articles")
        assert after["last_seen"] > before["last_seen"]
        changed = {k for k in after if after[k] != before[k]}
        assert changed == {"last_seen", "run_id"}
        assert query(db, "select count(*) n from versions")[0]["n"] == 0


def test_a_page_empty_on_the_first_run_is_retried_and_stored_a_permanent_skip_is_not(tmp_path):
    routes = {"/robots.txt": html("User-agent: *\nAllow: /\n", content_type="text/plain"),
              "/world/": html(listing(SLUGS)), SLUGS[2]: html(story(2)),
              # Published before its body (an empty 200 during a deploy), then complete.
              SLUGS[0]: sequence(html("<html><head><title>x</title></head><body></body></html>"),
                                 html(story(0))),
              # Removed and sent to a topic page: no retry will make it an article.
              SLUGS[1]: redirect("/world/topics/summit", 301),
              "/world/topics/summit": html(story(1))}
    db = tmp_path / "a.db"
    with hostile(routes) as (server, base):
        site = write_site(tmp_path, base, r"^/world/\d{4}/\d{2}/\d{2}/[a-z0-9-]+$")
        first, stats = run(site, db)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        assert [r["url"] for r in query(db, "select url from articles")] == [base + SLUGS[2]]
        skipped = {r["url"].removeprefix(base): r for r in query(db, "select * from skipped_pages")}
        assert {u: (r["reason"], r["tries"]) for u, r in skipped.items()} == {
            SLUGS[0]: ("no_body", 1), SLUGS[1]: ("not_article_url", 1)}
        assert skipped[SLUGS[0]]["next_try"] > skipped[SLUGS[0]]["last_seen"]
        assert skipped[SLUGS[1]]["next_try"] is None

        # Before the next try is due, both are known: only robots.txt and the listing.
        server.targets.clear()
        run(site, db)
        assert sorted(server.targets) == ["/robots.txt", "/world/"]

        # A day later the empty page is tried again, and now holds its story.
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("update skipped_pages set next_try = datetime('now', '-1 minute') "
                         "where next_try is not null")
        conn.close()
        server.targets.clear()
        third, stats = run(site, db)
        assert third.returncode == 0, third.stdout + third.stderr[-3000:]
        assert sorted(server.targets) == ["/robots.txt", "/world/", SLUGS[0]]
        assert [r["url"] for r in query(db, "select url from articles order by id")] == [
            base + SLUGS[2], base + SLUGS[0]]
        assert [r["url"] for r in query(db, "select url from skipped_pages")] == [base + SLUGS[1]]


def test_skips_and_errors_are_counted_alike_in_the_summary_the_ledger_and_runs(tmp_path):
    from tests.hostile import reset

    routes = {"/robots.txt": html("User-agent: *\nAllow: /\n", content_type="text/plain"),
              "/world/": html(listing(SLUGS)), SLUGS[0]: html(story(0)),
              SLUGS[1]: reset,  # fails on every try
              SLUGS[2]: html("<html><head><title>Soon</title></head><body><p>Soon.</p></body></html>")}
    db = tmp_path / "a.db"
    with hostile(routes) as (server, base):
        site = write_site(tmp_path, base, r"^/world/\d{4}/\d{2}/\d{2}/[a-z0-9-]+$")
        result, stats = run(site, db, "-s", "RETRY_TIMES=2", "-s", "NEWSCRAWL_RETRY_BACKOFF=0")
    assert server.targets.count(SLUGS[1]) == 3  # the first try and two retries
    assert sum(v for k, v in stats.items() if k.startswith("downloader/exception_type_count/")) == 3
    assert "Skipped: no article body 1" in result.stdout
    (errors,) = [line for line in result.stdout.splitlines() if line.startswith("Errors: ")]
    assert errors.endswith(" 1") and "," not in errors  # one failed page, one error
    (run_row,) = query(db, "select * from runs")
    assert (run_row["skipped"], run_row["errors"]) == (1, 1)
    assert json.loads(run_row["skipped_by_kind"]) == {"no_body": 1}
    assert sum(json.loads(run_row["errors_by_kind"]).values()) == 1
    (record,) = [json.loads(line) for line in
                 newscrawl("runs", "--db", str(db), "--json").stdout.splitlines()]
    assert (record["skipped"], record["errors"]) == (1, 1)
    table = newscrawl("runs", "--db", str(db)).stdout.splitlines()
    header, row = table[0].split(), table[2].split()
    assert (row[header.index("skipped")], row[header.index("errors")]) == ("1", "1")


def test_a_profile_whose_article_pattern_matches_no_listing_link_fails_and_shows_links(tmp_path):
    routes = {"/robots.txt": html("User-agent: *\nAllow: /\n", content_type="text/plain"),
              "/world/": html(listing([*SLUGS, "/about/", "/world/page-1"])),
              "/world/page-1": html(listing(SLUGS))}
    routes.update({path: html(story(i)) for i, path in enumerate(SLUGS)})
    db = tmp_path / "a.db"
    with hostile(routes) as (server, base):
        # Another site's pattern (bjreview's .html story URLs): nothing on this site matches.
        site = write_site(tmp_path, base, r"^/World/\d{6}/t\d{8}_\d+\.html$")
        result, stats = run(site, db)
    assert result.returncode == 1, result.stdout
    head, *reasons = result.stdout.splitlines()[:3]
    assert head == (f"FAILED: {base.split('://')[1]}: no link on the listing pages matches the "
                    "profile's article pattern")
    assert f"e.g. {base}{SLUGS[0]}, {base}{SLUGS[1]}, {base}{SLUGS[2]}" in reasons[0]
    assert stats["newscrawl/pages/listing"] == 2 and "newscrawl/pages/article" not in stats
    assert query(db, "select finish_reason from runs") == [{"finish_reason": "finished"}]


def test_two_stories_sharing_two_paragraphs_are_two_rows(tmp_path):
    shared = POOL[60:62]  # e.g. the same background paragraphs under two headlines
    pages = {SLUGS[0]: POOL[40:44] + shared, SLUGS[1]: POOL[50:54] + shared}
    routes = {"/robots.txt": html("User-agent: *\nAllow: /\n", content_type="text/plain"),
              "/world/": html(listing(list(pages)))}
    routes.update({path: html(article_html(i, title=f"Story {i}: {paras[0][:50]}",
                                           body="".join(f"<p>{p}</p>" for p in paras)))
                   for i, (path, paras) in enumerate(pages.items())})
    db = tmp_path / "a.db"
    with hostile(routes) as (_server, base):
        site = write_site(tmp_path, base, r"^/world/\d{4}/\d{2}/\d{2}/[a-z0-9-]+$")
        result, stats = run(site, db)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    stored = query(db, "select url, text from articles order by url")
    assert [r["url"] for r in stored] == [base + p for p in sorted(pages)]
    assert all(shared[0] in r["text"] for r in stored)
    assert query(db, "select count(*) n from aliases")[0]["n"] == 0
    assert not [k for k in stats if k.startswith("newscrawl/dedup/")]


# -- near copies ----------------------------------------------------------------------------
# What an agency adds when it updates a story: a new first paragraph, about 15 % of the text.
WIRE_UPDATE = ("Updated on Tuesday evening: officials confirmed after the meeting that a "
               "second round of talks will open next month, that the working groups on customs "
               "and rail freight will report by the end of the year, and that ministers from "
               "the five countries expect to sign the first agreements at a summit planned for "
               "the spring.")


def browse(db: Path, path: str):
    """``path`` of an in-process Datasette on ``db``: the JSON rows, or the page's text."""
    import asyncio

    from crawler.browse import make_datasette

    async def get():
        return await make_datasette(db).client.get(path)
    response = asyncio.run(get())
    assert response.status_code == 200, response.text[:500]
    return response.json() if ".json" in path else response.text


def test_an_updated_wire_story_under_a_new_url_keeps_its_text_in_a_row_of_its_own(tmp_path):
    paras = STORIES[0].body[:6]
    wire = article_html(0, title=STORIES[0].title, body="".join(f"<p>{p}</p>" for p in paras))
    update = [WIRE_UPDATE, *paras]
    corrected = [*update[:-1], update[-1] + " An earlier version misspelt a minister's name."]
    updated = [article_html(0, title=f"{STORIES[0].title} (updated)",
                            body="".join(f"<p>{p}</p>" for p in body))
               for body in (update, corrected)]
    routes = {"/robots.txt": html("User-agent: *\nAllow: /\n", content_type="text/plain"),
              "/world/": html(listing(SLUGS[:2])), SLUGS[0]: html(wire), SLUGS[1]: html(story(1)),
              # The agency's update, republished under a new URL; later corrected in place.
              SLUGS[2]: sequence(html(updated[0]), html(updated[1]))}
    db = tmp_path / "a.db"
    with hostile(routes) as (server, base):
        site = write_site(tmp_path, base, r"^/world/\d{4}/\d{2}/\d{2}/[a-z0-9-]+$")
        first, stats = run(site, db)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        assert stats["newscrawl/articles/new"] == 2
        (original,) = query(db, "select * from articles where url = ?", (base + SLUGS[0],))

        routes["/world/"] = html(listing([SLUGS[2], *SLUGS[:2]]))
        server.targets.clear()
        second, stats = run(site, db)
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
        assert sorted(server.targets) == ["/robots.txt", "/world/", SLUGS[2]]
        assert stats["newscrawl/dedup/near"] == 1 and "newscrawl/articles/new" not in stats
        rows = {r["url"].removeprefix(base): r for r in query(db, "select * from articles")}
        assert len(rows) == 3
        assert rows[SLUGS[0]] == original  # the story it updates is untouched
        copy = rows[SLUGS[2]]
        assert (copy["url"], copy["duplicate_of"]) == (base + SLUGS[2], original["id"])
        assert WIRE_UPDATE in copy["text"] and WIRE_UPDATE not in original["text"]
        assert sorted(r["article_id"] for r in query(db, "select article_id from pages")) == \
            sorted(r["id"] for r in rows.values())
        assert query(db, "select count(*) n from aliases")[0]["n"] == 0

        # Browse and export show each story once; the copy is a click (or a flag) away.
        listed = browse(db, "/a/articles.json?_shape=array")
        assert sorted(r["url"] for r in listed) == [base + SLUGS[0], base + SLUGS[1]]
        shown = browse(db, "/a/articles.json?_shape=array&_nc_duplicates=1")
        assert len(shown) == 3
        page = browse(db, "/a/articles")
        assert "Show near copies" in page and STORIES[0].title + " (updated)" not in page
        page = browse(db, "/a/articles?_nc_duplicates=1")
        assert f"near copy of <a href=\"/-/newscrawl/article/{original['id']}\">" in page
        assert STORIES[0].title + " (updated)" in page
        latest = browse(db, "/a/latest.json?_shape=array")
        assert sorted(r["url"] for r in latest) == [base + SLUGS[0], base + SLUGS[1]]
        # Search finds the copy for the words only it has, and never beside its story.
        found = browse(db, "/-/newscrawl/search?q=rail+freight")
        assert f"/-/newscrawl/article/{copy['id']}\"" in found
        assert f"/-/newscrawl/article/{original['id']}\"" not in found
        found = browse(db, "/-/newscrawl/search?q=Rio+de+Janeiro")
        assert f"/-/newscrawl/article/{original['id']}\"" in found
        assert f"/-/newscrawl/article/{copy['id']}\"" not in found
        reading = browse(db, f"/-/newscrawl/article/{original['id']}")
        assert f"/-/newscrawl/article/{copy['id']}\"" in reading  # "read this copy"
        exported = newscrawl("export", "--db", str(db))
        assert exported.returncode == 0, exported.stderr
        assert sorted(json.loads(line)["url"] for line in exported.stdout.splitlines()) == [
            base + SLUGS[0], base + SLUGS[1]]
        everything = newscrawl("export", "--db", str(db), "--duplicates").stdout.splitlines()
        assert len(everything) == 3

        # The copy's revisit finds the correction: its own row is updated, no fourth row.
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("update articles set first_seen = datetime('now', '-2 days'), "
                         "last_seen = datetime('now', '-2 days') where id = ?", [copy["id"]])
        conn.close()
        server.targets.clear()
        third, stats = run(site, db)
        assert third.returncode == 0, third.stdout + third.stderr[-3000:]
        assert sorted(server.targets) == ["/robots.txt", "/world/", SLUGS[2]]
        assert stats["newscrawl/articles/updated"] == 1
        rows = {r["url"].removeprefix(base): r for r in query(db, "select * from articles")}
        assert len(rows) == 3 and rows[SLUGS[0]] == original
        assert rows[SLUGS[2]]["duplicate_of"] == original["id"]
        assert "misspelt a minister's name" in rows[SLUGS[2]]["text"]
        assert query(db, "select article_id, text from versions") == [
            {"article_id": copy["id"], "text": copy["text"]}]


def test_redirected_listing_links_and_etag_revisits_over_four_runs(tmp_path):
    """Short links that 301 and 302 to the story, then revisits answered 304 or, once a
    story changes, 200: each run requests exactly what it must, through no redirect again."""
    asked: dict[int, list[str | None]] = {1: [], 2: [], 3: []}
    routes = {"/robots.txt": html("User-agent: *\nAllow: /\n", content_type="text/plain"),
              "/world/": html(listing([short(1), short(2), canonical(3)])),
              short(1): redirect(canonical(1), 301), short(2): redirect(canonical(2), 302)}
    routes.update({canonical(n): etagged(numbered_page(n, []), f'"v1-{n}"', asked[n])
                   for n in (1, 2, 3)})
    db = tmp_path / "a.db"

    def due() -> None:
        """Every story's 1-day revisit is due (first and last seen two days ago)."""
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("update articles set first_seen = datetime('now', '-2 days'), "
                         "last_seen = datetime('now', '-2 days')")
        conn.close()

    with hostile(routes) as (server, base):
        site = write_site(tmp_path, base, r"^/world/(?:\d{4}/\d{2}/)?story-\d+$",
                          listing_pattern=r"^/world/$")
        first, stats = run(site, db)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        assert sorted(server.targets) == sorted([
            "/robots.txt", "/world/", short(1), canonical(1), short(2), canonical(2),
            canonical(3)])
        assert stats["newscrawl/articles/new"] == 3
        stored = {r["url"].removeprefix(base): r for r in query(db, "select * from articles")}
        assert set(stored) == {canonical(n) for n in (1, 2, 3)}
        assert {r["url"].removeprefix(base): r["kind"] for r in query(db, "select * from aliases")} \
            == {short(1): "redirect", short(2): "redirect"}
        # A revisit asks for the story itself, not the link that redirected to it.
        assert {u: r["fetched_url"].removeprefix(base) for u, r in stored.items()} == {
            u: u for u in stored}
        assert {u: r["etag"] for u, r in stored.items()} == {
            canonical(n): f'"v1-{n}"' for n in (1, 2, 3)}

        # Run 2, nothing due: the short links are known by their aliases.
        server.targets.clear()
        second, stats = run(site, db)
        assert second.returncode == 0, second.stdout + second.stderr[-3000:]
        assert sorted(server.targets) == ["/robots.txt", "/world/"]
        assert stats["newscrawl/links/known"] == 3

        # Run 3, revisits due: one conditional request per story, all 304.
        due()
        before = {r["id"]: r for r in query(db, "select * from articles")}
        server.targets.clear()
        third, stats = run(site, db)
        assert third.returncode == 0, third.stdout + third.stderr[-3000:]
        assert sorted(server.targets) == sorted(
            ["/robots.txt", "/world/", *(canonical(n) for n in (1, 2, 3))])
        assert asked == {n: [None, f'"v1-{n}"'] for n in (1, 2, 3)}
        assert stats["newscrawl/articles/not_modified"] == 3
        assert stats["downloader/response_status_count/304"] == 3
        after = {r["id"]: r for r in query(db, "select * from articles")}
        assert {k for i in after for k in after[i] if after[i][k] != before[i][k]} == {
            "last_seen", "run_id"}

        # Run 4: story 2 was corrected (a new ETag); 1 and 3 answer 304 again.
        corrected = numbered_page(2, []).replace("</article>", "<p>Correction: an earlier "
                                                 "version of this story gave a wrong date for "
                                                 "the meeting.</p></article>", 1)
        routes[canonical(2)] = etagged(corrected, '"v2-2"', asked[2])
        due()
        server.targets.clear()
        fourth, stats = run(site, db)
        assert fourth.returncode == 0, fourth.stdout + fourth.stderr[-3000:]
        assert sorted(server.targets) == sorted(
            ["/robots.txt", "/world/", *(canonical(n) for n in (1, 2, 3))])
        assert asked[2][-1] == '"v1-2"' and len(asked[1]) == len(asked[3]) == 3
        assert (stats["newscrawl/articles/not_modified"], stats["newscrawl/articles/updated"]) \
            == (2, 1)
        rows = {r["url"].removeprefix(base): r for r in query(db, "select * from articles")}
        assert len(rows) == 3 and rows[canonical(2)]["etag"] == '"v2-2"'
        assert "Correction: an earlier version" in rows[canonical(2)]["text"]
        assert query(db, "select article_id, text from versions") == [
            {"article_id": rows[canonical(2)]["id"], "text": stored[canonical(2)]["text"]}]
        assert query(db, "select count(*) n from aliases")[0]["n"] == 2


def test_an_article_pages_relative_links_resolve_against_the_url_it_was_fetched_from(tmp_path):
    """On a site that folds the trailing slash, ``/world/2024/06/story-1`` is keyed
    ``.../story-1/``; its page's relative link ``story-2`` is the sibling story, as a browser
    resolves it from the address it fetched, not ``.../story-1/story-2``."""
    related = "<p>Read also: <a href='story-2'>the second story</a></p>"
    routes = {"/robots.txt": html("User-agent: *\nAllow: /\n", content_type="text/plain"),
              "/world/": html(listing([canonical(1)])),
              canonical(1): html(numbered_page(1, []).replace("</article>", related + "</article>", 1)),
              canonical(2): html(numbered_page(2, []))}
    db = tmp_path / "a.db"
    with hostile(routes) as (server, base):
        site = write_site(tmp_path, base, r"^/world/\d{4}/\d{2}/story-\d+/?$",
                          listing_pattern=r"^/world/$", fold_trailing_slash=True)
        first, stats = run(site, db)
        assert first.returncode == 0, first.stdout + first.stderr[-3000:]
        assert sorted(server.targets) == sorted(
            ["/robots.txt", "/world/", canonical(1), canonical(2)])
        assert sorted(r["url"].removeprefix(base) for r in query(db, "select url from articles")) \
            == [canonical(1) + "/", canonical(2) + "/"]
        assert stats["newscrawl/articles/new"] == 2
