"""A sign-up form's CSV export merged into signatories.yaml (`doit intake --csv FILE`).

Two pure steps. `read_form` turns the export into `FormRow`s, recognising the
usual column names of Google Forms, Microsoft Forms, KoBoToolbox and Typeform
(or the names given with `--column`); a CSV it cannot read gives diagnostics
with the line of the row and no rows at all, so nothing changes. `merge_form`
decides each row's fate with the check's own rules (`duplicate_pairs`,
`near_duplicate_pairs`, `withdrawal_pairs`) and appends the new entries to the
text of signatories.yaml, line by line: comments, order, quoting and layout of
everything already there stay byte for byte as they were.

Only the name, the type, the country and the affiliation are read from a row.
The e-mail address, the timestamp and every other answer never leave the CSV.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .checks.signatories import duplicate_pairs, near_duplicate_pairs, withdrawal_pairs
from .diagnostics import Diagnostic, PipelineError, error, warning
from .names import fold
from .signatories import SECTIONS, Kind, Signatory, SignatoryFile, parse_signatory_file
from .source_text import decode_source
from .sources import SIGNATORIES
from .yaml_nodes import compose_yaml

FIELDS = ("name", "organization_name", "type", "country", "affiliation", "consent")
# Header names as forms write them, after `_header_words` (lower case, no
# punctuation, no parenthesised hint such as "(for individuals)").
# The most specific first: Microsoft Forms puts the respondent's account name in
# a "Name" column before the questions, so a "Full name" question wins over it.
HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("full name", "your full name", "your name", "name of signatory", "signatory name", "signatory", "name"),
    "organization_name": (
        "organization name",
        "organisation name",
        "name of organization",
        "name of organisation",
        "name of your organization",
        "name of your organisation",
    ),
    "type": ("signing as", "i am signing as", "i sign as", "signatory type", "type of signatory", "type"),
    "country": ("country", "country of residence", "country or territory", "country territory", "pays", "país"),
    "affiliation": ("affiliation", "institutional affiliation", "your affiliation", "institution"),
}
# A consent question is written out in full by each form ("I agree that my name
# ... is published"): recognised by its words, after the other columns.
CONSENT_WORDS = frozenset({"consent", "agree", "permission", "publish", "published", "publication"})
AFFIRMATIVE = frozenset(
    {"yes", "y", "oui", "si", "sí", "ja", "sim", "true", "1", "x", "agree", "agreed", "consent", "accept", "confirm"}
)
NEGATIVE = frozenset(
    {"no", "n", "non", "nein", "não", "false", "0", "not", "never", "disagree", "decline", "refuse", "cannot"}
    | {"don't", "dont", "won't", "wont", "can't", "cant", "doesn't", "do'nt"}
)
# Typographic apostrophes ("don’t"), as phones and word processors type them, read as the plain one.
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "`": "'"})
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.\w+")
_PHONE = re.compile(r"^\+?[\d\s().-]{7,}$")
_PARENTHESISED = re.compile(r"\([^)]*\)|\[[^\]]*\]")


@dataclass(frozen=True)
class FormRow:
    """One answer to the form, as far as the declaration may use it. `line` is where the row starts in the CSV."""

    line: int
    name: str
    kind: Kind | None
    country: str | None
    affiliation: str | None
    consent: str
    type_answer: str = ""


@dataclass
class IntakeResult:
    """What a merge did: the new text of signatories.yaml and each row's fate."""

    text: str
    added: list[Signatory] = field(default_factory=list)
    present: int = 0
    repeated: int = 0
    held: list[int] = field(default_factory=list)
    without_consent: int = 0
    withdrawn: int = 0
    invalid: int = 0
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def summary(self, csv_path: str, rows: int) -> str:
        kinds = [s.kind for s in self.added]
        added = f"{len(self.added)} added ({_plural(kinds.count('organization'), 'organization')}, "
        added += f"{_plural(kinds.count('individual'), 'individual')})"
        parts = [
            added,
            f"{self.present} already present",
            f"{self.repeated} repeated in the form",
            f"{len(self.held)} held back",
            f"{self.without_consent} without consent",
            f"{self.withdrawn} withdrawn",
            f"{self.invalid} invalid",
        ]
        return f"{csv_path}: {_plural(rows, 'row')}: " + ", ".join(parts)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _header_words(header: str) -> str:
    return " ".join(re.findall(r"[\w']+", fold(_PARENTHESISED.sub(" ", header))))


def find_columns(
    header: Sequence[str], explicit: dict[str, str], csv_path: str
) -> tuple[dict[str, int], list[Diagnostic]]:
    """Which column holds which field: the names given with --column, else the usual header names."""
    columns: dict[str, int] = {}
    problems: list[Diagnostic] = []
    for name, wanted in explicit.items():
        matches = [i for i, h in enumerate(header) if h.strip() == wanted.strip()]
        matches = matches or [i for i, h in enumerate(header) if _header_words(h) == _header_words(wanted)]
        if matches:
            columns[name] = matches[0]
        else:
            problems.append(
                error(
                    csv_path,
                    1,
                    1,
                    "csv-unknown-column",
                    f'--column "{name}:{wanted}": the header has no column "{wanted}"',
                )
            )
    words = [_header_words(h) for h in header]
    for name, aliases in HEADERS.items():
        if name not in columns and name not in explicit:
            index = next((words.index(alias) for alias in aliases if alias in words), None)
            if index is not None:
                columns[name] = index
    if "consent" not in columns and "consent" not in explicit:
        used = set(columns.values())
        index = next(
            (i for i, h in enumerate(header) if i not in used and CONSENT_WORDS & set(_header_words(h).split())),
            None,
        )
        if index is not None:
            columns["consent"] = index
    if problems:
        return columns, problems
    found = ", ".join(f'"{h}"' for h in header)
    if "name" not in columns and "organization_name" not in columns:
        problems.append(
            error(
                csv_path,
                1,
                1,
                "csv-no-name-column",
                f"no name column (Name, Full name or Organization name) among {found}; "
                "name it with --column 'name:HEADER'",
            )
        )
    if "consent" not in columns:
        problems.append(
            error(
                csv_path,
                1,
                1,
                "csv-no-consent-column",
                f"no consent question among {found}; nobody is added without consent: "
                "name it with --column 'consent:HEADER'",
            )
        )
    if "type" not in columns and "name" in columns and _kind_without_type_column(header, columns) is None:
        problems.append(
            error(
                csv_path,
                1,
                1,
                "csv-no-type-column",
                'no "Type" or "Signing as" column to tell organizations from individuals; '
                "name it with --column 'type:HEADER'",
            )
        )
    return columns, problems


PERSON_HEADERS = frozenset({"full name", "your full name", "your name"})


def _kind_without_type_column(header: Sequence[str], columns: dict[str, int]) -> Kind | None:
    """A form without a type question asks either organizations or people, as its name column says."""
    if "name" not in columns:
        return "organization"
    if "organization_name" not in columns and _header_words(header[columns["name"]]) in PERSON_HEADERS:
        return "individual"
    return None


def kind_of(answer: str) -> Kind | None:
    """ "An organization", "Organisation / NGO", "Individual", "In my personal capacity" -> the kind."""
    text = fold(answer)
    words = set(re.findall(r"\w+", text))
    organization = "organi" in text or bool({"ngo", "ong", "institution", "association", "company"} & words)
    individual = "individual" in text or bool({"person", "personal", "myself", "self"} & words)
    # "Individual, not on behalf of my organization" has words of both kinds: which one is meant is
    # for an editor to say, not a guess. "behalf" and "private" alone say neither.
    if organization == individual:
        return None
    return "organization" if organization else "individual"


def consents(answer: str) -> bool:
    """Only a clear yes: "Yes", "I agree ...", a ticked box's own text. Empty, "No", "Maybe" are not."""
    words = re.findall(r"[\w']+|[✓✔]", fold(answer).translate(_APOSTROPHES))
    if not words or words[0] in NEGATIVE or NEGATIVE & set(words[1:]) - {"n", "0", "1"}:
        return False
    return words[0] in AFFIRMATIVE or words[0] in "✓✔" or bool(AFFIRMATIVE & set(words) - {"y", "x", "1", "si"})


def _delimiter(first_line: str) -> str:
    """Forms export commas; a spreadsheet saved in a European locale, semicolons; some tools, tabs."""
    # Only separators outside quotes count: a quoted question ("Do you consent, freely, ...") has commas of its own.
    outside = "".join(first_line.split('"')[::2])
    return max(",;\t", key=outside.count) if any(c in outside for c in ",;\t") else ","


def read_form(
    data: bytes, csv_path: str, explicit: dict[str, str] | None = None
) -> tuple[list[FormRow], list[Diagnostic]]:
    """The rows of a form export and warnings about it. Any error in the file's structure returns no rows at all."""
    source, problems = decode_source(data, csv_path)
    if source is None:
        return [], problems
    text = source.text
    delimiter = _delimiter(text.split("\n", 1)[0])
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    records: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                records.append((line, record))
            line = reader.line_num + 1
    except csv.Error as exc:
        return [], [error(csv_path, line, 1, "csv-syntax", f"cannot read the CSV from this row on: {exc}")]
    if not records:
        return [], [error(csv_path, 1, 1, "source-empty", "file is empty")]
    (header_line, header), rows = records[0], records[1:]
    columns, problems = find_columns(header, explicit or {}, csv_path)
    for row_line, record in rows:
        if len(record) != len(header):
            problems.append(
                error(
                    csv_path,
                    row_line,
                    1,
                    "csv-ragged-row",
                    f"row has {len(record)} fields, the header has {len(header)}; a quote or separator is missing",
                )
            )
    if problems:
        return [], problems
    starts = _field_starts(text.split("\n", 1)[0], delimiter) if header_line == 1 else []
    warnings = [
        warning(
            csv_path,
            header_line,
            starts[repeat] if repeat < len(starts) else 1,
            "csv-repeated-column",
            f'column "{header[repeat]}" is also column {read + 1}; only column {read + 1} is read as the {name}',
        )
        for name, read, repeat in _repeated_columns(header, columns)
    ]
    default_kind = None if "type" in columns else _kind_without_type_column(header, columns)
    return [_form_row(line, record, columns, default_kind) for line, record in rows], warnings


def _repeated_columns(header: Sequence[str], columns: dict[str, int]) -> list[tuple[str, int, int]]:
    """(field, the column read, another column with the same header): one of the two answers is ignored."""
    words = [_header_words(h) for h in header]
    return sorted(
        (name.replace("_", " "), index, other)
        for name, index in columns.items()
        for other, other_words in enumerate(words)
        if other != index and other_words == words[index]
    )


def _field_starts(line: str, delimiter: str) -> list[int]:
    """The 1-based column at which each field of a CSV line starts."""
    starts, quoted = [1], False
    for offset, char in enumerate(line):
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            starts.append(offset + 2)
    return starts


def _form_row(line: int, record: list[str], columns: dict[str, int], default_kind: Kind | None) -> FormRow:
    def cell(name: str) -> str:
        return " ".join(record[columns[name]].split()) if name in columns else ""

    type_answer = cell("type")
    kind = kind_of(type_answer) if "type" in columns else default_kind
    # Each kind has its own name: never a contact person's name published as an organization, or the reverse.
    # A form with a single name column asks that one name of both kinds.
    if kind == "organization" and "organization_name" in columns:
        name = cell("organization_name")
    elif kind == "individual" or "name" in columns:
        name = cell("name")
    else:
        name = cell("organization_name")
    if kind is None:  # not added whatever it is called; any name makes the warning say which row
        name = name or cell("organization_name")
    affiliation = cell("affiliation") if kind == "individual" else ""
    return FormRow(line, name, kind, cell("country") or None, affiliation or None, cell("consent"), type_answer)


def merge_form(
    yaml_text: str, rows: Sequence[FormRow], csv_path: str, accept: Sequence[int] = ()
) -> tuple[IntakeResult | None, list[Diagnostic]]:
    """Decide each row's fate and append the new signatories. None when signatories.yaml itself has errors."""
    listed, problems = parse_signatory_file(yaml_text.replace("\r\n", "\n"), SIGNATORIES)
    if problems:
        return None, problems
    result = IntakeResult(yaml_text)
    candidates = [s for s in (_candidate(row, csv_path, result) for row in rows) if s is not None]
    candidates = _drop_withdrawn(candidates, listed, csv_path, result)
    candidates = _drop_duplicates(candidates, listed, csv_path, result)
    candidates = _hold_near_duplicates(candidates, listed, csv_path, set(accept), result)
    for number in sorted(set(accept) - set(result.held) - {s.line for s in candidates}):
        result.diagnostics.append(
            warning(
                csv_path, 1, 1, "intake-accept", f"--accept {number}: no row starting at line {number} was held back"
            )
        )
    result.added = candidates
    result.diagnostics.sort()
    try:
        result.text = append_signatories(yaml_text, candidates)
    except IntakeLayoutError as exc:
        return None, [error(SIGNATORIES, exc.line, 1, "intake-layout", exc.message)]
    _confirm_read_back(result.text, listed, candidates)
    return result, []


def _candidate(row: FormRow, csv_path: str, result: IntakeResult) -> Signatory | None:
    def invalid(message: str) -> None:
        result.invalid += 1
        result.diagnostics.append(warning(csv_path, row.line, 1, "intake-invalid-row", message + "; row not added"))

    if not consents(row.consent):
        result.without_consent += 1
        answer = f'"{row.consent}"' if row.consent else "no answer"
        result.diagnostics.append(
            warning(
                csv_path,
                row.line,
                1,
                "intake-no-consent",
                f'"{row.name}": the consent answer is {answer}, not a clear yes; row not added',
            )
        )
        return None
    if not row.name:
        invalid({"organization": "no organization name", "individual": "no full name"}.get(row.kind or "", "no name"))
        return None
    if row.kind is None:
        invalid(f'"{row.name}": "{row.type_answer}" does not say organization or individual')
        return None
    for what, value in (("name", row.name), ("country", row.country), ("affiliation", row.affiliation)):
        if value and (_EMAIL.search(value) or _PHONE.match(value)):
            invalid(f"the {what} looks like an e-mail address or a phone number, which are never copied (or shown)")
            return None
    return Signatory(row.name, row.kind, row.line, 1, row.country, row.affiliation)


def _drop_withdrawn(
    candidates: list[Signatory], listed: SignatoryFile, csv_path: str, result: IntakeResult
) -> list[Signatory]:
    refused = withdrawal_pairs(candidates, listed.withdrawn)
    for signatory, withdrawal in refused:
        result.withdrawn += 1
        result.diagnostics.append(
            warning(
                csv_path,
                signatory.line,
                1,
                "intake-withdrawn",
                f'"{signatory.name}" withdrew on {withdrawal.date} ({SIGNATORIES} line {withdrawal.line}); '
                "not added again",
            )
        )
    gone = {id(s) for s, _ in refused}
    return [s for s in candidates if id(s) not in gone]


def _drop_duplicates(
    candidates: list[Signatory], listed: SignatoryFile, csv_path: str, result: IntakeResult
) -> list[Signatory]:
    new = {id(s) for s in candidates}
    repeats = set()
    for repeat, original in duplicate_pairs([*listed.signatories, *candidates]):
        if id(repeat) not in new:
            continue  # a duplicate already in the file is doit check's to report
        repeats.add(id(repeat))
        if id(original) in new:
            result.repeated += 1
            where = f"row {original.line} of the form"
        else:
            result.present += 1
            where = f"{SIGNATORIES} line {original.line}"
        same_as = "" if original.name == repeat.name else f' as "{original.name}"'
        message = f'"{repeat.name}" is already listed{same_as} ({where})'
        result.diagnostics.append(warning(csv_path, repeat.line, 1, "intake-duplicate", message))
    return [s for s in candidates if id(s) not in repeats]


def _hold_near_duplicates(
    candidates: list[Signatory], listed: SignatoryFile, csv_path: str, accept: set[int], result: IntakeResult
) -> list[Signatory]:
    new = {id(s) for s in candidates}
    held = set()
    pairs, _stats = near_duplicate_pairs([*listed.signatories, *candidates])
    for earlier, later in pairs:
        row = later if id(later) in new else earlier
        other = earlier if row is later else later
        if id(row) not in new or id(row) in held or row.line in accept:
            continue
        held.add(id(row))
        result.held.append(row.line)
        where = f"row {other.line} of the form" if id(other) in new else f"{SIGNATORIES} line {other.line}"
        result.diagnostics.append(
            warning(
                csv_path,
                row.line,
                1,
                "intake-near-duplicate",
                f'"{row.name}" looks like "{other.name}" ({where}); held back: '
                f"if it is a different signatory, run again with --accept {row.line}",
            )
        )
    return [s for s in candidates if id(s) not in held]


def yaml_scalar(text: str) -> str:
    """The text as a YAML scalar that reads back as exactly this string: plain when safe, else double-quoted."""
    if text == text.strip() and not re.search(r"[:#]|^[-?!&*%@`'\"|>{}\[\],]", text):
        try:
            if yaml.safe_load(f"- {text}") == [text]:
                return text
        except yaml.YAMLError:
            pass
    # JSON's string escapes are YAML's too; YAML also wants non-printable characters escaped.
    return "".join(c if _yaml_printable(c) else f"\\u{ord(c):04x}" for c in json.dumps(text, ensure_ascii=False))


def _yaml_printable(c: str) -> bool:
    code = ord(c)
    return 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or code >= 0x10000


def _entry_lines(signatory: Signatory, dash: str, inner: str) -> list[str]:
    fields = [("affiliation", signatory.affiliation), ("country", signatory.country)]
    fields = [(key, value) for key, value in fields if value]
    if not fields:
        return [f"{dash}{yaml_scalar(signatory.name)}"]
    lines = [f"{dash}name: {yaml_scalar(signatory.name)}"]
    return lines + [f"{inner}{key}: {yaml_scalar(value)}" for key, value in fields]


def append_signatories(text: str, signatories: Sequence[Signatory]) -> str:
    """The file's text with each signatory appended to the end of its list, nothing else touched."""
    if not signatories:
        return text
    newline = "\r\n" if "\r\n" in text else "\n"
    lines = text.replace("\r\n", "\n").split("\n")
    root, _ = compose_yaml(text.replace("\r\n", "\n"), SIGNATORIES)
    assert isinstance(root, MappingNode), "merge_form parsed this file before"
    sections = {key.value: value for key, value in root.value if isinstance(key, ScalarNode)}
    # Insert from the bottom up, so that the line numbers above stay valid; at the same
    # line (two lists started at the end of the file), the later section first.
    insertions: list[tuple[int, list[str], int]] = []
    for order, (section, kind) in enumerate(SECTIONS.items()):
        members = [s for s in signatories if s.kind == kind]
        if members:
            insertions.append((*_insertion(lines, section, sections.get(section), members), order))  # type: ignore[arg-type]
    for at, new_lines, _order in sorted(insertions, key=lambda item: (item[0], item[2]), reverse=True):
        lines[at:at] = new_lines
    return newline.join(lines)


def _insertion(lines: list[str], section: str, value: Node | None, members: list[Signatory]) -> tuple[int, list[str]]:
    """Where the new entries go, and their lines, indented like the list's last entry."""
    if isinstance(value, SequenceNode) and value.value and not value.flow_style:
        last = value.value[-1]
        dash = lines[last.start_mark.line][: last.start_mark.column]
        if dash.strip() != "-":  # "-" on a line of its own, the entry below it
            dash = " " * (len(dash) - 2) + "- " if len(dash) >= 2 else "  - "
        entries = [line for s in members for line in _entry_lines(s, dash, " " * len(dash))]
        return _last_line(last) + 1, entries
    entries = [line for s in members for line in _entry_lines(s, "  - ", "    ")]
    if value is None:  # no such list yet: it starts at the end of the file
        return len(lines) - (lines[-1] == ""), ["", f"{section}:", *entries]
    if isinstance(value, ScalarNode) and value.tag.endswith(":null") and value.value == "":
        return value.start_mark.line + 1, entries  # "individuals:" with nothing after it yet
    raise IntakeLayoutError(
        value.start_mark.line + 1,
        f"{section}: is not written as a block list (one '- ' entry a line); write it so, and run intake again",
    )


def _last_line(node: Node) -> int:
    """The 0-based line of the last character of a node (a mapping's end mark may lie beyond its comments)."""
    if isinstance(node, ScalarNode):
        end = node.end_mark
        return end.line - 1 if end.column == 0 and end.line > node.start_mark.line else end.line
    children: list[Node] = []
    if isinstance(node, MappingNode):
        children = [part for pair in node.value for part in pair]
    elif isinstance(node, SequenceNode):
        children = list(node.value)
    return max((_last_line(child) for child in children), default=node.start_mark.line)


class IntakeLayoutError(Exception):
    """signatories.yaml is laid out in a way intake cannot append to without rewriting it."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def _confirm_read_back(text: str, listed: SignatoryFile, added: Sequence[Signatory]) -> None:
    """The written file must read back as the old entries plus exactly the new ones."""
    again, problems = parse_signatory_file(text.replace("\r\n", "\n"), SIGNATORIES)

    def fields(signatories: Sequence[Signatory]) -> list[tuple]:
        return sorted((s.kind, s.name, s.country, s.affiliation) for s in signatories)

    if problems or fields(again.signatories) != fields([*listed.signatories, *added]):
        raise PipelineError(f"{SIGNATORIES}: the appended entries would not read back as intended; nothing written")
