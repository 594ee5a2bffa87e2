"""detect(): seeded, with a probability, and NULL instead of a guess or an exception."""

import pytest

from pipelines.language import detect, normalize_code

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
