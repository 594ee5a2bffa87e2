"""Site templates: what recurs across a site's pages goes, what is unique to a page stays."""

from __future__ import annotations

import json
import sqlite3

from pipelines.extract import Article, extract, extract_many
from pipelines.template import Template, learn
from tests.conftest import FAST, newscrawl
from tests.fixture_generic import (NEWSLETTER, RELATED, SITE_TOML, STORIES, UNIQUE_ASIDE,
                                   build_generic_site, render_story)
from tests.fixture_site import must_contain
from tests.server import serve


def pages(with_aside: bool = True):
    return [(render_story(a, UNIQUE_ASIDE if with_aside and i == 0 else None).encode(),
             f"https://news.example.org/world/{a.id}.html") for i, a in enumerate(STORIES)]


def test_trafilatura_alone_keeps_the_shared_boxes():
    article = extract(*pages()[1])
    assert RELATED[1] in article.text and NEWSLETTER in article.text


def test_learned_template_removes_them_and_keeps_every_story_paragraph():
    results, template = extract_many(pages())
    assert all(isinstance(r, Article) for r in results)
    for story, result in zip(STORIES, results):
        assert not any(r in result.text for r in RELATED), story.id
        assert NEWSLETTER not in result.text
        assert "More from the World desk" not in result.text
        for sentence in must_contain(story):
            assert sentence in result.text
        for paragraph in story.body:
            assert paragraph[:80] in result.text
    # The hand-added line shares its container with the recurring box but is unique: kept.
    assert UNIQUE_ASIDE in results[0].text
    summary = template.summary()
    assert summary["pages"] == len(STORIES)
    assert any(NEWSLETTER[:40] in row["text"] for row in summary["boilerplate_blocks"])


def test_text_on_fewer_than_three_pages_is_never_learned():
    shared_twice = "A sentence two stories happen to share, word for word, in their bodies."
    two = [(render_story(a).replace("</div>\n<p>Sign", f"<p>{shared_twice}</p></div>\n<p>Sign")
            .encode(), None) for a in STORIES[:2]]
    results, _ = extract_many(two + pages()[2:])
    assert shared_twice in results[0].text and shared_twice in results[1].text


def test_duplicate_pages_count_once():
    page = pages()[0][0]
    template = learn([page, page, page, page])
    assert template.n_pages == 1 and not template.rules().blocks


def test_template_round_trips_through_json():
    _, template = extract_many(pages())
    again = Template.from_dict(json.loads(json.dumps(template.to_dict())))
    assert again.rules() == template.rules()


def test_crawl_learns_the_template_and_keeps_it_per_site(tmp_path):
    root = tmp_path / "site"
    build_generic_site(root)
    server, base = serve(root)
    try:
        base = base.rstrip("/")
        profile = tmp_path / "worlddaily.toml"
        profile.write_text(SITE_TOML.format(base=base, host=base.split("//")[1]))
        db = tmp_path / "wd.db"
        result = newscrawl("crawl", "--site-file", str(profile), "--db", str(db), *FAST)
        assert result.returncode == 0, result.stderr[-3000:]
    finally:
        server.shutdown()
    conn = sqlite3.connect(db)
    texts = [t for (t,) in conn.execute("select text from articles")]
    assert len(texts) == len(STORIES)
    assert not any(NEWSLETTER in t or RELATED[0] in t for t in texts)
    assert sum(UNIQUE_ASIDE in t for t in texts) == 1
    (pages_seen,) = conn.execute("select pages from templates where site = 'worlddaily'").fetchone()
    assert pages_seen == len(STORIES)
    conn.close()
    shown = newscrawl("template", "worlddaily", "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert "Sign up for our morning briefing" in shown.stdout


def test_extract_same_site_command(tmp_path):
    root = tmp_path / "site"
    paths = build_generic_site(root)
    files = [str(root / p.lstrip("/")) for p in paths]
    alone = newscrawl("extract", "--json", files[1])
    assert NEWSLETTER in json.loads(alone.stdout)["text"]
    result = newscrawl("extract", "--same-site", "--json", *files)
    assert result.returncode == 0, result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["target"] for r in records] == files
    assert not any(NEWSLETTER in r["text"] or RELATED[2] in r["text"] for r in records)
    assert UNIQUE_ASIDE in records[0]["text"]


def test_reextract_applies_a_new_rule_without_recrawling(crawled_db, tmp_path):
    import shutil

    db = tmp_path / "a.db"
    shutil.copy(crawled_db[0], db)  # a real crawl's database (the session's), changed here
    conn = sqlite3.connect(db)
    (before,) = conn.execute("select count(*) from articles where text like '%Xinhua%'").fetchone()
    conn.close()
    assert before >= 1
    profile = tmp_path / "bj.toml"
    profile.write_text('extends = "bjreview"\ndrop_line_patterns = '
                       '["^Copyedited by", "^Comments to", "Xinhua"]\n')
    # The server is not needed any more: bodies come from the stored pages.
    result = newscrawl("reextract", "--site-file", str(profile), "--db", str(db))
    assert result.returncode == 0, result.stderr
    assert f"{before} bodies changed" in result.stdout
    conn = sqlite3.connect(db)
    assert conn.execute("select count(*) from articles where text like '%Xinhua%'").fetchone() == (0,)
    assert conn.execute("select count(*) from articles").fetchone() == (10,)
    conn.close()


def test_reextract_gives_up_on_a_slow_page_and_keeps_its_body(crawled_db, tmp_path):
    """Re-extraction runs under the extraction deadline too: a stored page that has become
    slow to extract keeps its stored body, and the other pages are rebuilt."""
    import gzip
    import shutil

    db = tmp_path / "a.db"
    shutil.copy(crawled_db[0], db)
    conn = sqlite3.connect(db)
    (article_id, body), = conn.execute(
        "select a.id, a.text from articles a join pages p on p.article_id = a.id "
        "order by a.id limit 1").fetchall()
    huge = "<html><body><p>" + "<span>word</span> " * 200_000 + "</p></body></html>"
    conn.execute("update pages set html_gzip = ? where article_id = ?",
                 (gzip.compress(huge.encode()), article_id))
    conn.commit()
    conn.close()
    result = newscrawl("reextract", "--site", "bjreview", "--db", str(db), "--timeout", "1",
                       timeout=120)
    assert result.returncode == 0, result.stderr
    assert "10 pages re-extracted, 0 bodies changed, 1 kept" in result.stdout
    assert "longer than 1 s" in result.stderr
    conn = sqlite3.connect(db)
    assert conn.execute("select text from articles where id = ?", (article_id,)).fetchone() == (body,)
    conn.close()


def test_rules_read_from_the_counts_kept_hot_are_the_rules_of_all_counts():
    """rules() reads only the fingerprints counted on enough pages, kept as counting goes
    (and through pruning): the rules must be those a full scan of the counts gives."""
    from pipelines import template as templates

    _, template = extract_many(pages())

    def full_scan(t: Template) -> tuple[frozenset, frozenset, frozenset]:
        bt, lt = t.block_threshold(), t.line_threshold()
        return (frozenset(fp for fp, c in t.block_counts.items() if c >= bt),
                frozenset(fp for fp, c in t.line_counts.items() if c >= lt),
                frozenset(fp for fp, c in t.box_counts.items() if c >= bt))

    rules = template.rules()
    assert rules.blocks and (rules.blocks, rules.lines, rules.boxes) == full_scan(template)
    again = Template.from_dict(json.loads(json.dumps(template.to_dict())))
    assert again.hot == template.hot
    templates._trim(again)  # pruning (here a no-op) keeps hot a subset of the counts
    for name, counts in (("blocks", again.block_counts), ("lines", again.line_counts),
                         ("boxes", again.box_counts)):
        assert again.hot[name] <= counts.keys()
