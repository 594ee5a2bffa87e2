"""Whether a declared single-byte charset is believable for the bytes it labels.

A single-byte charset (ISO-8859-1, KOI8-R, windows-1251 ...) decodes any bytes without an
error, so a wrong label never fails: windows-1251 bytes labelled ISO-8859-1 come out as
"Ìèð ñàììèò âûáîðû", labelled KOI8-R as "щЙЯОНПР ПНЯР".  The label is a weak hint; the
decoded text is the evidence.  Only the words with non-ASCII letters depend on the label
(markup and English are ASCII either way), so they decide: mostly capitals is swapped
case, and their mess ratio, as charset_normalizer measures it (runs of accents, case
flips inside words, symbols among letters), catches the rest.

Pure: no Scrapy, no crawler imports.
"""

from __future__ import annotations

import codecs
import re
from functools import lru_cache
from itertools import islice

from charset_normalizer.md import mess_ratio

# charset_normalizer's own ceiling for a plausible decode (from_bytes(threshold=0.2)).
MAX_MESS = 0.2
# Running text in a cased script is mostly lower case; a decode that makes most of the
# label-dependent letters capitals has swapped the case (KOI8-R and windows-1251 put the
# two cases of Cyrillic at each other's positions).
MAX_UPPER_SHARE = 0.5
# Fewer words than this that depend on the label: too little evidence, the label stands.
MIN_WORDS = 5
SAMPLE_WORDS = 2_000
NON_ASCII_WORD = re.compile(r"[^\W\d_]*[^\x00-\x7f][^\W\d_]*")
# WHATWG Encoding Standard: browsers decode these labels as windows-1252 (or its Turkish
# and Thai relatives), so bytes 0x80-0x9F under them are curly quotes and dashes, not the
# C1 control codes Python's codecs give; the label is judged as browsers read it.
AS_BROWSERS_READ = {"iso8859-1": "cp1252", "ascii": "cp1252",
                    "iso8859-9": "cp1254", "tis-620": "cp874"}


@lru_cache(maxsize=64)
def single_byte_codec(label: str) -> str | None:
    """The Python codec name for ``label`` when it is a single-byte charset, else None."""
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    # A single-byte codec maps each of the 256 bytes to exactly one character.
    if len(bytes(range(256)).decode(name, errors="replace")) != 256:
        return None
    return AS_BROWSERS_READ.get(name, name)


def plausible_decode(raw: bytes, label: str) -> bool:
    """Whether ``raw`` decoded as the declared ``label`` reads as text.

    False only for a single-byte label whose decode of the label-dependent words is
    garbled; multi-byte labels (Shift_JIS, GBK ...) are checked by strict decoding already,
    and a page with too few non-ASCII words gives no evidence against its label.
    """
    codec = single_byte_codec(label)
    if codec is None:
        return True
    text = raw.decode(codec, errors="replace")
    words = [m.group() for m in islice(NON_ASCII_WORD.finditer(text), SAMPLE_WORDS)]
    if len(words) < MIN_WORDS:
        return True
    letters = [ch for word in words for ch in word if ch.isupper() or ch.islower()]
    if sum(ch.isupper() for ch in letters) > MAX_UPPER_SHARE * len(letters):
        return False  # windows-1251 read as KOI8-R: case is swapped, "БЯЭНЦНДМЁ"
    return mess_ratio(" ".join(words), MAX_MESS) < MAX_MESS
