"""When two signatory names mean the same signatory.

`identity_key` folds away everything that does not tell two signatories apart:
Unicode form, case, accents, punctuation and spacing, "&" against "and", a
leading "The", "Centre" against "Center", and for individuals honorifics such
as Dr or Prof.
"""

from __future__ import annotations

import re
import unicodedata

HONORIFICS = frozenset("dr prof professor mr mrs ms miss mx sir dame rev revd hon mme mlle m herr frau".split())
_SPELLINGS = {"centre": "center", "organisation": "organization"}
_NOT_WORD = re.compile(r"[\W_]+")


def fold(text: str) -> str:
    """NFKC, case folding and accent folding."""
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def words_as_written(name: str) -> list[str]:
    """The words of a name as written (case and accents kept), split much as identity_key splits them."""
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", name).replace("&", " and ")).split()


def identity_key(name: str, individual: bool = False) -> str:
    words = _NOT_WORD.sub(" ", fold(name).replace("&", " and ")).split()
    if words and words[0] == "the":
        words = words[1:]
    if individual:
        while len(words) > 1 and words[0] in HONORIFICS:
            words = words[1:]
    words = [_SPELLINGS.get(word, word) for word in words]
    # A name made only of symbols or emoji still needs a key of its own.
    return " ".join(words) or fold(name).strip()
