"""Every citation key in declaration.md must name an entry of references.bib.

Citations are found by walking pandoc's `Cite` nodes, so only what pandoc
really reads as a citation counts: an e-mail address never does, and `\\@` is
an escaped at-sign. Keys match exactly, case included, as in pandoc. An in-text
`@name` with no such key is a missing reference when it looks like a key (a
year, a close match), and a stray at-sign, to escape, when it looks like a handle.
"""

from __future__ import annotations

import difflib
import re

from ..bibliography import Bibliography
from ..declaration import Declaration
from ..diagnostics import Diagnostic, error
from ..pandoc_ast import walk
from ..source_text import LineIndex
from .markdown_text import prose_only

# pandoc: a key may contain internal punctuation :.#$%&-+?<>~/ followed by a word character.
# What sets a citation key apart from an @handle such as "@unodc_watch": a year, or a "doi:"-style prefix.
_KEY_SHAPE = re.compile(r"(?<!\d)(1[5-9]|20)\d\d(?!\d)|^[A-Za-z]+:\S")
_KEY_END = r"(?![\w]|[:.#$%&\-+?<>~/]\w)"


def cited_keys(declaration: Declaration) -> list[tuple[str, str]]:
    """(key, citation mode) for every citation, body and footnotes, in document order."""
    return [
        (citation["citationId"], citation["citationMode"]["t"])
        for node in walk(declaration.ast["blocks"])
        if node["t"] == "Cite"
        for citation in node["c"][0]
    ]


def check_citations(declaration: Declaration, bibliography: Bibliography) -> list[Diagnostic]:
    known_keys = bibliography.keys()
    known = sorted(known_keys)
    prose = prose_only(declaration.text)
    index = LineIndex(declaration.text)
    diagnostics = []
    reported: set[str] = set()
    for key, mode in cited_keys(declaration):
        if key in known_keys or key in reported:
            continue
        reported.add(key)
        suggestion = _closest(key, known)
        if suggestion is None and mode == "AuthorInText" and not looks_like_a_key(key):
            code = "citation-stray-at"
            message = (
                f'"@{key}" is read as a citation, but no reference has the key "{key}"; '
                f"if it is not a citation, escape it as \\@{key}"
            )
        else:
            code = "citation-unknown"
            message = f'unknown citation key "{key}"'
            if suggestion is not None:
                message += f'; did you mean "{suggestion}"?'
        for offset in _key_offsets(prose, key) or [0]:
            line, col = index.position(offset)
            diagnostics.append(error(declaration.display_path, line, col, code, message))
    return diagnostics


def looks_like_a_key(text: str) -> bool:
    """A year ("fish_save_2008", "Smith2020a") or a prefix ("doi:10.1/x"): a reference, not a handle."""
    return bool(_KEY_SHAPE.search(text))


def _closest(key: str, known: list[str]) -> str | None:
    same_but_case = [candidate for candidate in known if candidate.lower() == key.lower()]
    if same_but_case:
        return same_but_case[0]
    matches = difflib.get_close_matches(key.lower(), [k.lower() for k in known], n=1, cutoff=0.6)
    if not matches:
        return None
    return next(candidate for candidate in known if candidate.lower() == matches[0])


def _key_offsets(prose: str, key: str) -> list[int]:
    """Offsets of the key itself (after the @) wherever it is cited."""
    pattern = re.compile(r"(?<![\w\\@])@\{?(" + re.escape(key) + r")\}?" + _KEY_END)
    return [match.start(1) for match in pattern.finditer(prose)]
