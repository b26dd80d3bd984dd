"""Footnote references and definitions must pair up one to one.

pandoc silently prints an undefined `[^x]` as text and drops an unreferenced
definition, so these are checked on the text itself.
"""

from __future__ import annotations

import re

from ..declaration import Declaration
from ..diagnostics import Diagnostic, error, warning
from ..source_text import LineIndex
from .markdown_text import prose_only

_DEFINITION = re.compile(r"^ {0,3}\[\^([^\]\s]+)\]:", re.M)
_REFERENCE = re.compile(r"(?<!\\)\[\^([^\]\s]+)\](?!:)")


def check_footnotes(declaration: Declaration) -> list[Diagnostic]:
    prose = prose_only(declaration.text)
    index = LineIndex(declaration.text)
    path = declaration.display_path
    diagnostics = []

    definitions: dict[str, tuple[int, int]] = {}
    for match in _DEFINITION.finditer(prose):
        label = match.group(1)
        line, col = index.position(match.start(1) - 2)
        if label in definitions:
            diagnostics.append(
                error(
                    path,
                    line,
                    col,
                    "footnote-duplicate",
                    f'footnote "{label}" is defined twice (first at line {definitions[label][0]})',
                )
            )
        else:
            definitions[label] = (line, col)

    referenced = set()
    for match in _REFERENCE.finditer(prose):
        label = match.group(1)
        referenced.add(label)
        if label not in definitions:
            line, col = index.position(match.start())
            diagnostics.append(error(path, line, col, "footnote-undefined", f'footnote "[^{label}]" has no definition'))

    for label, (line, col) in definitions.items():
        if label not in referenced:
            diagnostics.append(
                warning(
                    path,
                    line,
                    col,
                    "footnote-unused",
                    f'footnote "{label}" is defined but never referenced, so it would not be printed',
                )
            )
    return diagnostics
