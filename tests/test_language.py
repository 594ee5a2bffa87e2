"""detect(): seeded, with a probability, and NULL instead of a guess or an exception."""

import pytest

from pipelines.language import detect, detect_language, normalize_code

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
