"""Every citation key in declaration.md must name an entry of references.bib.

Citations are found by walking pandoc's `Cite` nodes, so only what pandoc
really reads as a citation counts: an e-mail address never does, and `\\@` is
an escaped at-sign. Keys match exactly, case included, as in pandoc.
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
        if suggestion is None and mode == "AuthorInText":
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
