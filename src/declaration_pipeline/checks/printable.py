"""Every character that reaches the print edition must have a glyph in its fonts.

A PDF/A file may not show a missing glyph, so Typst refuses to build such a
PDF, naming only the first character it met. This check finds them all before
anything is built, and points at where each one stands in the sources.

It asks Typst itself, with the same fonts as the PDF: one probe document holds
each distinct non-ASCII character in its own paragraph; while Typst names a
character it cannot display, that character is recorded and taken out.
Usually the first compile succeeds and the check costs a few milliseconds.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ..diagnostics import Diagnostic, PipelineError, error
from ..sources import REFERENCES, SIGNATORIES

if TYPE_CHECKING:
    from ..bibliography import Bibliography
    from ..declaration import Declaration
    from ..signatories import Signatory

Place = tuple[tuple[str, int, int], str]  # (path, line, column) and the text printed from there

# Characters that need no glyph of their own: controls, format characters
# (zero-width joiners, direction marks) and spaces.
_NO_GLYPH_CATEGORIES = ("Cc", "Cf", "Zs", "Zl", "Zp")
_MISSING = re.compile(r'the text `"(.*?)"` could not be displayed')
MAX_PROBES = 200


def check_printable(places: Sequence[Place], declaration: Declaration | None = None) -> list[Diagnostic]:
    """One error for each unprintable character of `places`, at the first place that has it.

    Places in the Markdown point at the character itself, found in `declaration`'s text.
    """
    wanted = {c for c in set().union(*(text for _where, text in places)) if _needs_glyph(c)}
    if not wanted:
        return []
    missing = unprintable(wanted)
    diagnostics = []
    for character in sorted(missing):
        for (path, line, col), text in places:
            if character in text:
                offset_line, offset_col = line, col
                if declaration is not None and path == declaration.display_path:
                    offset_line, offset_col = _position_in(declaration, character, line, col)
                diagnostics.append(
                    error(
                        path,
                        offset_line,
                        offset_col,
                        "text-unprintable",
                        f'"{character}" ({_describe(character)}) cannot be printed: '
                        "no font of the print edition has it",
                    )
                )
                break
    return diagnostics


def _needs_glyph(character: str) -> bool:
    return not (" " <= character <= "~") and unicodedata.category(character) not in _NO_GLYPH_CATEGORIES


def _describe(character: str) -> str:
    name = unicodedata.name(character, "unnamed character")
    return f"U+{ord(character):04X} {name}"


def document_texts(declaration: Declaration | None, bibliography: Bibliography) -> Iterable[Place]:
    """What the declaration and the annex print."""
    from ..bibtex_text import decode_plain
    from ..pandoc_ast import stringify
    from .bibliography import PRINTED_FIELDS, PRINTED_NAMES

    if declaration is not None:
        yield (declaration.display_path, 1, 1), stringify(list(declaration.ast["meta"].values()))
        yield (declaration.display_path, 1, 1), stringify(declaration.ast["blocks"])
    for reference in bibliography.references:
        # what the annex prints: TeX decoded
        for name in PRINTED_FIELDS:
            yield (REFERENCES, *reference.field_position(name)), reference.text(name).text
        for name in ("doi", "url", "urn", "eprint"):  # printed as written
            yield (REFERENCES, *reference.field_position(name)), reference.value(name)
        for role in PRINTED_NAMES:
            names = " ".join(decode_plain(str(person)) for person in reference.people(role))
            yield (REFERENCES, *reference.field_position(role)), names


def signatory_texts(signatories: Iterable[Signatory]) -> Iterable[Place]:
    for signatory in signatories:
        yield (SIGNATORIES, signatory.line, signatory.col), signatory.display


def _position_in(declaration: Declaration, character: str, line: int, col: int) -> tuple[int, int]:
    from ..source_text import line_and_column

    offset = declaration.text.find(character)
    return line_and_column(declaration.text, offset) if offset >= 0 else (line, col)


def unprintable(characters: set[str]) -> set[str]:
    """The characters of `characters` that no font of the print edition can display."""
    from ..typst import compile_typst

    remaining = sorted(characters)
    missing: set[str] = set()
    for _attempt in range(MAX_PROBES):
        try:
            compile_typst(_probe_markup(remaining), "pdf", "checking fonts", pdf_standards=("a-2b",))
            return missing
        except PipelineError as exc:
            found = _MISSING.search(str(exc))
            if found is None:
                raise
            # Typst quotes the text as a Typst string: \u{10fffd} for what it cannot show.
            text = re.sub(r"\\u\{([0-9a-fA-F]+)\}", lambda m: chr(int(m.group(1), 16)), found.group(1))
            culprits = {c for c in text if c in remaining} or {text[-1]}
            missing |= culprits
            remaining = [c for c in remaining if c not in culprits]
    # Past the limit, call the rest unprintable rather than compile for ever.
    return missing | set(remaining)


def _probe_markup(characters: list[str]) -> str:
    # A combining mark is probed on a base letter, as it would be printed.
    entries = ", ".join(
        f"({ord(c)}, {'true' if unicodedata.category(c).startswith('M') else 'false'})" for c in characters
    )
    return (
        '#set document(title: "font probe")\n'
        "#set text(font: json(bytes(sys.inputs.metadata)).fonts)\n"
        f"#for (code, mark) in ({entries},) {{\n"
        '  par((if mark { "o" } else { "" }) + str.from-unicode(code))\n'
        "}\n"
    )
