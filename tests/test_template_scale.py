"""Templates that scale: after 5,000 pages of one site, boilerplate is what recurs on a share
of the pages, not any text three pages happen to share; a rotating box goes by its shape."""

from __future__ import annotations

import dataclasses
import random

import pytest

from pipelines import template as templates
from pipelines.extract import extract, learn_page
from pipelines.template import Template

N_PAGES = 5000

WORDS = ("government minister council vote budget border trade talks election court police "
         "report city region water energy price market school hospital union strike "
         "agreement summit army crisis storm flood harvest railway airport bank").split()

BACKGROUND = ("The dispute over the river dates back to a 1959 treaty that divided its waters "
              "between the two countries, and talks to revise it have stalled since 2011.")
SHARING = (123, 2345, 4567)  # the three stories that share the background paragraph

# A pool of other stories for the rotating "most read" box: each headline is on about 1 %
# of the pages, well over three pages, so a three-pages rule would have deleted each item.
POOL = [f"Story {i}: " + " ".join(random.Random(i).choices(WORDS, k=6)) for i in range(400)]


def paragraphs(i: int) -> list[str]:
    rng = random.Random(10_000 + i)
    out = [" ".join(rng.choices(WORDS, k=40)).capitalize() + f", officials said on day {i}."
           for _ in range(4)]
    if i in SHARING:
        out.insert(2, BACKGROUND)
    return out


def most_read(i: int) -> list[str]:
    return random.Random(20_000 + i).sample(POOL, 5)


def dek(headline: str) -> str:
    """The one-line summary under a headline in the box (as unique as the headline)."""
    return "More on " + " ".join(headline.split(": ")[1].split()[:3]) + "."


def render(i: int) -> str:
    """A story page: menu, the story with a "Most read" module between its paragraphs (five
    linked headlines with a dek each, drawn anew for every page), footer.  The module sits
    inside the story's container with neutral class names, where trafilatura keeps it."""
    ps = [f"<p>{p}</p>" for p in paragraphs(i)]
    items = "".join(f'<div class="c-item"><h4><a href="/world/pool-{POOL.index(h)}">{h}</a></h4>'
                    f"<p>{dek(h)}</p></div>" for h in most_read(i))
    module = f'<div class="c-module"><h3>Most read</h3>{items}</div>'
    return f"""<!doctype html><html lang="en"><head><title>Story {i} | The Daily Example</title>
</head><body><header><nav class="menu"><a href="/">Home</a> <a href="/world">World</a>
<a href="/business">Business</a> <a href="/sport">Sport</a></nav></header>
<main><article><h1>Story number {i} from the world desk</h1>
<div class="article-body">{"".join(ps[:2])}{module}{"".join(ps[2:])}</div>
</article></main>
<footer class="site-footer"><p>© The Daily Example. All rights reserved.</p></footer>
</body></html>"""


def url(i: int) -> str:
    return f"https://daily.example/world/story-{i}"


@pytest.fixture(scope="module")
def learned() -> Template:
    """What a crawl of 5,000 pages learns: every page's blocks, every body's lines (the
    bodies are the story paragraphs, as extraction gives them: cheaper than extracting)."""
    template = Template()
    for i in range(N_PAGES):
        templates.merge(template, learn_page(render(i)),
                        templates.body_print("\n".join(paragraphs(i))))
    return template


def test_a_background_paragraph_three_stories_share_is_kept(learned):
    rules = learned.rules()
    for i in SHARING:
        article = extract(render(i), url(i), template=rules, language=False)
        assert BACKGROUND in article.text
        for p in paragraphs(i):
            assert p in article.text


def test_a_rotating_most_read_box_is_removed(learned):
    rules = learned.rules()
    for i in (7, *SHARING):
        article = extract(render(i), url(i), template=rules, language=False)
        for headline in most_read(i):
            assert headline not in article.text and dek(headline) not in article.text
        assert "Most read" not in article.text
        for p in paragraphs(i):
            assert p in article.text


def test_it_is_the_box_rule_that_removes_it(learned):
    """Without the learned box, each page's deks stay: their text is on too few pages to be
    boilerplate, and they are not link text (so no teaser rule takes them)."""
    rules = learned.rules()
    assert rules.boxes
    i = 7
    without = extract(render(i), url(i), template=dataclasses.replace(rules, boxes=frozenset()),
                      language=False)
    assert all(dek(h) in without.text for h in most_read(i))


def test_the_site_chrome_that_is_on_every_page_is_removed(learned):
    summary = learned.summary()
    texts = " ".join(row["text"] for row in summary["boilerplate_blocks"])
    assert "All rights reserved" in texts and "Home World Business Sport" in texts
    assert summary["pages"] == N_PAGES


def test_the_old_three_pages_rule_would_have_deleted_both(learned):
    """What the share prevents: with three pages enough, the background paragraph is
    boilerplate (the first test would fail)."""
    old = Template.from_dict(learned.to_dict())
    old.min_frac = old.min_line_frac = 0.0
    rules = old.rules()
    line = templates._fp("line", templates._line_norm(BACKGROUND))
    assert line in rules.lines
    i = SHARING[0]
    assert BACKGROUND not in extract(render(i), url(i), template=rules, language=False).text
