"""Loading references.bib into frozen `Reference` records, with pybtex.

pybtex parses the entries; a light scan of the entry heads (`@type{key,`)
adds what pybtex does not keep: the line of each entry, and duplicates with
both lines. Citation keys are matched exactly, as pandoc does; two keys that
differ only in case count as duplicates, because pybtex cannot tell them apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pybtex.errors
from pybtex.database import BibliographyData, Entry
from pybtex.database.input.bibtex import Parser
from pybtex.scanner import PrematureEOF, PybtexSyntaxError

from .diagnostics import Diagnostic, error
from .source_text import LineIndex, read_source

_ENTRY_HEAD = re.compile(r"@[ \t]*([A-Za-z]+)[ \t]*[{(][ \t\n]*([^,\s{}()]*)")
_NON_ENTRY_TYPES = {"string", "preamble", "comment"}


@dataclass(frozen=True)
class Reference:
    key: str
    entry_type: str
    line: int
    col: int
    # pybtex's own entry, for the style that formats the annex.
    entry: Entry = field(compare=False, repr=False)
    # line of each field name, for diagnostics about a single field
    field_lines: tuple[tuple[str, int, int], ...] = field(compare=False, repr=False, default=())

    def field_position(self, name: str) -> tuple[int, int]:
        for field_name, line, col in self.field_lines:
            if field_name == name.lower():
                return line, col
        return self.line, self.col


@dataclass(frozen=True)
class Bibliography:
    references: tuple[Reference, ...]
    # False when the file could not be read at all: checks that compare
    # against its keys would only repeat that one problem.
    readable: bool = True

    @cached_property
    def _by_key(self) -> dict[str, Reference]:
        return {reference.key: reference for reference in self.references}

    def keys(self) -> set[str]:
        return set(self._by_key)

    def get(self, key: str) -> Reference | None:
        return self._by_key.get(key)


def load_bibliography(path: Path, display_path: str) -> tuple[Bibliography, list[Diagnostic]]:
    source, diagnostics = read_source(path, display_path)
    if source is None:
        return Bibliography((), readable=False), diagnostics
    return parse_bibliography(source.text, display_path)


def parse_bibliography(text: str, display_path: str) -> tuple[Bibliography, list[Diagnostic]]:
    index = LineIndex(text)
    heads = _entry_heads(text, index)
    diagnostics = _duplicate_keys(heads, display_path)
    duplicate_positions = {(d.line, d.col) for d in diagnostics}

    data, syntax_problems = _parse_with_pybtex(text, display_path, heads)
    diagnostics += syntax_problems
    broken_lines = {d.line for d in syntax_problems}

    references = []
    seen: set[str] = set()
    for number, (entry_type, key, line, col, field_lines) in enumerate(heads):
        if (line, col) in duplicate_positions or key.lower() in seen:
            continue
        next_line = heads[number + 1][2] if number + 1 < len(heads) else float("inf")
        if any(line <= broken < next_line for broken in broken_lines):
            continue  # pybtex kept a fragment of an entry with a syntax error
        seen.add(key.lower())
        entry = data.entries.get(key)
        if entry is None:
            continue  # pybtex skipped it after a syntax error, already reported
        references.append(Reference(key, entry_type.lower(), line, col, entry, field_lines))
    return Bibliography(tuple(references)), diagnostics


_FIELD_NAME = re.compile(r"^[ \t]*([A-Za-z][\w-]*)[ \t]*=", re.M)


def _entry_heads(text: str, index: LineIndex) -> list[tuple[str, str, int, int, tuple]]:
    """(type, key, line, col of key, field positions) for each entry, in file order."""
    matches = [m for m in _ENTRY_HEAD.finditer(text) if m.group(1).lower() not in _NON_ENTRY_TYPES]
    heads = []
    for number, match in enumerate(matches):
        body_end = matches[number + 1].start() if number + 1 < len(matches) else len(text)
        field_lines = tuple(
            (m.group(1).lower(), *index.position(m.start(1))) for m in _FIELD_NAME.finditer(text, match.end(), body_end)
        )
        key_offset = match.start(2) if match.group(2) else match.start()
        line, col = index.position(key_offset)
        heads.append((match.group(1), match.group(2), line, col, field_lines))
    return heads


def _duplicate_keys(heads: list, display_path: str) -> list[Diagnostic]:
    first: dict[str, tuple[str, int]] = {}
    diagnostics = []
    for _type, key, line, col, _fields in heads:
        if not key:
            diagnostics.append(error(display_path, line, col, "bib-missing-key", "entry has no citation key"))
            continue
        folded = key.lower()
        if folded in first:
            first_key, first_line = first[folded]
            same = "" if first_key == key else f' ("{first_key}"; keys differ only in case)'
            diagnostics.append(
                error(
                    display_path,
                    line,
                    col,
                    "bib-duplicate-key",
                    f'duplicate key "{key}", first defined at line {first_line}{same}',
                )
            )
        else:
            first[folded] = (key, line)
    return diagnostics


def _parse_with_pybtex(text: str, display_path: str, heads: list) -> tuple[BibliographyData, list[Diagnostic]]:
    parser = Parser()
    with pybtex.errors.capture() as captured:
        try:
            data = parser.parse_string(text)
        except PybtexSyntaxError as exc:  # raised for problems pybtex cannot skip past
            captured.append(exc)
            data = parser.data
    diagnostics = []
    for problem in captured:
        message = str(problem)
        if isinstance(problem, PrematureEOF) and heads:
            # The file ended inside an entry: point at the entry, not at the end of the file.
            _type, key, line, col, _fields = heads[-1]
            diagnostics.append(
                error(
                    display_path,
                    line,
                    col,
                    "bib-syntax",
                    f'BibTeX syntax error: entry "{key}" is never closed; check that its braces balance',
                )
            )
        elif isinstance(problem, PybtexSyntaxError) and "key expected" in message:
            continue  # a missing key is reported from the entry heads, at the entry
        elif isinstance(problem, PybtexSyntaxError):
            line = problem.lineno or 1
            message = message.split(": ", 1)[-1]
            diagnostics.append(error(display_path, line, 1, "bib-syntax", f"BibTeX syntax error: {message}"))
        elif "repeated" in message or "duplicate" in message.lower():
            continue  # duplicate keys are reported from the entry heads, with both lines
        else:
            diagnostics.append(error(display_path, 1, 1, "bib-syntax", message))
    return data, diagnostics
