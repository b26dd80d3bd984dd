"""Loading references.bib into frozen `Reference` records, with pybtex.

The file is cut into entries at each line that starts with `@type{`, and
pybtex parses one entry at a time (sharing @string macros): an entry whose
braces never close is then reported inside that entry, and the entries after
it still load. pybtex's problems are told apart by their exception types and
placed with their positions, never by their message text. A light scan of the
entry heads adds what pybtex does not keep: the line of each entry and field,
and duplicate keys with both lines.

Each entry is resolved as biblatex does: `crossref` and `xdata` fields are
filled in from the parent (biblatex_model.py says which and under what name).
Citation keys are matched exactly, as pandoc does; two keys that differ only
in case count as duplicates, because pybtex cannot tell them apart.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import pybtex.errors
from pybtex.bibtex.utils import split_name_list, split_tex_string
from pybtex.database import BibliographyData, Entry, InvalidNameString, Person
from pybtex.database.input.bibtex import DuplicateField, Parser, UndefinedMacro
from pybtex.scanner import PrematureEOF, PybtexSyntaxError, TokenRequired

from .biblatex_model import FIELD_ALIASES, IMPLIED_TYPE, NOT_PRINTED, biblatex_type, inherited_names
from .bibtex_text import DecodedText, decode_tex
from .diagnostics import Diagnostic, error
from .source_text import LineIndex, read_source

_ENTRY_START = re.compile(r"^[ \t]*@[ \t]*([A-Za-z]+)[ \t]*[{(][ \t\r\n]*([^,\s{}()]*)", re.M)
_NON_ENTRY_TYPES = {"string", "preamble", "comment"}
_FIELD_NAME = re.compile(r"^[ \t]*([A-Za-z][\w:.+-]*)[ \t]*=", re.M)
# Generational suffixes, the only words BibTeX's "Last, Jr, First" form expects in the middle.
_SUFFIXES = {"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v", "jun.", "sen.", "jnr", "snr"}
_MACRO_NAME = re.compile(r"[A-Za-z@!$&*+\-./:;<>?\[\\\]^_`|~][\w@!$&*+\-./:;<>?\[\\\]^_`|~]*$")


@dataclass(frozen=True)
class Reference:
    key: str
    entry_type: str  # as written, lower case ("phdthesis")
    line: int
    col: int
    # pybtex's entry, with crossref and xdata resolved
    entry: Entry = field(compare=False, repr=False)
    # (name, line, col) of each field as written, for diagnostics about a single field
    field_lines: tuple[tuple[str, int, int], ...] = field(compare=False, repr=False, default=())
    # the entry as written, from the line it starts on, to place a problem inside a field
    source: str = field(compare=False, repr=False, default="")
    source_line: int = field(compare=False, repr=False, default=1)

    @property
    def kind(self) -> str:
        """The biblatex entry type ("thesis" for a @phdthesis)."""
        return biblatex_type(self.entry_type)

    def field_position(self, name: str) -> tuple[int, int]:
        for field_name, line, col in self.field_lines:
            if field_name == name.lower():
                return line, col
        alias = FIELD_ALIASES.get(name.lower())
        return self.field_position(alias) if alias else (self.line, self.col)

    def position_in_field(self, name: str, snippet: str) -> tuple[int, int]:
        """Where `snippet` is written in the field, or the field's own position."""
        line, col = self.field_position(name)
        lines = self.source.split("\n")
        start = sum(len(text) + 1 for text in lines[: line - self.source_line]) + col - 1
        found = self.source.find(snippet, start) if snippet else -1
        if found < 0 or line < self.source_line:
            return line, col
        before = self.source[:found]
        return self.source_line + before.count("\n"), found - (before.rfind("\n") + 1) + 1

    def value(self, name: str) -> str:
        """A field's value as written ("" when absent), under its biblatex or its BibTeX name."""
        name = name.lower()
        if name == "type" and "type" not in self.entry.fields:
            return IMPLIED_TYPE.get(self.entry_type, "")
        for candidate in (name, FIELD_ALIASES.get(name)):
            if candidate and self.entry.fields.get(candidate, "").strip():
                return self.entry.fields[candidate].strip()
        return ""

    def text(self, name: str) -> DecodedText:
        """A field as the annex prints it: TeX decoded."""
        return decode_tex(self.value(name))

    def people(self, role: str) -> list[Person]:
        return list(self.entry.persons.get(role, []))

    @property
    def year(self) -> str:
        """The year the annex prints: `year`, or the year(s) of biblatex's `date` ("1984/1986" -> "1984–1986")."""
        year = self.value("year")
        if year:
            return year
        years = re.findall(r"(?:^|/)(\d{4})", self.value("date"))
        return "–".join(dict.fromkeys(years))


@dataclass(frozen=True)
class Bibliography:
    references: tuple[Reference, ...]
    # False when the file could not be read at all: checks that compare
    # against its keys would only repeat that one problem.
    readable: bool = True
    # Keys of entries with an error already reported: citing one is not a second problem.
    broken_keys: frozenset[str] = frozenset()

    @cached_property
    def _by_key(self) -> dict[str, Reference]:
        return {reference.key: reference for reference in self.references}

    def keys(self) -> set[str]:
        """The keys a citation may name: the annex's, and those of entries with an error.

        @set and @xdata entries are not printed, so they cannot be cited.
        """
        return set(self._by_key) | self.broken_keys

    def get(self, key: str) -> Reference | None:
        return self._by_key.get(key)


@dataclass(frozen=True)
class _Chunk:
    """The text from one `@type{` to the next."""

    start: int
    end: int
    entry_type: str
    key: str
    key_offset: int
    fields: tuple[tuple[str, int], ...]  # (lower-case name, offset) of each field as written

    @property
    def is_entry(self) -> bool:
        return self.entry_type.lower() not in _NON_ENTRY_TYPES


def load_bibliography(path: Path, display_path: str) -> tuple[Bibliography, list[Diagnostic]]:
    source, diagnostics = read_source(path, display_path)
    if source is None:
        return Bibliography((), readable=False), diagnostics
    return parse_bibliography(source.text, display_path)


def parse_bibliography(text: str, display_path: str) -> tuple[Bibliography, list[Diagnostic]]:
    index = LineIndex(text)
    chunks = list(_chunks(text))
    diagnostics, skipped = _key_problems(chunks, index, display_path)
    # Name fields stay text in the parse, so that each name is read below knowing its entry and field.
    parser = Parser(person_fields=())
    broken: set[str] = set()
    for chunk in chunks:
        if chunk.start in skipped:
            continue
        problems = _parse_chunk(parser, text[chunk.start : chunk.end])
        chunk_diagnostics = [_describe(problem, chunk, text, index, display_path) for problem in problems]
        diagnostics += [d for d in chunk_diagnostics if d is not None]
        if chunk.is_entry and any(_is_fatal(problem) for problem in problems):
            broken.add(chunk.key)
    data = parser.data
    for chunk in chunks:
        if chunk.is_entry and chunk.start not in skipped and chunk.key in data.entries:
            diagnostics += _read_people(data.entries[chunk.key], chunk, index, display_path, chunk.key in broken)
    references = []
    for chunk in chunks:
        if not chunk.is_entry or chunk.start in skipped or chunk.key in broken or chunk.key not in data.entries:
            continue
        entry = data.entries[chunk.key]
        if entry.type in NOT_PRINTED:
            continue
        line, col = index.position(chunk.key_offset)
        field_lines = tuple((name, *index.position(offset)) for name, offset in chunk.fields)
        source = text[chunk.start : chunk.end]
        source_line = index.position(chunk.start)[0]
        reference = Reference(chunk.key, chunk.entry_type.lower(), line, col, entry, field_lines, source, source_line)
        resolved, problems = _resolve(reference, data)
        diagnostics += [error(display_path, *position, "bib-crossref", message) for position, message in problems]
        references.append(resolved)
    return Bibliography(tuple(references), broken_keys=frozenset(broken)), diagnostics


def _chunks(text: str) -> Iterator[_Chunk]:
    starts = list(_ENTRY_START.finditer(text))
    for number, match in enumerate(starts):
        end = starts[number + 1].start() if number + 1 < len(starts) else len(text)
        fields = tuple((m.group(1).lower(), m.start(1)) for m in _FIELD_NAME.finditer(text, match.end(), end))
        key_offset = match.start(2) if match.group(2) else match.start(1) - 1
        yield _Chunk(match.start(), end, match.group(1), match.group(2), key_offset, fields)


def _key_problems(chunks: list[_Chunk], index: LineIndex, display_path: str) -> tuple[list[Diagnostic], set[int]]:
    """Missing and duplicate keys; the entries that have them are not parsed."""
    first: dict[str, tuple[str, int]] = {}
    diagnostics, skipped = [], set()
    for chunk in chunks:
        if not chunk.is_entry:
            continue
        line, col = index.position(chunk.key_offset)
        if not chunk.key:
            diagnostics.append(error(display_path, line, col, "bib-missing-key", "entry has no citation key"))
            skipped.add(chunk.start)
            continue
        folded = chunk.key.lower()
        if folded in first:
            first_key, first_line = first[folded]
            same = "" if first_key == chunk.key else f' ("{first_key}"; keys differ only in case)'
            message = f'duplicate key "{chunk.key}", first defined at line {first_line}{same}'
            diagnostics.append(error(display_path, line, col, "bib-duplicate-key", message))
            skipped.add(chunk.start)
        else:
            first[folded] = (chunk.key, line)
    return diagnostics, skipped


def _parse_chunk(parser: Parser, chunk_text: str) -> list[Exception]:
    with pybtex.errors.capture() as captured:
        try:
            parser.parse_string(chunk_text)
        except PybtexSyntaxError as exc:  # raised for problems pybtex cannot skip past
            captured.append(exc)
    return list(captured)


def _is_fatal(problem: Exception) -> bool:
    """A problem after which pybtex keeps only a fragment of the entry."""
    return isinstance(problem, PybtexSyntaxError) and not isinstance(problem, UndefinedMacro)


def _describe(problem: Exception, chunk: _Chunk, text: str, index: LineIndex, path: str) -> Diagnostic | None:
    """One of pybtex's problems as a diagnostic inside its entry, by the problem's type."""
    name = f'entry "{chunk.key}"' if chunk.is_entry else f"@{chunk.entry_type}"
    if isinstance(problem, PybtexSyntaxError):
        # LowLevelParser's context: (start of the command, line, offset), offsets within the chunk
        offset = chunk.start + problem.error_context_info[-1]
    else:
        offset = chunk.key_offset
    line, col = index.position(min(offset, len(text)))
    if isinstance(problem, DuplicateField):
        return _duplicate_field(chunk, index, path)
    if isinstance(problem, PrematureEOF):
        return _never_closed(chunk, text, index, path)
    if isinstance(problem, UndefinedMacro):
        macro = _MACRO_NAME.search(text, chunk.start, offset)
        shown = f'"{macro.group()}" ' if macro else ""
        message = (
            f"{name}: the @string macro {shown}is not defined; define it with @string or write the value in braces"
        )
        return error(path, *index.position(macro.start() if macro else offset), "bib-syntax", message)
    if isinstance(problem, TokenRequired):
        found = text[offset : offset + 20].split("\n")[0].strip() or "the end of the entry"
        message = f'{name}: BibTeX syntax error at "{found}": fields are written name = {{value}}, separated by commas'
        return error(path, line, col, "bib-syntax", message)
    if isinstance(problem, PybtexSyntaxError):
        return error(path, line, col, "bib-syntax", f"{name}: BibTeX syntax error: the braces do not balance here")
    return error(path, line, col, "bib-syntax", f"{name}: pybtex cannot read this entry ({type(problem).__name__})")


def _read_people(entry: Entry, chunk: _Chunk, index: LineIndex, path: str, broken: bool) -> list[Diagnostic]:
    """Move the name fields of `entry` into its persons; each name that cannot be one person is a problem."""
    diagnostics = []
    for role in Person.valid_roles:
        value = entry.fields.pop(role, None)
        if value is None:
            continue
        problems = []
        for name in split_name_list(value):
            with pybtex.errors.capture() as captured:
                person = Person(name)
            entry.add_person(person, role)
            problems += [_name_problem(name, exc) for exc in captured]
            problems += [_name_shape_problem(name), _suffix_problem(person)]
        problem = next((problem for problem in problems if problem), None)
        if problem and not broken:
            offset = next((offset for name, offset in chunk.fields if name == role), chunk.key_offset)
            message = f"{chunk.key}: {role}: {problem}"
            diagnostics.append(error(path, *index.position(offset), "bib-name-list", message))
    return diagnostics


def _name_problem(name: str, problem: Exception) -> str:
    if isinstance(problem, InvalidNameString):
        return (
            f'"{name}" has more than two commas, so BibTeX cannot read it as one name; '
            'separate names with "and" (a name is "Family, First" or "Family, Jr., First")'
        )
    return f'"{name}" cannot be read as a name ({type(problem).__name__})'


def _name_shape_problem(name: str) -> str:
    """An empty name, or an "and" left over where a name is missing: BibTeX would print either as a name."""
    if not re.sub(r"[{}\s,~]", "", name):
        return 'an empty name between two "and"; remove the extra "and" or write the missing name'
    for part in split_tex_string(name, ","):
        words = split_tex_string(part)
        if words and "and" in (words[0].lower(), words[-1].lower()):
            return (
                f'"{name}" has a stray "and" with no name on its other side; '
                'remove it, or write the missing name (for more authors, "and others")'
            )
    return ""


def _suffix_problem(person: Person) -> str:
    """A middle part that is no suffix: a list written with commas instead of "and"."""
    lineage = " ".join(person.lineage_names)
    if not lineage or lineage.lower() in _SUFFIXES:
        return ""
    return (
        f'BibTeX reads "{person}" as one person, family name "{" ".join(person.last_names)}" '
        f'with the suffix "{lineage}"; separate names with "and" '
        '(a real suffix goes second: "King, Jr., Martin Luther")'
    )


def _duplicate_field(chunk: _Chunk, index: LineIndex, path: str) -> Diagnostic:
    seen: dict[str, int] = {}
    for name, offset in chunk.fields:
        if name in seen:
            first_line = index.position(seen[name])[0]
            message = f'entry "{chunk.key}": field "{name}" is given twice (first at line {first_line}); keep one'
            return error(path, *index.position(offset), "bib-duplicate-field", message)
        seen[name] = offset
    line, col = index.position(chunk.key_offset)
    return error(path, line, col, "bib-duplicate-field", f'entry "{chunk.key}" gives a field twice; keep one')


def _never_closed(chunk: _Chunk, text: str, index: LineIndex, path: str) -> Diagnostic:
    """Point at the field whose braces never close, or at the entry whose own "}" is missing."""
    ends = [offset for _name, offset in chunk.fields[1:]] + [chunk.end]
    for (name, offset), next_offset in zip(chunk.fields, ends, strict=False):
        if _brace_depth(text[offset:next_offset]) > 0:
            message = (
                f'entry "{chunk.key}": the value of "{name}" opens a brace that is never closed; '
                'add the missing "}" (the entries after it are read on their own)'
            )
            return error(path, *index.position(offset), "bib-syntax", message)
    message = f'entry "{chunk.key}" is never closed: add the "}}" that ends it before the next entry'
    return error(path, *index.position(chunk.key_offset), "bib-syntax", message)


def _brace_depth(value: str) -> int:
    depth = 0
    for match in re.finditer(r"\\.|[{}]", value):
        depth += {"{": 1, "}": -1}.get(match.group(), 0)
    return depth


def _resolve(reference: Reference, data: BibliographyData) -> tuple[Reference, list[tuple[tuple[int, int], str]]]:
    """The reference with the fields its crossref and xdata entries pass on (biblatex's inheritance)."""
    fields = dict(reference.entry.fields.items())
    persons = {role: list(people) for role, people in reference.entry.persons.items()}
    problems = []
    sources = [(name, key.strip()) for name in ("xdata", "crossref") for key in fields.get(name, "").split(",")]
    seen = {reference.key.lower()}
    while sources:
        via, key = sources.pop(0)
        if not key or key.lower() in seen:
            continue
        seen.add(key.lower())
        parent = data.entries.get(key)
        if parent is None:
            position = reference.field_position(via)
            problems.append((position, f'{reference.key}: {via} "{key}" names no entry of this file'))
            continue
        for name, value in parent.fields.items():
            for target in _inherited(parent, reference, via, name.lower()):
                fields.setdefault(target, value)
        for role, people in parent.persons.items():
            for target in _inherited(parent, reference, via, role.lower()):
                persons.setdefault(target, list(people))
        sources += [(via, k.strip()) for name in ("xdata", "crossref") for k in parent.fields.get(name, "").split(",")]
    if fields == dict(reference.entry.fields.items()) and persons == dict(reference.entry.persons.items()):
        return reference, problems
    entry = Entry(reference.entry.type, fields=fields, persons=persons)
    entry.key = reference.key
    return dataclasses.replace(reference, entry=entry), problems


def _inherited(parent: Entry, reference: Reference, via: str, name: str) -> tuple[str, ...]:
    if via == "xdata":  # xdata passes every field unchanged
        return () if name in ("xdata", "crossref", "ids") else (name,)
    return inherited_names(parent.type, reference.entry_type, name)
