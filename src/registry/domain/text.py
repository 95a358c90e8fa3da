"""One-line text people read and search by: normalised one way, refused when it cannot be trusted.

A name is read on a list, a page or a printed roster, and compared by eye. Two names that look the
same must be the same text (NFC: "é" composed or as "e" + accent is one spelling), edges must not
hide spaces, and nothing may be invisible or reorder what is shown: a bidirectional control makes
"ABC\u202edcba" print as "ABCabcd", and a name of only zero-width spaces prints as nothing.
"""

from __future__ import annotations

import re
import unicodedata

# Bidirectional controls: embeddings and overrides, isolates, the marks, the Arabic letter mark.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
# Printed as nothing though not whitespace to Python: zero-width space, non-joiner and joiner, word
# joiner, BOM, combining grapheme joiner, the Hangul fillers, the Mongolian vowel separator.
_ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff\u034f\u115f\u1160\u3164\uffa0\u180e")


def _invisible(char: str) -> bool:
    """Whitespace (NBSP and the ideographic space U+3000 included) or a character printed as nothing."""
    return char.isspace() or char in _ZERO_WIDTH or unicodedata.category(char) == "Cf"


def _trimmed(char: str) -> bool:
    """Trimmed from the ends: what is invisible, but a bidirectional control (refused, never hidden)."""
    return _invisible(char) and char not in BIDI_CONTROLS


def normalise_line(text: str) -> str:
    """NFC, with whitespace and invisible characters trimmed from both ends."""
    text = unicodedata.normalize("NFC", text)
    start, end = 0, len(text)
    while start < end and _trimmed(text[start]):
        start += 1
    while end > start and _trimmed(text[end - 1]):
        end -= 1
    return text[start:end]


def line_problem(text: str) -> str | None:
    """Why the one-line text (normalised) cannot be taken, or None."""
    if any(c in BIDI_CONTROLS for c in text):
        return "must not hold bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C)"
    if all(_invisible(c) for c in text):
        return "must not be blank (nor only spaces or invisible characters)"
    return None


_RUNS = re.compile(r"\s+")


def name_key(name: str) -> str:
    """What two names that read the same share: NFKC (full-width "ＡＢＣ" is "ABC"), case-folded,
    characters printed as nothing dropped, each run of spaces one space, trimmed."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())
    visible = "".join(c for c in folded if c.isspace() or not _invisible(c))
    return _RUNS.sub(" ", visible).strip()
