"""When two signatory names mean the same signatory.

`identity_key` folds away everything that does not tell two signatories apart:
Unicode form, case, accents, punctuation and spacing, "&" against "and", a
leading "The", "Centre" against "Center", and for individuals honorifics such
as Dr or Prof.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

HONORIFICS = frozenset("dr prof professor mr mrs ms miss mx sir dame rev revd hon mme mlle m herr frau".split())
_SPELLINGS = {"centre": "center", "organisation": "organization"}
_NOT_WORD = re.compile(r"[\W_]+")
_WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """NFKC, case folding and accent folding."""
    if text.isascii():  # no compatibility forms, no accents: most names, at a tenth of the cost
        return text.casefold()
    text = unicodedata.normalize("NFKC", text).casefold()
    decomposed = unicodedata.normalize("NFKD", text)
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if not unicodedata.combining(c)))


def words_as_written(name: str) -> list[str]:
    """The words of a name as written (case and accents kept), split much as identity_key splits them."""
    return _NOT_WORD.sub(" ", unicodedata.normalize("NFKC", name).replace("&", " and ")).split()


def _unfiled_words(folded: list[str], individual: bool) -> int:
    """How many leading words neither tell a signatory apart nor file it: "The", and a person's titles."""
    skip = 1 if folded and folded[0] == "the" else 0
    if individual:
        while len(folded) - skip > 1 and folded[skip] in HONORIFICS:
            skip += 1
    return skip


@cache  # the duplicate, near-duplicate and withdrawal checks and verification all ask, of every name
def identity_key(name: str, individual: bool = False) -> str:
    folded = fold(name)
    words = _WORD.findall(folded.replace("&", " and ") if "&" in folded else folded)
    words = words[_unfiled_words(words, individual) :]
    if not _SPELLINGS.keys().isdisjoint(words):  # most names spell no word two ways
        words = [_SPELLINGS.get(word, word) for word in words]
    # A name made only of symbols or emoji still needs a key of its own.
    return " ".join(words) or folded.strip()


def filing_name(name: str, individual: bool = False) -> str:
    """The part of a name it is filed under: from the first word identity_key keeps, split as it splits words."""
    text = unicodedata.normalize("NFKC", name)
    words = list(_WORD.finditer(text))
    skip = _unfiled_words([fold(word.group()) for word in words], individual)
    return text[words[skip].start() :] if 0 < skip < len(words) else name
