"""The document's language: a BCP 47 tag such as `en`, `fr` or `en-GB`, `en` when none is given.

Typst takes a two- or three-letter language code and a two-letter region, and
writes them as the PDF's /Lang; a tag it cannot take would fail the PDF build,
so the check reports it first.
"""

from __future__ import annotations

import re

DEFAULT_LANG = "en"
LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_REGION = re.compile(r"[A-Za-z]{2}")


def is_language_tag(tag: str) -> bool:
    return LANGUAGE_TAG.fullmatch(tag) is not None


def language_and_region(tag: str) -> tuple[str, str | None]:
    """What Typst can express of a valid tag: "zh-Hant-TW" gives ("zh", "TW")."""
    language, *subtags = tag.split("-")
    region = next((subtag for subtag in subtags if _REGION.fullmatch(subtag)), None)
    return language.lower(), region.upper() if region else None


def pdf_language(tag: str) -> str:
    """The /Lang that Typst writes for `tag`."""
    language, region = language_and_region(tag)
    return f"{language}-{region}" if region else language
