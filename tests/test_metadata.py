"""Metadata read from all the sources a page gives: meta tags, JSON-LD and the visible page."""

from __future__ import annotations

import json

from pipelines.extract import extract

BODY = " ".join(
    "The committee met on Thursday to discuss the revised budget for the coming year, and its "
    "members heard from the finance director about the shortfall in the transport fund."
    for _ in range(4))


def page(*, og_title: str, h1: str, ld: dict | None = None, meta_author: str | None = None,
         byline: str = "", site_name: str = "Deutsche Welle", head: str = "") -> str:
    """A news page the way CMSs write them: og tags, JSON-LD, a header with the h1 and byline."""
    ld_script = (f'<script type="application/ld+json">{json.dumps(ld)}</script>'
                 if ld is not None else "")
    author = f'<meta name="author" content="{meta_author}">' if meta_author else ""
    return f"""<!doctype html><html lang="en"><head>
<title>{og_title}</title>
<meta property="og:title" content="{og_title}">
<meta property="og:site_name" content="{site_name}">
{author}{head}{ld_script}
</head><body>
<header class="site"><a href="/">{site_name}</a></header>
<article><h1>{h1}</h1>
<div class="byline">{byline}</div>
<p>{BODY}</p><p>{BODY}</p>
</article></body></html>"""


def test_title_loses_site_and_date_suffix_the_h1_shows_is_not_the_headline():
    html = page(og_title="Germany shuts its last nuclear plants | DW | 28.04.2023",
                h1="Germany shuts its last nuclear plants",
                ld={"@context": "https://schema.org", "@type": "NewsArticle",
                    "headline": "Germany shuts its last nuclear plants"})
    assert extract(html, "https://www.dw.com/en/a-65432").title == \
        "Germany shuts its last nuclear plants"


def test_title_loses_the_site_name_even_without_h1_confirmation():
    html = page(og_title="Mining blasts shatter homes - Lesotho Times", h1="Lesotho Times",
                site_name="Lesotho Times")
    assert extract(html, "https://lestimes.com/mining-blasts/").title == \
        "Mining blasts shatter homes"


def test_title_keeps_a_colon_headline_and_a_dash_inside_it():
    # The dash is part of the headline: no other source says the headline is shorter.
    title = "Trump plans a helipad – while his ballroom project stalls"
    html = page(og_title=title, h1=title, site_name="Tages-Anzeiger")
    assert extract(html, "https://www.tagesanzeiger.ch/trump-123").title == title


def test_authors_are_jsonld_people_not_the_publisher_in_the_meta_tag():
    html = page(og_title="Budget talks stall", h1="Budget talks stall",
                meta_author="Frankfurter Allgemeine Zeitung GmbH",
                ld={"@context": "https://schema.org", "@graph": [
                    {"@type": "NewsArticle", "headline": "Budget talks stall",
                     "author": [{"@id": "https://example.de/#/person/1"}],
                     "publisher": {"@type": "Organization", "name": "Frankfurter Allgemeine Zeitung"}},
                    {"@type": "Person", "@id": "https://example.de/#/person/1",
                     "name": "Ralf Euler"}]})
    assert extract(html, "https://www.faz.net/aktuell/budget-1.html").authors == ["Ralf Euler"]


def test_visible_byline_before_the_publisher_named_as_author():
    html = page(og_title="Budget talks stall", h1="Budget talks stall",
                meta_author="Deutsche Welle",
                byline='<span class="author-name">Jane Roe</span>')
    assert extract(html, "https://www.dw.com/en/a-1").authors == ["Jane Roe"]


def test_organization_only_when_the_page_names_no_person():
    html = page(og_title="Budget talks stall", h1="Budget talks stall", site_name="ORF.at",
                ld={"@context": "https://schema.org", "@type": "NewsArticle",
                    "headline": "Budget talks stall",
                    "author": {"@type": "Organization", "name": "ORF.at"}})
    assert extract(html, "https://orf.at/stories/1/").authors == ["ORF.at"]


def test_two_names_in_one_author_string_are_two_authors_once_each():
    html = page(og_title="Ice sheet melts", h1="Ice sheet melts", site_name="sermitsiaq",
                meta_author="Sophie Foster",
                ld={"@context": "https://schema.org", "@type": "NewsArticle",
                    "headline": "Ice sheet melts",
                    "author": [{"@type": "Person",
                                "name": "Trine Jørgensen og Tôrtia Reimer-Johansen (trj)"},
                               {"@type": "Person", "name": "Trine  Jørgensen"}]})
    assert extract(html, "https://sermitsiaq.ag/ice").authors == \
        ["Trine Jørgensen", "Tôrtia Reimer-Johansen"]


def test_photo_credits_in_jsonld_are_not_authors():
    html = page(og_title="Floods in the north", h1="Floods in the north", site_name="wdr.de",
                ld={"@context": "https://schema.org", "@type": "NewsArticle",
                    "headline": "Floods in the north",
                    "author": [{"@type": "Person", "name": "Nina Magoley"}],
                    "image": {"@type": "ImageObject", "author": "WDR / picture alliance"}})
    assert extract(html, "https://www1.wdr.de/nachrichten/floods-100.html").authors == \
        ["Nina Magoley"]


def test_date_is_the_storys_own_jsonld_date_not_a_rewritten_meta_or_a_videos():
    # The CMS rewrote article:published_time at the last update; the embedded video has a
    # date of its own.  The story object's datePublished is the publication.
    head = '<meta property="article:published_time" content="2024-08-05T19:49:50Z">'
    html = page(og_title="Riots spread to Plymouth", h1="Riots spread to Plymouth", head=head,
                site_name="Mirror",
                ld={"@context": "https://schema.org", "@graph": [
                    {"@type": "VideoObject", "name": "Archive footage",
                     "datePublished": "2021-03-02T10:00:00Z"},
                    {"@type": "NewsArticle", "headline": "Riots spread to Plymouth",
                     "datePublished": "2024-08-04T13:23:00Z",
                     "dateModified": "2024-08-05T19:49:50Z"}]})
    article = extract(html, "https://www.mirror.co.uk/news/uk-news/riots-plymouth-123")
    assert article.published.startswith("2024-08-04")
    assert article.modified.startswith("2024-08-05")


def test_title_is_the_declared_headline_not_the_social_rewrite_of_og_title():
    # og:title is written for sharing and often reworded; the story's JSON-LD headline is
    # what the newsroom declares (and the h1 shows), so it wins, without its site suffix.
    html = page(og_title="You won't believe what the council did with the tram money",
                h1="Council moves tram fund to road repairs",
                ld={"@context": "https://schema.org", "@type": "NewsArticle",
                    "headline": "Council moves tram fund to road repairs - Daily Courier"},
                site_name="Daily Courier")
    assert extract(html, "https://www.dailycourier.example/news/tram-fund").title == \
        "Council moves tram fund to road repairs"


def test_date_from_the_visible_dateline_under_the_headline_when_no_tag_has_one():
    # No meta or JSON-LD date; the story's header says "Do 25.04.24".  A teaser above it and
    # a date quoted in the story are other dates, and the URL gives only year and month.
    html = f"""<!doctype html><html lang="de"><head>
<title>Altes Hotel öffnet als Theater seine Pforten | rbb24</title>
<meta property="og:title" content="Altes Hotel öffnet als Theater seine Pforten"></head><body>
<aside><article class="teaser"><h3><a href="/a.html">Bahnstreik am Montag</a></h3>
<div class="date">Mo 22.04.24 | 09:10 Uhr</div></article></aside>
<article><h3><span class="roofline">Premiere in Eisenhüttenstadt</span>
<span class="titletext">Altes Hotel öffnet als Theater seine Pforten</span></h3>
<div class="technicalline">Do 25.04.24 | 14:07 Uhr | Von <span class="author">Eva Roth</span></div>
<p>Das Hotel wurde am 01.05.1963 eröffnet. {BODY}</p><p>{BODY}</p></article></body></html>"""
    article = extract(html, "https://www.rbb24.example/kultur/beitrag/2024/04/hotel-theater.html")
    assert article.published == "2024-04-25"


def test_the_publisher_with_its_address_as_meta_author_gives_no_place_names_as_authors():
    html = page(og_title="Job scheme helps refugees into work", h1="Job scheme helps refugees into work",
                meta_author="hessenschau.de, Frankfurt, Germany", site_name="hessenschau.de")
    authors = extract(html, "https://www.hessenschau.de/wirtschaft/job-scheme-100.html").authors
    assert authors == ["hessenschau.de"]


def _byline_page(byline: str) -> str:
    """A German story whose JSON-LD author is the publisher, with a most-read list after it."""
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Frankreich hadert",
          "author": {"@type": "Organization", "name": "n-tv NACHRICHTEN"},
          "publisher": {"@type": "Organization", "name": "n-tv NACHRICHTEN"}}
    return f"""<!doctype html><html lang="de"><head><title>Frankreich hadert</title>
<meta property="og:site_name" content="n-tv NACHRICHTEN">
<meta name="author" content="n-tv NACHRICHTEN">
<script type="application/ld+json">{json.dumps(ld)}</script></head><body>
<article><h1>Frankreich hadert</h1>
<div class="article__info"><span class="article__author">{byline}</span>
<span class="article__date">05.08.2024, 20:59 Uhr</span></div>
<p>{BODY}</p><p>{BODY}</p></article>
<div class="most-read"><div class="item"><a href="/b.html">Andere Geschichte</a>
<span class="appetizer-author">Von Knut Krohn</span></div></div></body></html>"""


def test_the_visible_byline_names_the_reporter_before_the_publisher_as_jsonld_author():
    html = _byline_page("Von Seb Dumitru")
    assert extract(html, "https://www.n-tv.de/sport/article25136526.html").authors == \
        ["Seb Dumitru"]


def test_a_byline_that_names_no_person_leaves_the_publisher_not_a_teasers_reporter():
    # "Von unserer Redaktion" names no one; the teaser's "Von Knut Krohn" is another story's.
    html = _byline_page("Von unserer Redaktion | 03:07 Min")
    assert extract(html, "https://www.n-tv.de/sport/article25136527.html").authors == \
        ["n-tv NACHRICHTEN"]


def _wordpress_page(lead: str, *, author: str = "Maseru Mail", header: str = "") -> str:
    """A small newsroom's WordPress story: the CMS credits the account that posted it (named
    after the site) in the meta tag, JSON-LD and the template's "by" line; the reporter's
    name is typed into the story's text."""
    ld = {"@context": "https://schema.org", "@graph": [
        {"@type": "Organization", "@id": "https://maserumail.example/#org", "name": "Maseru Mail"},
        {"@type": "BlogPosting", "headline": "Quarry blasts crack village homes",
         "author": {"@type": "Person", "name": author},
         "publisher": {"@id": "https://maserumail.example/#org"}}]}
    return f"""<!doctype html><html lang="en"><head>
<title>Quarry blasts crack village homes - Maseru Mail</title>
<meta property="og:site_name" content="Maseru Mail">
<meta name="author" content="Maseru Mail">
<script type="application/ld+json">{json.dumps(ld)}</script></head><body>
<article><h1>Quarry blasts crack village homes</h1>
<p class="meta">by <a rel="author" href="/author/admin/">{author}</a> | 21 November 2025</p>
{header}
<div class="entry-content">{lead}
<p><strong>A</strong> quarry run by a foreign company has come under fire from five villages
whose residents say its blasting is cracking their walls. {BODY}</p><p>{BODY}</p></div>
</article></body></html>"""


def test_the_bold_name_line_that_opens_the_story_is_its_byline_not_the_cms_account():
    # The CMS's author is the posting account ("Maseru Mail D", named after the site); the
    # story's first line, a paragraph wholly in bold holding only names, says who wrote it.
    html = _wordpress_page("<p><em>…as villagers accuse chiefs of taking bribes</em></p>"
                           "<p><strong>Thato Mokoena/Lerato Phiri</strong></p>",
                           author="Maseru Mail D")
    assert extract(html, "https://maserumail.example/quarry-blasts/").authors == \
        ["Thato Mokoena", "Lerato Phiri"]


def test_a_bold_opening_sentence_is_no_byline():
    # A story that opens with a bold sentence (not a name) keeps the CMS's person.
    html = _wordpress_page("<p><strong>Five villages say the blasts must stop.</strong></p>",
                           author="Palesa Ntho")
    assert extract(html, "https://maserumail.example/quarry-blasts/").authors == ["Palesa Ntho"]


def _header_page(header: str, lang: str = "en") -> str:
    """A story whose byline has no author markup and whose tags name only the publisher."""
    return f"""<!doctype html><html lang="{lang}"><head>
<title>Alpine chalets draw Lisbon buyers | Algarve Weekly</title>
<meta property="og:site_name" content="Algarve Weekly">
<meta property="og:title" content="Alpine chalets draw Lisbon buyers"></head><body>
<header><nav><h3>Alpine chalets draw Lisbon buyers</h3><a href="/">Home</a> <a href="/news">News</a>
<span>Sarah Wells |</span> <span>01.02.2025</span></nav></header>
<main><h1>Alpine chalets draw Lisbon buyers</h1>
<div class="lead"><p>Demand for ski homes in the French Alps from buyers based in Portugal rose
by forty per cent last year, a consultancy that sells them says.</p></div>
{header}
<p>{BODY}</p><p>{BODY}</p></main></body></html>"""


def test_a_labelled_byline_without_markup_gives_the_names_up_to_what_follows():
    # "By X, in News, Portugal": the label opens the byline, the section list is no name.
    html = _header_page('<p class="text-sm">By Ana Costa and Rui Lopes, in <a href="/news">News</a>, '
                        '<a href="/portugal">Portugal</a> &middot; 31 Jan 2025</p>')
    assert extract(html, "https://algarveweekly.example/news/alpine-chalets").authors == \
        ["Ana Costa", "Rui Lopes"]


def test_a_labelled_byline_whose_names_are_links_after_the_label():
    # "Von:" stands alone; the names are links joined by a comma; the translator's credit
    # after them is another role, not an author.
    html = _header_page('<ul><li>3 Minuten Lesezeit</li><li>Von: <a href="/p/bill">Bill MCCARTHY</a>,'
                        ' <a href="/p/marisha">Marisha GOLDHAMER</a></li>'
                        '<li>Übersetzung und Adaptierung: <a href="/p/afp">AFP Deutschland</a></li></ul>',
                        lang="de")
    assert extract(html, "https://algarveweekly.example/news/alpine-chalets").authors == \
        ["Bill MCCARTHY", "Marisha GOLDHAMER"]


def test_a_name_set_before_the_dateline_is_the_byline_and_the_sticky_bars_title_is_no_headline():
    # A Turkish page (no author label known): "Name |" then the date, under the h1; the
    # sticky bar repeats the title in an h3 above, next to a name and date of its own.
    html = _header_page('<div class="row"><span>Sehernur Aydın &nbsp;|</span>'
                        '<span class="tarih">05.04.2025 - Güncelleme : 05.04.2025</span></div>',
                        lang="tr")
    assert extract(html, "https://algarveweekly.example/news/alpine-chalets").authors == \
        ["Sehernur Aydın"]


def test_the_publisher_as_author_is_kept_as_the_page_writes_it():
    # Only the publisher is named as author (a JSON-LD "Person" named after the domain):
    # the name stays "standaard.be", not trafilatura's respelling "Standaard Be".
    html = page(og_title="Storm closes the coast road", h1="Storm closes the coast road",
                site_name="De Standaard",
                ld={"@context": "https://schema.org", "@type": "NewsArticle",
                    "headline": "Storm closes the coast road",
                    "author": {"@type": "Person", "name": "standaard.be"},
                    "publisher": {"@type": "Organization", "name": "standaard.be"}})
    assert extract(html, "https://www.standaard.be/cnt/dmf2025").authors == ["standaard.be"]


def test_an_agency_credited_beside_the_reporter_in_jsonld_is_a_co_author_the_publisher_is_not():
    html = page(og_title="Party congress calls for a tougher asylum law",
                h1="Party congress calls for a tougher asylum law", site_name="Berner Zeitung",
                ld={"@context": "https://schema.org", "@type": "NewsArticle",
                    "headline": "Party congress calls for a tougher asylum law",
                    "author": [{"@type": "Person", "name": "Lea Frei"},
                               {"@type": "Organization", "name": "Keystone-SDA"},
                               {"@type": "Organization", "name": "Berner Zeitung"}],
                    "publisher": {"@type": "Organization", "name": "Berner Zeitung"}})
    assert extract(html, "https://www.bernerzeitung.ch/asylum-123").authors == \
        ["Lea Frei", "Keystone-SDA"]


def _two_reporter_page(byline: str) -> str:
    ld = {"@context": "https://schema.org", "@type": "NewsArticle", "headline": "Man jailed for life",
          "author": [{"@type": "Person", "name": "Kari Nordby"}],
          "publisher": {"@type": "Organization", "name": "dagsavisen.no"}}
    return f"""<!doctype html><html lang="no"><head><title>Man jailed for life</title>
<meta property="og:site_name" content="dagsavisen.no">
<script type="application/ld+json">{json.dumps(ld)}</script></head><body>
<article><h1>Man jailed for life</h1><section class="meta">{byline}</section>
<p>{BODY}</p><p>{BODY}</p></article></body></html>"""


def test_the_storys_byline_completes_a_jsonld_that_lists_only_one_of_its_reporters():
    html = _two_reporter_page('<div class="bylines"><div class="byline">Ola Berg</div>'
                              '<div class="byline">Kari Nordby</div></div>')
    assert extract(html, "https://www.dagsavisen.example/nyheter/a/1").authors == \
        ["Ola Berg", "Kari Nordby"]


def test_a_role_after_the_reporters_name_in_one_byline_is_not_a_second_author():
    html = _two_reporter_page('<div class="author">By Kari Nordby, News Reporter</div>')
    assert extract(html, "https://www.dagsavisen.example/nyheter/a/1").authors == ["Kari Nordby"]


def test_a_name_line_after_an_empty_bold_is_not_taken_for_a_bold_byline():
    # The text follows the <strong> (its tail); it is not in bold, so it is no byline line.
    html = _wordpress_page("<p><strong></strong>Thato Mokoena</p>", author="Palesa Ntho")
    assert extract(html, "https://maserumail.example/quarry-blasts/").authors == ["Palesa Ntho"]
