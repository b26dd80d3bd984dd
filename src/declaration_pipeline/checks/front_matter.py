"""Front-matter keys the pipeline does not know are probably typos."""

from __future__ import annotations

import difflib

from ..declaration import Declaration
from ..diagnostics import Diagnostic, warning

KNOWN_KEYS = (
    "title",
    "subtitle",
    "date",
    "lang",
    "author",
    "keywords",
    "description",
    "signatories-title",
    "organizations-title",
    "individuals-title",
    "annex-title",
    "notes-title",
)


def check_front_matter(declaration: Declaration) -> list[Diagnostic]:
    diagnostics = []
    for entry in declaration.front_matter:
        if entry.key in KNOWN_KEYS:
            continue
        message = f'unknown front-matter key "{entry.key}"'
        close = difflib.get_close_matches(entry.key, KNOWN_KEYS, n=1)
        if close:
            message += f'; did you mean "{close[0]}"?'
        diagnostics.append(warning(declaration.display_path, entry.line, entry.col, "frontmatter-unknown-key", message))
    return diagnostics
