"""Bytes to text: decode a page trusting its bytes over its label."""

from __future__ import annotations

import re

from charset_normalizer import from_bytes

from pipelines.charset import plausible_decode

# Guards against hostile pages (README, "Faults").  A decode or a body with more U+FFFD
# replacement characters than this share of its letters is mojibake, not text.
MAX_REPLACEMENT_SHARE = 0.005

META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)


def decode_html(raw: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode page bytes, trusting the bytes over the label.

    UTF-8 is tried first because a valid UTF-8 decode of text in another charset is
    practically impossible, while a page labelled latin-1 or windows-1252 that is really
    UTF-8 is common and decodes "successfully" into mojibake.  Then the HTTP and ``<meta>``
    labels, a single-byte one only when the text it gives is plausible, then charset
    detection on the bytes.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    meta = META_CHARSET.search(raw[:4096])
    labels = ["utf-8", declared, meta.group(1).decode("ascii", "ignore") if meta else None]
    for label in labels:
        if not label:
            continue
        try:
            text = raw.decode(label)
        except (UnicodeDecodeError, LookupError):
            continue
        if label.lower() == "utf-8" or plausible_decode(raw, label):  # pipelines/charset.py
            return text, label.lower()
    # Mixed encodings: UTF-8 with a few stray bytes keeps its UTF-8 text; a page that is
    # mostly another charset (windows-1251 labelled UTF-8) is re-decoded from the bytes.
    repaired = raw.decode("utf-8", errors="replace")
    if replacement_share(repaired) <= MAX_REPLACEMENT_SHARE:
        return repaired, "utf-8"
    best = from_bytes(raw[:200_000]).best()
    if best is not None:
        return raw.decode(best.encoding, errors="replace"), best.encoding
    return raw.decode("utf-8", errors="replace"), "utf-8"


def replacement_share(text: str) -> float:
    """U+FFFD replacement characters per letter: how much of a decode went wrong."""
    bad = text.count("\ufffd")
    return bad / max(1, sum(ch.isalpha() for ch in text)) if bad else 0.0
