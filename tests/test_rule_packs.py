"""Rule packs: each rule drops the line it is written for, on a page of its language only."""

from __future__ import annotations

import json

import pytest

from crawler.sites import SiteError, load_site_file
from pipelines.extract import extract
from pipelines.rulepacks import RulePackError, load_pack, pack_names

# Story text of each pack's language: four paragraphs a reader would keep.
STORIES = {
    "en": [
        "The city council voted on Tuesday to close the old bridge to heavy lorries after "
        "engineers found cracks in two of its supporting piers during a routine inspection.",
        "Drivers will have to take a twelve-mile detour through the industrial estate, and "
        "local businesses said the change would add hours to their weekly deliveries.",
        "The council said repairs would begin in the spring and take about eighteen months, "
        "with the cost shared between the city and the regional transport authority.",
        "Residents who live near the bridge welcomed the decision but asked for more buses "
        "while the work goes on, saying the detour would cut them off from the centre.",
    ],
    "fr": [
        "Le conseil municipal a voté mardi la fermeture du vieux pont aux poids lourds après "
        "que des ingénieurs ont découvert des fissures dans deux de ses piles.",
        "Les conducteurs devront faire un détour de vingt kilomètres par la zone industrielle, "
        "et les commerçants estiment que leurs livraisons prendront des heures de plus.",
        "La mairie indique que les travaux commenceront au printemps et dureront environ dix-huit "
        "mois, le coût étant partagé entre la ville et l'autorité régionale des transports.",
        "Les riverains saluent la décision mais réclament davantage de bus pendant le chantier, "
        "car le détour les coupe du centre-ville pour de longs mois.",
    ],
    "de": [
        "Der Stadtrat hat am Dienstag beschlossen, die alte Brücke für Lastwagen zu sperren, "
        "nachdem Ingenieure bei einer Routineprüfung Risse in zwei Pfeilern gefunden hatten.",
        "Autofahrer müssen einen Umweg von zwanzig Kilometern durch das Gewerbegebiet nehmen, "
        "und die Händler befürchten, dass ihre Lieferungen stundenlang länger dauern.",
        "Die Stadt teilte mit, die Reparatur beginne im Frühjahr und dauere etwa achtzehn "
        "Monate; die Kosten teilen sich die Stadt und der regionale Verkehrsverbund.",
        "Anwohner begrüßten die Entscheidung, forderten aber mehr Busse während der Bauzeit, "
        "weil der Umweg sie für lange Zeit vom Zentrum abschneide.",
    ],
    "es": [
        "El ayuntamiento aprobó el martes cerrar el viejo puente a los camiones después de que "
        "los ingenieros encontraran grietas en dos de sus pilares durante una revisión.",
        "Los conductores tendrán que dar un rodeo de veinte kilómetros por el polígono "
        "industrial, y los comerciantes dicen que sus repartos tardarán horas más.",
        "El consistorio explicó que las obras empezarán en primavera y durarán unos dieciocho "
        "meses, con un coste compartido entre la ciudad y el consorcio de transportes.",
        "Los vecinos celebraron la decisión, pero pidieron más autobuses mientras duren las "
        "obras, porque el rodeo los deja lejos del centro durante meses.",
    ],
}

OTHER = {"en": "fr", "fr": "en", "de": "en", "es": "en"}


def news_page(lang: str, paragraphs: list[str], first: str | None = None,
              last: str | None = None) -> str:
    """A news page of ``lang`` with an extra paragraph opening or closing the story."""
    body = ([first] if first else []) + paragraphs + ([last] if last else [])
    ps = "\n".join(f"<p>{p}</p>" for p in body)
    return f"""<!doctype html><html lang="{lang}"><head><title>Bridge closed</title>
<meta property="og:title" content="Bridge closed to lorries"></head><body>
<nav><a href="/">Home</a> <a href="/local">Local</a></nav>
<article><h1>Bridge closed to lorries</h1><div class="story-body">{ps}</div></article>
<footer>© 2025 The Daily Example</footer></body></html>"""


RULES = [rule for name in pack_names() for rule in load_pack(name) if rule.kind != "author_label"]
LABELS = [rule for name in pack_names() for rule in load_pack(name) if rule.kind == "author_label"]


def test_every_pack_loads_and_every_rule_says_why():
    assert {"en", "fr", "de", "es"} <= set(pack_names())
    for rule in RULES + LABELS:
        assert rule.purpose and rule.example and rule.pattern


@pytest.mark.parametrize("rule", LABELS, ids=[r.pack for r in LABELS])
def test_each_author_label_comes_off_the_name_on_a_page_of_its_language_only(rule):
    """Author fields in JSON-LD keep the label the CMS printed; the pack takes it off."""
    name = " ".join(rule.example.split()[-2:])
    ld = json.dumps({"@context": "https://schema.org", "@type": "NewsArticle",
                     "author": {"@type": "Person", "name": rule.example}})
    author = f'<script type="application/ld+json">{ld}</script></head>'
    url = "https://news.example.org/local/bridge-closed"
    page = news_page(rule.pack, STORIES[rule.pack]).replace("</head>", author, 1)
    assert extract(page, url, language=False).authors == [name], rule.purpose
    other = OTHER[rule.pack]
    page = news_page(other, STORIES[other]).replace("</head>", author, 1)
    assert extract(page, url, language=False).authors != [name], rule.purpose


@pytest.mark.parametrize("rule", RULES, ids=[f"{r.pack}-{r.kind}-{i}" for i, r in enumerate(RULES)])
def test_each_rule_drops_its_example_on_a_page_of_its_language_only(rule):
    lang = rule.pack
    story = STORIES[lang]
    where = {"last": rule.example} if rule.kind == "trailer" else {"first": rule.example}
    url = "https://news.example.org/local/bridge-closed"
    article = extract(news_page(lang, story, **where), url, language=False)
    assert rule.example not in article.text, rule.purpose
    for paragraph in story:
        assert paragraph in article.text
    # The same line on a page of another language is that page's text: no rule of this
    # pack applies there.
    other = OTHER[lang]
    article = extract(news_page(other, STORIES[other], **where), url, language=False)
    assert rule.example in article.text, rule.purpose


def test_le_monde_paywall_line_is_dropped_but_a_percentage_in_the_story_stays():
    paywall = "Il vous reste 57.09% de cet article à lire. La suite est réservée aux abonnés."
    story = STORIES["fr"] + ["Il reste 57 % des habitants favorables au projet, selon le sondage."]
    article = extract(news_page("fr", story, last=paywall),
                      "https://www.lemonde.fr/societe/article/2025/01/01/pont_1.html")
    assert "Il vous reste" not in article.text
    assert story[-1] in article.text


def test_a_page_without_a_declared_language_gets_its_detected_languages_pack():
    page = news_page("en", STORIES["en"], last="With Post wires").replace(' lang="en"', "")
    assert "With Post wires" not in extract(page, "https://nypost.example/2025/01/01/bridge/").text


def test_a_site_profile_switches_a_pack_on(tmp_path):
    # A French page of a site whose profile asks for the English pack too (a bilingual desk).
    page = news_page("fr", STORIES["fr"], last="With Post wires")
    assert "With Post wires" in extract(page, "https://example.ca/fr/pont").text
    profile = tmp_path / "bilingual.toml"
    profile.write_text('name = "bilingual"\nstart_urls = ["https://example.ca/fr/"]\n'
                       'hosts = ["example.ca"]\narticle_pattern = "^/fr/.+"\n'
                       'rule_packs = ["en"]\n')
    site = load_site_file(profile)
    assert "With Post wires" not in extract(page, "https://example.ca/fr/pont", site).text


def test_an_unknown_pack_in_a_profile_is_a_clear_error(tmp_path):
    profile = tmp_path / "bad.toml"
    profile.write_text('name = "bad"\nstart_urls = ["https://example.ca/"]\n'
                       'hosts = ["example.ca"]\narticle_pattern = "^/.+"\n'
                       'rule_packs = ["klingon"]\n')
    with pytest.raises(SiteError, match="unknown pack 'klingon'"):
        load_site_file(profile)
    with pytest.raises(RulePackError, match="unknown rule pack"):
        load_pack("klingon")
