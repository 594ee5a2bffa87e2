"""Photo captions go to the captions column on every site, never into the body."""

from __future__ import annotations

from pipelines.extract import extract

PARAGRAPHS = [
    "Rescue teams reached the village of Kalavryta on Tuesday morning after the landslide cut "
    "the only road into the valley, the regional fire service said in a statement.",
    "About forty households were evacuated overnight, and the mayor said that the school "
    "gymnasium would house families whose homes were declared unsafe by the engineers.",
    "Forecasters expect more rain on Thursday, and the civil protection agency has asked "
    "residents of the lower valley to stay away from the riverbanks until the weekend.",
    "The road is expected to reopen next week once the slope has been stabilised, the "
    "ministry of infrastructure said, adding that the repair would cost about two million euros.",
]

FIGCAPTION = "Rescue workers clear mud from the main square of Kalavryta on Tuesday."
WP_CAPTION = "The collapsed section of the provincial road seen from a drone, Monday evening."
DIV_CAPTION = "Families wait outside the school gymnasium in the lower valley."
TEASER_CAPTION = "Floods in the north: a photo gallery from last spring's storm"


def story_page() -> str:
    """A news page with captions in three common markups and a teaser with its own picture."""
    p = [f"<p>{t}</p>" for t in PARAGRAPHS]
    return f"""<!doctype html><html lang="en"><head><title>Landslide cuts off valley</title>
<meta property="og:title" content="Landslide cuts off valley"></head><body>
<nav><a href="/">Home</a> <a href="/world">World</a></nav>
<article><h1>Landslide cuts off valley</h1>
<figure><img src="/img/square.jpg" alt=""><figcaption>{FIGCAPTION}</figcaption></figure>
{p[0]}
<div class="wp-caption alignnone"><img src="/img/road.jpg" alt="">
<p class="wp-caption-text">{WP_CAPTION}</p></div>
{p[1]}
<div class="article-image"><img src="/img/gym.jpg" alt="">
<div class="image-caption">{DIV_CAPTION}</div></div>
{p[2]}{p[3]}
</article>
<aside><a href="/gallery/floods"><figure><img src="/img/f.jpg" alt="">
<figcaption>{TEASER_CAPTION}</figcaption></figure></a></aside>
</body></html>"""


def test_captions_of_every_markup_go_to_the_captions_column():
    article = extract(story_page(), "https://news.example.net/world/landslide-valley")
    assert article.captions == [FIGCAPTION, WP_CAPTION, DIV_CAPTION]
    for caption in (FIGCAPTION, WP_CAPTION, DIV_CAPTION):
        assert caption not in article.text
    for paragraph in PARAGRAPHS:
        assert paragraph in article.text


def test_a_teasers_picture_caption_is_not_this_storys_caption():
    article = extract(story_page(), "https://news.example.net/world/landslide-valley")
    assert TEASER_CAPTION not in article.captions and TEASER_CAPTION not in article.text


def test_a_long_block_named_caption_is_a_wrapper_and_stays_body():
    # Some templates call the whole story column "caption": it is not a photo caption.
    page = story_page().replace("<article>", '<article><div class="caption">', 1) \
        .replace("</article>", "</div></article>", 1)
    article = extract(page, "https://news.example.net/world/landslide-valley")
    for paragraph in PARAGRAPHS:
        assert paragraph in article.text
    assert FIGCAPTION in article.captions
