"""The registry's messages in the reader's language: the API's problems by `Accept-Language`,
the pages' errors by their language switch.

The domain and the request types raise their messages in English; `localize` tells one in
Chinese by the catalogue of known message shapes, and leaves a message it does not know as it is.
"""

from __future__ import annotations

from typing import Literal

Lang = Literal["zh", "en"]
LANGS: tuple[Lang, ...] = ("zh", "en")


def localize(message: str, lang: Lang) -> str:
    """`message` (as raised, in English) in `lang`."""
    # The catalogue of message shapes is still to be written: until then every message is English.
    return message
