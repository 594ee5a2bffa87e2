"""A second fixture site with no site rules at all: "World Daily", whose article pages share
a "More from the World desk" box and a newsletter pitch inside the story body, set in plain
<div>/<p> markup that trafilatura keeps.  Only the learned template can remove them."""

from __future__ import annotations

from pathlib import Path

from tests.fixture_site import ARTICLES, FixtureArticle

RELATED = [
    "Leaders meet in Astana to chart the next decade of regional cooperation and trade links "
    "across the continent.",
    "Ocean conference ends with pledges on marine protection and a push for the high seas "
    "treaty to take effect.",
    "Trade ministers warn that tariff uncertainty could weigh on growth in the second half of "
    "the year.",
]
NEWSLETTER = ("Sign up for our morning briefing and get the day's most important world news in "
              "your inbox every weekday.")
STORIES = [a for a in ARTICLES if a.lang == "en" and a.id != "800400131"]

SITE_TOML = '''name = "worlddaily"
start_urls = ["{base}/world/"]
hosts = ["{host}"]
article_pattern = '^/world/\\d{{4}}/[a-z0-9-]+\\.html$'
listing_pattern = '^/world/(?:page-(\\d+)\\.html)?$'
max_pages = 5
'''


def story_path(a: FixtureArticle) -> str:
    return f"/world/{a.date[:4]}/story-{a.id}.html"


def render_story(a: FixtureArticle, unique_aside: str | None = None) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in a.body)
    related = "".join(f"<p>{r}</p>" for r in RELATED)
    aside = f"<p>{unique_aside}</p>" if unique_aside else ""
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{a.title} | World Daily</title></head><body>
<header><nav><a href="/">Home</a> <a href="/world/">World</a> <a href="/sport/">Sport</a></nav></header>
<main><article><h1>{a.title}</h1><p>By {a.author}, {a.date}</p><div class="story-body">{paragraphs}
<div><p><b>More from the World desk</b></p>{related}{aside}</div>
<p>{NEWSLETTER}</p></div></article></main>
<footer><p>World Daily. All rights reserved.</p></footer></body></html>"""


def build_generic_site(dest: Path, stories: list[FixtureArticle] = STORIES) -> list[str]:
    """Write the site (section front + stories) into ``dest``; returns the story paths.

    The first story's related box carries one extra sentence no other page has, the way an
    editor adds a line by hand: it must survive learning."""
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "robots.txt").write_text("User-agent: *\nDisallow:\n")
    links = []
    for i, a in enumerate(stories):
        path = dest / story_path(a).lstrip("/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_story(a, UNIQUE_ASIDE if i == 0 else None), encoding="utf-8")
        links.append(f'<li><a href="{story_path(a)}">{a.title}</a></li>')
    (dest / "world").mkdir(exist_ok=True)
    (dest / "world" / "index.html").write_text(
        f"<html><body><h1>World</h1><ul>{''.join(links)}</ul></body></html>", encoding="utf-8")
    return [story_path(a) for a in stories]


UNIQUE_ASIDE = ("Correction: an earlier version of this story misstated the venue of the "
                "closing session, which was held in the old town hall.")
