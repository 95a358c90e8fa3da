"""Every page's words, gathered from one module per area: key → (zh-CN, English)."""

from __future__ import annotations

from registry.pages.words import common, inbox, needs, offers, plans, timeline, tokens, units

AREAS = (common, timeline, units, offers, needs, inbox, plans, tokens)


def _gathered() -> dict[str, tuple[str, str]]:
    words: dict[str, tuple[str, str]] = {}
    for area in AREAS:
        twice = words.keys() & area.TEXT.keys()
        if twice:  # one key, one meaning: a second definition would silently win
            raise RuntimeError(f"{area.__name__} defines again: {sorted(twice)}")
        words.update(area.TEXT)
    return words


WORDS = _gathered()
