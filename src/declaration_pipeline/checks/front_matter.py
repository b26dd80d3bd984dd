"""Front-matter keys the pipeline does not know are probably typos; `lang` must be a language tag."""

from __future__ import annotations

import difflib

from ..declaration import Declaration
from ..diagnostics import Diagnostic, error, warning
from ..language import is_language_tag
from ..pandoc_ast import meta_text

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
        if entry.key == "lang":
            diagnostics += _check_lang(declaration, entry.line, entry.col)
        if entry.key in KNOWN_KEYS:
            continue
        message = f'unknown front-matter key "{entry.key}"'
        close = difflib.get_close_matches(entry.key, KNOWN_KEYS, n=1)
        if close:
            message += f'; did you mean "{close[0]}"?'
        diagnostics.append(warning(declaration.display_path, entry.line, entry.col, "frontmatter-unknown-key", message))
    return diagnostics


def _check_lang(declaration: Declaration, line: int, col: int) -> list[Diagnostic]:
    tag = (meta_text(declaration.ast["meta"], "lang") or "").strip()
    if not tag or is_language_tag(tag):
        return []
    message = f'lang "{tag}" is not a language tag; write one such as en, fr, es or en-GB (without lang:, en)'
    return [error(declaration.display_path, line, col, "frontmatter-lang", message)]
