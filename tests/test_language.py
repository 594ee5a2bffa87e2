"""detect(): seeded, with a probability, and NULL instead of a guess or an exception."""

import pytest

from pipelines.language import detect, detect_language, normalize_code
from tests.conftest import ROOT

ENGLISH = ("China now stands as Central Asia's top trading partner and major investment "
           "source. In 2024, two-way trade reached roughly 95 billion dollars.")
CHINESE = "中国和中亚五国元首在阿斯塔纳签署了永久睦邻友好合作条约，双方同意进一步加强互联互通。"
FRENCH = ("Les dirigeants de la Chine et des pays d'Asie centrale ont signé un traité de "
          "bon voisinage, d'amitié et de coopération éternels à Astana.")


@pytest.mark.parametrize(("text", "code"), [(ENGLISH, "en"), (CHINESE, "zh"), (FRENCH, "fr")])
def test_detects_with_probability(text, code):
    language, probability = detect(text)
    assert language == code
    assert 0.7 <= probability <= 1.0


def test_is_repeatable():
    mixed = ENGLISH + " " + FRENCH
    assert len({detect(mixed) for _ in range(20)}) == 1


def test_is_repeatable_across_processes():
    """Each crawl is a new process (and each extraction worker): the answer must not
    depend on the process's hash seed or on what it detected before."""
    import json
    import os
    import subprocess
    import sys

    mixed = ENGLISH + " " + FRENCH
    script = ("import json, sys; from pipelines.language import detect; "
              "print(json.dumps(detect(sys.argv[1])))")
    answers = set()
    for seed in ("0", "1", "12345"):
        out = subprocess.run([sys.executable, "-c", script, mixed], capture_output=True,
                             text=True, timeout=60, check=True, cwd=ROOT,
                             env={**os.environ, "PYTHONHASHSEED": seed})
        answers.add(tuple(json.loads(out.stdout)))
    assert answers == {tuple(detect(mixed))}


@pytest.mark.parametrize("text", [None, "", "   ", "12345 67890 2025-06-23", "Hello",
                                  "https://www.bjreview.com/World/202506/t20250623_1.html",
                                  "🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂",
                                  "<div><p>1</p><p>2</p></div>" * 10])
def test_no_feature_text_gives_null(text):
    assert detect(text) == (None, None)


@pytest.mark.parametrize(("raw", "code"), [("en-US", "en"), ("zh_CN", "zh"), ("zh-cn", "zh"),
                                           ("EN", "en"), ("", None), (None, None), ("x-klingon", None)])
def test_normalize_code(raw, code):
    assert normalize_code(raw) == code


ICELANDIC = ("Ríkisstjórnin kynnti í dag nýja áætlun um uppbyggingu húsnæðis á "
             "höfuðborgarsvæðinu og víðar um landið. Forsætisráðherra sagði að markmiðið væri "
             "að fjölga íbúðum verulega á næstu fimm árum.")
ZULU = ("Uhulumeni uthe uzokwakha izindlu ezintsha ezindaweni zasemakhaya kulo nyaka. "
        "Ungqongqoshe wezezindlu uthe abantu abaningi bazohlomula kulolu hlelo olusha, futhi "
        "umsebenzi uzoqala ngokushesha.")


@pytest.mark.parametrize(("text", "code"), [(ICELANDIC, "is"), (ZULU, "zu")])
def test_languages_langdetect_does_not_know_are_decided_by_the_backup(text, code):
    # langdetect alone says Swahili (1.0) for Zulu and nothing for Icelandic.
    found = detect_language(text)
    assert (found.language, found.detector) == (code, "py3langid")


def test_langdetect_stays_the_default_detector():
    assert detect_language(ENGLISH).detector == "langdetect"
    assert detect_language(CHINESE).detector == "langdetect"


def test_garbled_letters_get_no_answer():
    # langdetect calls this Albanian at 0.86; py3langid says "no linguistic content".
    garbled = "xq9 zz@@ ##kk ppq 11 zzkq vvbx ppqq zzxx qqpp wwxz kkqq" * 3
    assert detect(garbled) == (None, None)


# Read as Latin-1, both were Ligurian (py3langid) at p=0.96 and 0.99 before the mess check.
RUSSIAN = ("В Астане прошёл саммит глав государств Центральной Азии и Китая. Участники подписали "
           "договор о вечном добрососедстве, дружбе и сотрудничестве, а также обсудили новые "
           "проекты в сфере логистики.")
RUSSIAN_SHORT = ("Мир саммит выборы. Лидеры стран региона собрались в столице, чтобы обсудить "
                 "торговлю, воду и урожай. Они договорились встретиться снова до конца сезона.")


@pytest.mark.parametrize(("encoded", "read_as"), [("cp1251", "latin-1"), ("cp1251", "koi8-r"),
                                                  ("utf-8", "latin-1"), ("utf-8", "cp1252")])
@pytest.mark.parametrize("text", [RUSSIAN, RUSSIAN_SHORT], ids=["long", "short"])
def test_mojibake_gets_no_answer(encoded, read_as, text):
    garbled = text.encode(encoded).decode(read_as, errors="replace")
    assert detect(garbled) == (None, None)
    assert detect(text)[0] == "ru"


def test_a_site_serving_mojibake_gets_language_null_in_the_crawl(tmp_path):
    """A site that double-encodes (its UTF-8 page holds windows-1251 bytes read as Latin-1)
    is stored as it is, with language NULL, and the good page beside it keeps its own."""
    from tests.conftest import crawl, query
    from tests.hostile import article_html, article_path, hostile, html, listing

    garbled = RUSSIAN.encode("cp1251").decode("latin-1")
    body = "".join(f"<p>{garbled} {i}</p>" for i in range(4))
    routes = {article_path(1): html(article_html(1, title="Ìèð ñàììèò", body=body)),
              article_path(2): html(article_html(2)),
              "/World/": html(listing([article_path(1), article_path(2)]))}
    db = tmp_path / "a.db"
    with hostile(routes) as (_server, base):
        result = crawl(base, db)
    assert result.returncode == 0, result.stderr[-2000:]
    found = {r["url"].removeprefix(base): r for r in query(db, "select * from articles")}
    assert garbled in found[article_path(1)]["text"]
    assert found[article_path(1)]["language"] is None
    assert found[article_path(1)]["language_probability"] is None
    assert found[article_path(2)]["language"] == "en"


@pytest.mark.parametrize("text", [
    ENGLISH, CHINESE, FRENCH, ENGLISH.upper(), "Привет, это короткий тест языка для детектора " * 3,
    "Xin chào thế giới, đây là bài kiểm tra ngôn ngữ " * 3, "مرحبا بالعالم هذا اختبار للغة " * 3,
    "日本語のテキストとカタカナ、ひらがなの文章です。" * 3, "NATO and the EU: USA, UK. " * 5])
def test_fast_detector_gives_langdetects_probabilities(text):
    """The detector's inner loops are rewritten for speed; its answer must be langdetect's,
    probability for probability (same seed, same draws, same arithmetic)."""
    from pipelines.language import _fast_detector_class, _langdetect_factory

    factory = _langdetect_factory()
    reference, fast = factory.create(), _fast_detector_class()(factory)
    reference.append(text)
    fast.append(text)
    assert [(p.lang, p.prob) for p in fast.get_probabilities()] == \
        [(p.lang, p.prob) for p in reference.get_probabilities()]
