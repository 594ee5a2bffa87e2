"""A story's last section (a heading and a few paragraphs) is story text.

trafilatura's favor_precision deletes a short last block that holds a link, then the heading
left trailing; the page below is shaped like a BBC explainer (text blocks and subheadline
blocks in an <article>, topic tags, then a related section and a footer), written here, not
copied.  The section must come back; what follows the story must still stay out.
"""

from __future__ import annotations

import pytest

from pipelines.body import last_section
from pipelines.extract import extract

URL = "https://news.example/articles/budget-watchdog"

INTRO = [
    "The government's spending watchdog will be given new powers to question departments "
    "about their plans, the chancellor has announced.",
    "The change follows a row over billions of pounds of spending pressures that the "
    "watchdog said it had not been told about when it made its last forecast in March.",
    "Ministers said the new rules would stop any future government from leaving its "
    "successor with a cliff edge in the public finances.",
]
WHY = [
    "The watchdog was set up in 2010 by the coalition government of the day.",
    "Before that, the Treasury produced its own forecasts of growth and borrowing.",
    "It was designed to give an independent view of the economy, free of party politics.",
]
WHO_HEADING = "Who runs the watchdog?"
WHO = [
    "The watchdog is led by a committee of three members.",
    "Its chair, whose five-year term began in 2020, was appointed by the chancellor "
    "after a hearing of the Treasury committee.",
]
RELATED = ["Budget deficit hits record high", "What is in the spending review?",
           "Interest rates held again"]


def text_block(paragraphs: list[str], link_in_last: bool = False) -> str:
    ps = [f'<p class="ssrcss-1q0x1qg-Paragraph e1jhz7w10">{p}</p>' for p in paragraphs]
    if link_in_last:
        last = paragraphs[-1]
        head, rest = last.split(", whose", 1) if ", whose" in last else (last, "")
        ps[-1] = (f'<p class="ssrcss-1q0x1qg-Paragraph e1jhz7w10"><a href="https://watchdog.example/'
                  f'chair">{head}</a>{", whose" + rest if rest else ""}</p>')
    return (f'<div data-component="text-block" class="ssrcss-11r1m41-RichTextComponentWrapper">'
            f'{"".join(ps)}</div>')


def subheading(text: str) -> str:
    return (f'<div data-component="subheadline-block" class="ssrcss-1v3ajpy-StyledHeading">'
            f'<h2 class="ssrcss-1mgwpnp-Heading">{text}</h2></div>')


def page() -> str:
    related = "".join(f'<li><a href="/articles/r{i}">{t}</a></li>' for i, t in enumerate(RELATED))
    tags = "".join(f'<a href="/topics/t{i}">{t}</a>' for i, t in
                   enumerate(["Economy", "Public spending", "Budget"]))
    return f"""<!doctype html><html lang="en-GB"><head><meta charset="utf-8">
<title>Budget watchdog to get new powers - News Example</title></head><body>
<header><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/sport">Sport</a></nav></header>
<main><article>
<div data-component="headline-block"><h1>Budget watchdog to get new powers</h1></div>
<div data-component="byline-block"><span>By Jane Reporter</span><span>Business reporter</span></div>
{text_block(INTRO)}
<div data-component="text-block"><ul><li><a href="/articles/inside">The inside story of the
mini-budget</a></li></ul></div>
{subheading("Why was the watchdog created?")}
{text_block(WHY)}
{subheading(WHO_HEADING)}
{text_block(WHO, link_in_last=True)}
<div data-component="tags"><div>{tags}</div></div>
</article>
<aside data-component="related"><h2>Related</h2><ul>{related}</ul></aside>
</main>
<footer><p>Copyright 2024 News Example. The News Example is not responsible for the content
of external sites.</p></footer></body></html>"""


def test_the_last_section_of_a_story_is_kept():
    text = extract(page(), URL, language=False).text
    lines = text.splitlines()
    assert lines[-3:] == [WHO_HEADING, *WHO]
    for p in INTRO + WHY:
        assert p in lines


def test_what_follows_the_story_stays_out():
    text = extract(page(), URL, language=False).text
    assert not any(t in text for t in RELATED)
    assert "Copyright" not in text and "Public spending" not in text


@pytest.mark.parametrize("tail", [
    # a related box: headlines, not sentences
    ["More on this story", "Budget deficit hits record high", "Interest rates held again"],
    # a footer: labels and a copyright line
    ["About us", "Contact", "Copyright 2024 News Example. All rights reserved."],
    # a heading alone, or sentences without a heading
    ["Related topics"],
    ["Sign up for our newsletter to get the day's top stories in your inbox.",
     "Read our privacy notice to find out how we use your data."],
])
def test_a_tail_that_is_not_a_section_is_not_taken_back(tail):
    precise = "\n".join(INTRO)
    assert last_section(precise, "\n".join(INTRO + tail)) == precise


def test_a_section_is_taken_back_only_after_the_precise_output_ends():
    precise = "\n".join(INTRO + WHY)
    default = "\n".join(INTRO + WHY + [WHO_HEADING, *WHO])
    assert last_section(precise, default) == default
    assert last_section(default, default) == default



def test_a_cut_line_is_completed_only_from_a_line_that_starts_with_it():
    """favor_precision can stop partway through the last paragraph when its text runs on
    after a spacer <div> inside it (an aeb development page: jpost); the default's line
    that starts with the cut one completes it, and a section after it comes back too."""
    for last in ("The change follows", "Ministers said nothing"):  # already whole; no prefix
        precise = "\n".join(INTRO[:2] + [last])
        assert last_section(precise, "\n".join(INTRO)) == precise
    cut = "\n".join(INTRO[:2] + [INTRO[2][:40]])
    assert last_section(cut, "\n".join(INTRO + RELATED)) == "\n".join(INTRO)
    assert last_section(cut, "\n".join(INTRO + [WHO_HEADING, *WHO])) \
        == "\n".join(INTRO + [WHO_HEADING, *WHO])
