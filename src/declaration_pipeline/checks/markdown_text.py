"""Where in declaration.md things stand, for checks that need exact positions.

pandoc's Markdown reader keeps no source positions, so the checks take *what*
to report from pandoc's AST and *where* from the text. Front matter, code
blocks, code spans and HTML comments are blanked out first (same length,
newlines kept), so positions stay exact and nothing inside code or an
editor's comment is mistaken for markup.
"""

from __future__ import annotations

import re

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n.*?\n(?:---|\.\.\.)[ \t]*\n", re.S)
_FENCE = re.compile(r"^( {0,3})(`{3,}|~{3,}).*?\n.*?^ {0,3}\2[`~]*[ \t]*$", re.S | re.M)
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_COMMENT = re.compile(r"<!--.*?-->", re.S)


def blank(match: re.Match) -> str:
    return re.sub(r"[^\n]", " ", match.group(0))


def prose_only(text: str) -> str:
    """`text` with front matter, code and comments replaced by spaces."""
    text = _FRONT_MATTER.sub(blank, text, count=1)
    text = _FENCE.sub(blank, text)
    return _COMMENT.sub(blank, _CODE_SPAN.sub(blank, text))
