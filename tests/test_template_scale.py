"""Templates that scale: after 5,000 pages of one site, boilerplate is what recurs on a share
of the pages, not any text three pages happen to share; a rotating box goes by its shape;
text that recurs on a tenth of the stories, between their paragraphs, is story text, while a
trailer inside the body on every page (at its end) and a pitch between paragraphs on every
page are the site's."""

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

# An ongoing story's background paragraph, in a tenth of the site's stories (twice the share
# that makes a block boilerplate), always between the story's own paragraphs.
ONGOING = ("The ceasefire agreed in March has been broken repeatedly, and the two sides have "
           "not met since the talks in Geneva collapsed in the summer.")


def ongoing(i: int) -> bool:
    return i % 10 == 4


# Inside the body on every page, where trafilatura keeps them: a pitch between paragraphs
# and a trailer after the last one (the desk editor rotates among four, a quarter each).
PITCH = "Sign up for The Daily Example's morning newsletter for the day's top stories."
EDITORS = ("Li Fang", "Maria Costa", "John Okafor", "Anna Berg")


def trailer(i: int) -> list[str]:
    return [f"Copyedited by {EDITORS[i % 4]}", "Comments to worlddesk@daily.example"]

# A pool of other stories for the rotating "most read" box: each headline is on about 1 %
# of the pages, well over three pages, so a three-pages rule would have deleted each item.
POOL = [f"Story {i}: " + " ".join(random.Random(i).choices(WORDS, k=6)) for i in range(400)]


def paragraphs(i: int) -> list[str]:
    rng = random.Random(10_000 + i)
    out = [" ".join(rng.choices(WORDS, k=40)).capitalize() + f", officials said on day {i}."
           for _ in range(4)]
    if i in SHARING:
        out.insert(2, BACKGROUND)
    if ongoing(i):
        out.insert(1, ONGOING)
    return out


def body(i: int) -> list[str]:
    """The page's body as extraction gives it once the box is gone: the story's paragraphs
    with the pitch after the second-last and the trailer after the last (learning sees the
    bodies with them; test_the_stand_in_bodies_are_what_extraction_gives checks it)."""
    ps = paragraphs(i)
    return ps[:-1] + [PITCH] + ps[-1:] + trailer(i)


def most_read(i: int) -> list[str]:
    return random.Random(20_000 + i).sample(POOL, 5)


def dek(headline: str) -> str:
    """The one-line summary under a headline in the box (as unique as the headline)."""
    return "More on " + " ".join(headline.split(": ")[1].split()[:3]) + "."


def render(i: int) -> str:
    """A story page: menu, the story with a "Most read" module between its paragraphs (five
    linked headlines with a dek each, drawn anew for every page), footer.  The module sits
    inside the story's container with neutral class names, where trafilatura keeps it."""
    story = [f"<p>{p}</p>" for p in paragraphs(i)]
    ps = story[:-1] + [f'<p class="promo"><strong>{PITCH}</strong></p>'] + story[-1:] \
        + [f'<p class="editor">{trailer(i)[0]}</p><p class="contact">{trailer(i)[1]}</p>']
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
        templates.merge(template, learn_page(render(i)), templates.body_print("\n".join(body(i))))
    return template


def test_the_stand_in_bodies_are_what_extraction_gives(learned):
    """The fixture learns from body(i) rather than extracting 5,000 pages: check that it is
    what extraction gives with the rotating box gone (and no other rule), and the page's
    text with nothing removed holds it."""
    rules = templates.TemplateRules(boxes=learned.rules().boxes)
    for i in (4, 7, *SHARING):
        assert extract(render(i), url(i), template=rules, language=False).text.splitlines() \
            == body(i)
    plain = extract(render(7), url(7), language=False).text.splitlines()
    assert all(line in plain for line in body(7))


def test_a_background_paragraph_a_tenth_of_the_stories_share_is_kept(learned):
    """ONGOING is on 500 pages, ten times the three-pages floor and twice the share that
    makes a block boilerplate, but between the story's own paragraphs wherever it is."""
    rules = learned.rules()
    line = templates._fp("line", templates._line_norm(ONGOING))
    assert learned.line_counts[line] == N_PAGES // 10 and line in rules.story
    summary = learned.summary()
    sample = ONGOING[:templates.SAMPLE_CHARS]
    assert [row["text"] for row in summary["story_lines"]] == [sample]
    assert sample not in [row["text"] for row in summary["boilerplate_lines"]]
    for i in (4, 14, 2344):
        text = extract(render(i), url(i), template=rules, language=False).text
        assert text.splitlines() == paragraphs(i)
        assert ONGOING in text


def test_the_trailer_and_the_pitch_inside_every_body_are_removed(learned):
    """The trailer is inside the body too, but after the story's last paragraph (each
    editor's line on a quarter of the pages, under the share that makes text the site's);
    the pitch sits between paragraphs, on every page."""
    rules = learned.rules()
    for text in (PITCH, *trailer(5), *trailer(6)):
        fp = templates._fp("line", templates._line_norm(text))
        assert fp in rules.lines and fp not in rules.story
    for text in trailer(5):  # inside the story on its first page only
        assert learned.inner_counts.get(templates._fp("line", templates._line_norm(text)), 0) <= 1
    for i in (4, 5, 6, 7):
        text = extract(render(i), url(i), template=rules, language=False).text
        assert PITCH not in text and not any(line in text for line in trailer(i))
        assert "Copyedited" not in text and "worlddesk@" not in text


def test_without_the_story_rule_the_background_would_go(learned):
    """What the position rule prevents: with no story lines, the tenth's background
    paragraph is boilerplate, as a block and as a line."""
    rules = dataclasses.replace(learned.rules(), story=frozenset())
    assert ONGOING not in extract(render(4), url(4), template=rules, language=False).text
    plain = Template.from_dict(learned.to_dict())
    plain.inner_counts = {}
    assert ONGOING not in extract(render(4), url(4), template=plain.rules(), language=False).text


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
    """What the share prevents: with three pages enough (and no story rule), the background
    paragraph is boilerplate (the first test would fail)."""
    old = Template.from_dict(learned.to_dict())
    old.min_frac = old.min_line_frac = 0.0
    old.inner_counts = {}
    rules = old.rules()
    line = templates._fp("line", templates._line_norm(BACKGROUND))
    assert line in rules.lines
    i = SHARING[0]
    assert BACKGROUND not in extract(render(i), url(i), template=rules, language=False).text


def test_learned_in_crawl_order_the_background_stays_and_the_trailer_goes():
    """As a crawl learns: each page extracted with the rules learned from the pages before
    it (renewed every ten stories), then counted.  A block removed is never in a later body,
    so the story rule must be in place by the time the background's block passes the share:
    it is, since the block's pages and the line's bodies are counted together."""
    from pipelines.extract import process_page

    template, rules, texts = Template(), None, {}
    for i in range(100):
        result = process_page(render(i).encode(), url(i), template=rules, links=False,
                              keep_raw=False)
        texts[i] = result.article.text
        templates.merge(template, result.page_print, result.body_print)
        if i % 10 == 9:
            rules = template.rules()
    assert rules.story and ONGOING not in rules.lines
    for i in (64, 74, 84, 94):  # the background's block is on 10 % of the pages by now
        assert texts[i].splitlines() == paragraphs(i)
    for i in range(60, 100):
        assert PITCH not in texts[i] and "Copyedited" not in texts[i]
        assert not any(h in texts[i] for h in most_read(i))
