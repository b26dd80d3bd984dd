"""Footnote references and definitions must pair up one to one.

pandoc silently prints an undefined `[^x]` as text and drops an unreferenced
definition, so these are checked as pandoc itself read them: a note defined
inside a block quote or a list item is a note. Duplicate and unused
definitions come from pandoc's reader log, with its positions; an undefined
reference is one that pandoc left in the text as "[^x]". Only *where* an
undefined one stands is looked up in the text.
"""

from __future__ import annotations

import re
from collections import Counter

from ..declaration import NOTE_MARK, Declaration
from ..diagnostics import Diagnostic, error, warning
from ..pandoc_ast import walk
from ..source_text import LineIndex
from .markdown_text import prose_only

# pandoc's reader log types (Text.Pandoc.Logging)
DUPLICATE = "DuplicateNoteReference"
UNUSED = "NoteDefinedButNotUsed"
# What may stand before a definition on its line: indentation and block-quote marks.
_DEFINITION_START = re.compile(r"^[ \t>]*$")


def check_footnotes(declaration: Declaration) -> list[Diagnostic]:
    path = declaration.display_path
    prose = prose_only(declaration.text)
    index = LineIndex(declaration.text)
    diagnostics = []
    for message in declaration.reader_messages:
        if message.kind not in (DUPLICATE, UNUSED):
            continue
        definitions = _definitions(prose, index, message.subject)
        line, col = message.line, message.col
        if definitions and (line, col) not in definitions:
            # Inside a block quote or list item pandoc counts lines from the start of that block.
            line, col = definitions[1] if message.kind == DUPLICATE and len(definitions) > 1 else definitions[0]
        if message.kind == DUPLICATE:
            where = f" (first at line {definitions[0][0]})" if definitions and definitions[0][0] < line else ""
            diagnostics.append(
                error(path, line, col, "footnote-duplicate", f'footnote "{message.subject}" is defined twice{where}')
            )
        else:
            diagnostics.append(
                warning(
                    path,
                    line,
                    col,
                    "footnote-unused",
                    f'footnote "{message.subject}" is defined but never referenced, so it would not be printed',
                )
            )

    # pandoc leaves "[^x]" as text when x is not defined, and so does an escaped \[^x].
    # More literal "[^x]" in the document than escaped ones in the source: x is undefined.
    literal = Counter(label for text in _document_texts(declaration) for _, label, _ in NOTE_MARK.findall(text))
    marks = [match for match in NOTE_MARK.finditer(prose) if not _is_definition(prose, match)]
    escaped = Counter(match.group(2) for match in marks if match.group(1))
    for match in marks:
        label = match.group(2)
        if not match.group(1) and literal[label] > escaped[label]:
            line, col = index.position(match.start())
            diagnostics.append(error(path, line, col, "footnote-undefined", f'footnote "[^{label}]" has no definition'))
    return diagnostics


def _document_texts(declaration: Declaration) -> list[str]:
    """The text of every Str: what pandoc printed as text, code not included."""
    return [node["c"] for node in walk(declaration.ast["blocks"]) if node["t"] == "Str"]


def _is_definition(prose: str, match: re.Match) -> bool:
    line_start = prose.rfind("\n", 0, match.start()) + 1
    return (
        bool(match.group(3)) and not match.group(1) and bool(_DEFINITION_START.match(prose[line_start : match.start()]))
    )


def _definitions(prose: str, index: LineIndex, label: str) -> list[tuple[int, int]]:
    """Where `label` is defined, in order: line and column of its "[^"."""
    return [
        index.position(match.start())
        for match in NOTE_MARK.finditer(prose)
        if match.group(2) == label and _is_definition(prose, match)
    ]
