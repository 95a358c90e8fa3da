"""The pages' words: zh-CN by default, English by the `lang` cookie; and errors told in either."""

from __future__ import annotations

from collections.abc import Callable

from litestar.exceptions import HTTPException

from registry.domain.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    PreconditionFailed,
    RegistryError,
    Unauthenticated,
)
from registry.edge.language import LANGS, Lang, joined, localize, localize_errors
from registry.pages.words import WORDS

DEFAULT_LANG: Lang = "zh"

TEXT = WORDS

Translate = Callable[..., str]


def lang_of(value: str | None) -> Lang:
    return "en" if value == "en" else DEFAULT_LANG


def translator(lang: Lang) -> Translate:
    """`t(key, **fields)`: the text in `lang`; an unknown key shows as itself (a gap, not a crash)."""
    index = LANGS.index(lang)

    def t(key: str, **fields: object) -> str:
        pair = TEXT.get(key)
        if pair is None:
            return key
        return pair[index].format(**fields) if fields else pair[index]

    return t


def _lang_of(t: Translate) -> Lang:
    # The translator knows its language only by its words: one key tells them apart.
    return "zh" if t("error.invalid", detail="") == TEXT["error.invalid"][0].format(detail="") else "en"


def error_message(error: Exception, t: Translate) -> str:
    """An error as the reader is told it: the known kinds in words, the others by their own text."""
    if isinstance(error, Unauthenticated):
        return t("error.unauthenticated")
    if isinstance(error, NotFound):
        return t(
            "error.not_found", kind=t(f"kind.{error.kind}") if f"kind.{error.kind}" in TEXT else error.kind
        )
    if isinstance(error, Forbidden):
        return t("error.forbidden")
    if isinstance(error, PreconditionFailed):
        return t("error.stale")
    if isinstance(error, InvalidInput):
        return t("error.invalid", detail=joined(localize_errors(error.errors, _lang_of(t))))
    if isinstance(error, Conflict):
        return t("error.conflict", detail=localize(str(error), _lang_of(t)))
    if isinstance(error, RegistryError):
        return str(error)
    if isinstance(error, HTTPException):
        if error.status_code == 403 and "csrf" in str(error.detail).lower():
            return t("error.csrf")
        if error.status_code == 429:
            return t("error.throttled", seconds=(error.headers or {}).get("Retry-After", "60"))
        return t("error.http", status=error.status_code)
    return t("error.unexpected")
