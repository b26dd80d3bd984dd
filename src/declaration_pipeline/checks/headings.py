"""Headings an accessible PDF can take: with text, starting at level 1, never skipping a level.

PDF/UA (the print edition is PDF/UA-1) refuses an empty heading and a first
heading below level 1, and a jump from `#` to `###` leaves a hole in the
outline and in the web page's heading order. Typst would stop the build at
the first such heading; this check names them all, before anything is built.
"""

from __future__ import annotations

import re

from ..declaration import Declaration
from ..diagnostics import Diagnostic, error
from ..pandoc_ast import stringify, walk
from ..source_text import LineIndex
from .markdown_text import prose_only

# An ATX heading ("## Title") or a setext underline ("=====" or "-----" under a line of text).
_HEADING_LINE = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]|$)|^(?=\S)[^\n]*\n {0,3}(=+|-+)[ \t]*$", re.M)


def check_headings(declaration: Declaration) -> list[Diagnostic]:
    headers = [node for node in walk(declaration.ast["blocks"]) if node["t"] == "Header"]
    places = _heading_places(declaration)
    if len(places) != len(headers):
        places = [(1, 1)] * len(headers)  # a heading pandoc found where the line scan did not
    diagnostics = []
    previous = 0
    for node, (line, col) in zip(headers, places, strict=True):
        level = node["c"][0]

        def problem(code: str, message: str, line: int = line, col: int = col) -> None:
            diagnostics.append(error(declaration.display_path, line, col, code, message))

        if not stringify(node["c"][2]).strip():
            problem("heading-empty", "this heading has no text; an accessible PDF cannot have an empty heading")
        if previous == 0 and level > 1:
            problem("heading-level", f"the first heading must be of level 1 (#), not {level} ({'#' * level})")
        elif previous and level > previous + 1:
            problem(
                "heading-level",
                f"a level-{level} heading ({'#' * level}) right after a level-{previous} one skips a level; "
                f"use {'#' * (previous + 1)}",
            )
        previous = level
    return diagnostics


def _heading_places(declaration: Declaration) -> list[tuple[int, int]]:
    prose = prose_only(declaration.text)
    index = LineIndex(declaration.text)
    return [index.position(match.start()) for match in _HEADING_LINE.finditer(prose)]
