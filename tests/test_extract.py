"""extract() on pages shaped like the real site: what must stay, what must go."""

from __future__ import annotations

import pytest

from crawler.sites import BJREVIEW
from pipelines.extract import NoArticle, decode_html, extract
from pipelines.rulepacks import line_rules
from tests.fixture_site import ARTICLES, VIDEO_PATH, must_contain, must_not_contain, render_article, render_video_page

BY_ID = {a.id: a for a in ARTICLES}


@pytest.mark.parametrize("fixture", ARTICLES, ids=[a.id for a in ARTICLES])
def test_body_keeps_the_article_and_drops_the_boilerplate(fixture):
    html = render_article(fixture).encode("utf-8")
    article = extract(html, f"https://www.bjreview.com{fixture.path}", BJREVIEW)
    for sentence in must_contain(fixture):
        assert sentence in article.text, sentence
    for junk in must_not_contain(fixture):
        assert junk not in article.text, junk
    assert article.title == fixture.title
    assert article.authors == [fixture.author]
    assert article.published == fixture.date
    assert article.language == fixture.lang
    assert article.declared_language == fixture.declared_lang
    assert article.url == f"https://www.bjreview.com{fixture.path}"


def test_reference_article_fields():
    ref = next(a for a in ARTICLES if a.id == "800400123")
    article = extract(render_article(ref).encode(), f"https://www.bjreview.com{ref.path}", BJREVIEW)
    # Every body paragraph, in order, and the section subheads.
    positions = [article.text.index(p[:60]) for p in ref.body]
    assert positions == sorted(positions)
    for subhead in ("A dynamic mechanism", "Toward modernization", "Long-lasting friendship"):
        assert subhead in article.text
    assert article.captions == ref.captions
    assert article.extras == {"print_title": "From Xi'an to Astana"}
    assert article.language == "en" and article.language_probability > 0.9
    assert "July 82025" not in article.text and "Subscribe" not in article.text


def test_chinese_page_declaring_english_is_detected_as_chinese():
    zh = next(a for a in ARTICLES if a.lang == "zh")
    article = extract(render_article(zh).encode(), None, BJREVIEW)
    assert (article.language, article.declared_language) == ("zh", "en")


def test_video_page_has_no_article():
    with pytest.raises(NoArticle) as info:
        extract(render_video_page().encode(), f"https://www.bjreview.com{VIDEO_PATH}", BJREVIEW)
    assert info.value.reason == "no_body"


@pytest.mark.parametrize("raw", [b"", b"   \n\t ", b"\x00" * 1000, b"<html><body></body></html>"])
def test_empty_pages_have_no_article(raw):
    with pytest.raises(NoArticle):
        extract(raw, "https://www.bjreview.com/World/202506/t20250623_1.html", BJREVIEW)


def test_generic_extraction_without_a_site_profile():
    ref = next(a for a in ARTICLES if a.id == "800400123")
    article = extract(render_article(ref).encode(), None, None)
    assert ref.body[5] in article.text
    assert "Partners:" not in article.text
    # rel=canonical names the story when no URL is given.
    assert article.url == f"https://www.bjreview.com{ref.path}"


def test_canonical_to_another_site_or_a_listing_is_ignored():
    ref = next(a for a in ARTICLES if a.id == "800400123")
    page = f"https://www.bjreview.com{ref.path}"
    for bad in ("https://elsewhere.example/x.html", "https://www.bjreview.com/World/"):
        html = render_article(ref).replace(f"https://www.bjreview.com{ref.path}\"", f"{bad}\"", 1)
        assert extract(html.encode(), page, BJREVIEW).url == page


CYRILLIC = "Лидеры Китая и стран Центральной Азии подписали договор о вечном добрососедстве. " * 8


def test_mislabelled_charset_is_decoded_from_the_bytes():
    utf8_page = f"<html><head><meta charset='iso-8859-1'></head><body><p>{CYRILLIC}</p></body></html>"
    text, encoding = decode_html(utf8_page.encode("utf-8"), "iso-8859-1")
    assert CYRILLIC in text and encoding == "utf-8"
    cp1251_page = utf8_page.replace("iso-8859-1", "utf-8").encode("cp1251")
    text, encoding = decode_html(cp1251_page, "utf-8")
    assert CYRILLIC.strip() in text
    article = extract(cp1251_page, None, None, encoding="utf-8")
    assert "вечном добрососедстве" in article.text and "\ufffd" not in article.text
    assert article.language == "ru"


@pytest.mark.parametrize("trailer", [
    "This article originally appeared on HuffPost.",
    "- This article was initially published on AOL.com: Uranus will be visible tonight",
    "The Associated Press contributed to this report.",
    "Read more from Yahoo News:",
    "RELATED: See the top space photos from 2016:",
    "With Post wires",
    "This story will be updated as more information becomes available.",
    "Twitter: @cathleendecker\nALSO:",
    "Times staff writer Jane Roe contributed to this report.\nTwitter: , @noamlevey\nALSO:",
    "Follow @JimPuzzanghera on Twitter",
    "Helen Wang is an award-winning author. Follow her on Twitter @TheHelenWang.",
    "See more news-related photo galleries and follow us on Yahoo News Photo Twitter and Tumblr.",
    "Got a tip? Email at tips@example.com or get me on Signal on +447837496820.",
    "Are you in the area? Have you been affected by this? Share with us by emailing "
    "yoursay@example.com.\nPlease include a contact number. You can also contact us in the "
    "following ways:\n- WhatsApp: +44 7555 173285\n- Send pictures/video to pics@example.com"
    "\n- Tweet: @ExampleYourSay\n- Text an SMS or MMS to 61124 (UK) or +44 7624 800 100",
    # a bracketed credit, a separator line
    "[Reuters]",
    "___",
    "(Reporting by Jane Roe in Lagos; additional reporting by John Doe; Editing by Ann Poe)",
    "John Doe contributed reporting from Hong Kong.",
    "Contributing: Jane Roe\nFiled under: Elections | Storms |\n12 Comments",
    "SOURCE: News agencies",
    "Updated at 1:23 p.m.",
])
def test_trailers_at_the_end_of_a_body_are_dropped(trailer):
    from pipelines.body import drop_trailers

    english = line_rules(("en",))
    body = "First paragraph of the story.\nSecond paragraph, which mentions Read more: nothing."
    assert drop_trailers(f"{body}\n{trailer}", english) == body
    # The same words inside the story, followed by story text, stay.
    assert trailer in drop_trailers(f"{trailer}\n{body}", english)


@pytest.mark.parametrize("leader", ["By Zachary Fagenson", "By JOHN SMITH, Associated Press",
                                    "- comments", "12 Comments"])
def test_a_byline_or_comment_counter_opening_a_body_is_dropped(leader):
    from pipelines.body import drop_leaders

    english = line_rules(("en",))
    body = "GAINESVILLE, Fla. (Reuters) - Protesters shouted at the speaker.\nSecond paragraph."
    assert drop_leaders(f"{leader}\n{body}", english) == body
    # The same line further down, and a sentence that starts with "By", stay.
    assert drop_leaders(f"{body}\n{leader}", english) == f"{body}\n{leader}"
    sentence = "By Sunday, the storm had passed over the coast."
    assert drop_leaders(f"{sentence}\n{body}", english) == f"{sentence}\n{body}"


@pytest.mark.parametrize("ending", [
    "Anyone with information is asked to get in touch with the police.",
    "She said she would follow the story on Twitter: \"It is not over.\"",
    "“We will respond accordingly,” Tillerson said.",
    "The source: a report the ministry had kept secret for a decade.",
    "Reporting by the local paper had first raised the alarm in 2017, officials said.",
])
def test_story_endings_that_look_like_trailers_stay(ending):
    from pipelines.body import drop_trailers

    body = f"First paragraph of the story.\n{ending}"
    assert drop_trailers(body, line_rules(("en",))) == body


PARAGRAPHS = [
    "The finance ministers of the bloc met on Tuesday to agree a common line on tariffs, "
    "after weeks in which the member states had pulled in different directions.",
    "Officials said the talks ran late into the night and ended with a statement that "
    "committed every government to the same schedule of consultations next spring.",
    "Critics of the plan argued that the schedule leaves too little room for parliaments, "
    "which will only see the final text a few days before they are asked to vote on it.",
]


def _page(header: str, body: str, description: str = "") -> bytes:
    meta = f'<meta property="og:description" content="{description}">' if description else ""
    paragraphs = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    return (f"<html><head><title>Ministers agree tariff line</title>{meta}</head><body>"
            f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
            f"<header>{header}</header><article>{paragraphs}{body}</article>"
            f"<footer>Copyright 2026 Example News</footer></body></html>").encode()


def test_standfirst_is_the_description_printed_under_the_headline():
    from pipelines.extract import find_standfirst, page_tree

    dek = "Ministers close ranks on tariffs after weeks of open disagreement between capitals."
    tree = page_tree(_page(f"<h1>Ministers agree tariff line</h1><h2>{dek}</h2>", "", dek))
    assert find_standfirst(tree, dek) == dek
    # A site-wide tagline above the headline is not a standfirst, even when it is the
    # page's description; nor is a description too short to be a sentence.
    tagline = "Example News: independent reporting from every continent, every day."
    tree = page_tree(_page(f"<p>{tagline}</p><h1>Ministers agree tariff line</h1>", "", tagline))
    assert find_standfirst(tree, tagline) is None
    assert find_standfirst(page_tree(_page("<h1>T</h1><p>Short dek.</p>", "")), "Short dek.") is None


def test_standfirst_comes_back_once_and_only_where_the_default_kept_it():
    from pipelines.body import _with_standfirst

    body = "\n".join(PARAGRAPHS)
    default = f"A new lead.\n{body}"
    assert _with_standfirst(body, PARAGRAPHS[0], default) == body
    assert _with_standfirst(body, "A new lead.", default) == default
    # Not where trafilatura's default extraction did not count it as the article either.
    assert _with_standfirst(body, "A new lead.", body) == body


def test_a_list_of_mostly_links_goes_as_a_whole():
    related = ("<p>Selected parts of the index:</p><ul>"
               + "".join(f"<li><a href='/story/{i}'>Related story number {i}</a></li>" for i in range(4))
               + "<li>Health and safety</li></ul>")
    own_list = ("<ul><li>The first measure caps duties on steel at ten percent.</li>"
                "<li>The second sets up a review panel, <a href='/panel'>described here</a>.</li>"
                "<li>The third delays the rules on cars until the end of next year.</li></ul>")
    text = extract(_page("<h1>Ministers agree tariff line</h1>", related + own_list), None).text
    assert "Related story number" not in text and "Health and safety" not in text
    for item in ("caps duties on steel", "sets up a review panel", "delays the rules on cars"):
        assert item in text


def test_a_linked_lead_in_keeps_its_paragraph_whole():
    briefing = "<ul>" + "".join(
        f"<li><strong><a href='/s/{i}'>Headline number {i} of the briefing.</a></strong> "
        f"The story behind headline {i} takes a sentence or two to tell in full.</li>"
        for i in range(4)) + "</ul><p><strong><a href='/more'>Read all our briefings</a></strong></p>"
    text = extract(_page("<h1>Ministers agree tariff line</h1>", briefing), None).text
    for i in range(4):
        assert f"Headline number {i} of the briefing. The story behind headline {i}" in text
    assert "Read all our briefings" not in text


SECOND_HALF = [
    "After midnight the delegations returned with a draft that split the difference on steel "
    "and left the question of cars to a review panel that will report in the autumn.",
    "Diplomats from the smaller members said the compromise was the best they could hope for, "
    "given how far apart the largest economies had been when the meeting opened.",
    "The statement will be published in every official language on Friday, officials said, "
    "and national parliaments will then have six weeks to raise objections to the text.",
]


def _split_page(between: str, parts: int = 2) -> bytes:
    def part(paragraphs: list[str]) -> str:
        return ("<div class='grid'><div class='grid--item body body__container article__body'>"
                + "".join(f"<p>{p}</p>" for p in paragraphs) + "</div></div>")

    paragraphs = PARAGRAPHS + SECOND_HALF
    size = -(-len(paragraphs) // parts)
    body = between.join(part(paragraphs[i:i + size]) for i in range(0, len(paragraphs), size))
    return (f"<html><head><title>Ministers agree tariff line</title></head><body>"
            f"<nav><a href='/'>Home</a> <a href='/world'>World</a></nav>"
            f"<article><h1>Ministers agree tariff line</h1>{body}</article>"
            f"<footer>Copyright 2026 Example News</footer></body></html>").encode()


@pytest.mark.parametrize("parts", [2, 3])
def test_a_body_split_between_ads_is_extracted_whole(parts):
    page = _split_page("<div class='ad-slot'><div>Advertisement</div></div>", parts)
    text = extract(page, None).text
    positions = [text.index(paragraph[:60]) for paragraph in PARAGRAPHS + SECOND_HALF]
    assert positions == sorted(positions)


def test_blocks_with_a_headline_between_them_are_not_joined():
    from pipelines.extract import join_split_bodies, page_tree

    tree = page_tree(_split_page("<h2>Live: the reaction in the capitals</h2>"))
    join_split_bodies(tree)
    assert len(tree.xpath("//div[contains(@class, 'article__body')]")) == 2
    tree = page_tree(_split_page("<div class='ad-slot'>Advertisement</div>"))
    join_split_bodies(tree)
    assert len(tree.xpath("//div[contains(@class, 'article__body')]")) == 1
