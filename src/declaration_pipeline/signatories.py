"""Loading signatories.yaml into frozen records: who signed, who withdrew, and the print order.

Besides the two lists, the file may hold `order:` (`as-listed`, the default,
or `alphabetical`) and `withdrawn:`, the signatories who asked to be taken off:
each a name and a date, with an optional type and note. A withdrawal is kept in
the file, never printed, so that nobody adds the name back by mistake.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .calendar_dates import is_calendar_date
from .diagnostics import Diagnostic, error
from .names import filing_name
from .source_text import read_source
from .yaml_nodes import compose_yaml, mapping_items, position, scalar_text

Kind = Literal["organization", "individual"]
Order = Literal["as-listed", "alphabetical"]
ORDERS: tuple[Order, ...] = ("as-listed", "alphabetical")
WITHDRAWN = "withdrawn"
WITHDRAWAL_FIELDS = ("name", "date", "type", "note")

# The two lists, in the order the document prints them.
SECTIONS: dict[str, Kind] = {"organizations": "organization", "individuals": "individual"}
# A hundred times the largest open declaration we know of; past it, the build
# would take minutes and a gigabyte or more, so it is refused at once.
MAX_SIGNATORIES = 200_000
OPTIONAL_FIELDS: dict[Kind, tuple[str, ...]] = {
    "organization": ("country",),
    "individual": ("country", "affiliation"),
}


@dataclass(frozen=True)
class Signatory:
    name: str
    kind: Kind
    line: int
    col: int
    country: str | None = None
    affiliation: str | None = None

    @property
    def details(self) -> str:
        """What is printed after the name, in parentheses: "University of Lisbon, Portugal"."""
        return ", ".join(filter(None, (self.affiliation, self.country)))

    @property
    def display(self) -> str:
        return f"{self.name} ({self.details})" if self.details else self.name


@dataclass(frozen=True)
class Withdrawal:
    """A signatory who asked to be taken off: never printed, and refused if listed again."""

    name: str
    date: str
    line: int
    col: int
    kind: Kind | None = None
    note: str | None = None


@dataclass(frozen=True)
class SignatoryFile:
    """Everything signatories.yaml says."""

    signatories: tuple[Signatory, ...] = ()
    withdrawn: tuple[Withdrawal, ...] = ()
    order: Order = "as-listed"


def load_signatories(path: Path, display_path: str) -> tuple[list[Signatory], list[Diagnostic]]:
    loaded, diagnostics = load_signatory_file(path, display_path)
    return list(loaded.signatories), diagnostics


def load_signatory_file(path: Path, display_path: str) -> tuple[SignatoryFile, list[Diagnostic]]:
    source, diagnostics = read_source(path, display_path)
    if source is None:
        return SignatoryFile(), diagnostics
    return parse_signatory_file(source.text, display_path)


def parse_signatories(text: str, display_path: str) -> tuple[list[Signatory], list[Diagnostic]]:
    loaded, diagnostics = parse_signatory_file(text, display_path)
    return list(loaded.signatories), diagnostics


def parse_signatory_file(text: str, display_path: str) -> tuple[SignatoryFile, list[Diagnostic]]:
    # Every entry starts a line with "-": count them before building any node.
    entries = text.count("\n-") + text.count("\n  -") + text.startswith("-")
    if entries > MAX_SIGNATORIES:
        return SignatoryFile(), [
            error(
                display_path,
                1,
                1,
                "signatories-too-many",
                f"about {entries:,} entries; the limit is {MAX_SIGNATORIES:,} signatories",
            )
        ]
    root, diagnostics = compose_yaml(text, display_path)
    if root is None:
        return SignatoryFile(), diagnostics
    if not isinstance(root, MappingNode):
        line, col = position(root)
        return SignatoryFile(), [
            error(
                display_path,
                line,
                col,
                "schema-type",
                "expected a mapping with the lists organizations: and individuals:",
            )
        ]
    items, diagnostics = mapping_items(root, display_path)
    signatories: list[Signatory] = []
    withdrawn: list[Withdrawal] = []
    order: Order = "as-listed"
    for key, value in items:
        if key.value == "order":
            order, problems = _order(value, display_path)
            diagnostics += problems
            continue
        if key.value == WITHDRAWN:
            withdrawn, problems = _withdrawals(value, display_path)
            diagnostics += problems
            continue
        kind = SECTIONS.get(key.value)
        if kind is None:
            line, col = position(key)
            known = ", ".join(f"{name}:" for name in (*SECTIONS, WITHDRAWN, "order"))
            diagnostics.append(
                error(display_path, line, col, "schema-unknown-key", f'unknown key "{key.value}"; expected {known}')
            )
            continue
        if isinstance(value, SequenceNode):
            for item in value.value:
                signatory, problems = _signatory(item, kind, display_path)
                diagnostics += problems
                if signatory is not None:
                    signatories.append(signatory)
        elif not (value.tag.endswith(":null")):
            line, col = position(value)
            diagnostics.append(error(display_path, line, col, "schema-type", f"{key.value}: must be a list"))
    return SignatoryFile(tuple(signatories), tuple(withdrawn), order), diagnostics


def _order(node: Node, display_path: str) -> tuple[Order, list[Diagnostic]]:
    text, problems = scalar_text(node, display_path, "order")
    for order in ORDERS:
        if text == order:
            return order, problems
    if not problems:
        line, col = position(node)
        problems.append(
            error(display_path, line, col, "schema-order", f'order: "{text}" is not one of {", ".join(ORDERS)}')
        )
    return "as-listed", problems


def _withdrawals(node: Node, display_path: str) -> tuple[list[Withdrawal], list[Diagnostic]]:
    if node.tag.endswith(":null"):
        return [], []
    if not isinstance(node, SequenceNode):
        line, col = position(node)
        return [], [error(display_path, line, col, "schema-type", "withdrawn: must be a list")]
    withdrawn: list[Withdrawal] = []
    problems: list[Diagnostic] = []
    for item in node.value:
        withdrawal, more = _withdrawal(item, display_path)
        problems += more
        if withdrawal is not None:
            withdrawn.append(withdrawal)
    return withdrawn, problems


def _withdrawal(node: Node, display_path: str) -> tuple[Withdrawal | None, list[Diagnostic]]:
    line, col = position(node)
    if not isinstance(node, MappingNode):
        return None, [
            error(display_path, line, col, "schema-type", "a withdrawal is a mapping with name: and date: (YYYY-MM-DD)")
        ]
    items, problems = mapping_items(node, display_path)
    fields: dict[str, str] = {}
    for key, value in items:
        if key.value not in WITHDRAWAL_FIELDS:
            key_line, key_col = position(key)
            allowed = ", ".join(WITHDRAWAL_FIELDS)
            problems.append(
                error(
                    display_path,
                    key_line,
                    key_col,
                    "schema-unknown-key",
                    f'unknown key "{key.value}" for a withdrawal; allowed: {allowed}',
                )
            )
        elif key.value == "date":
            text, more = _date_text(value, display_path)
            problems += more
            if text is not None:
                fields["date"] = text
        else:
            text, more = scalar_text(value, display_path, key.value)
            problems += more
            if text is not None:
                fields[key.value] = " ".join(text.split())
            if key.value == "name":
                line, col = position(value)
            if key.value == "type" and text is not None and text not in SECTIONS.values():
                type_line, type_col = position(value)
                problems.append(
                    error(display_path, type_line, type_col, "schema-type", 'type: is "organization" or "individual"')
                )
    if not fields.get("name"):
        if not problems:
            problems.append(error(display_path, line, col, "schema-missing-name", "withdrawal has no name:"))
        return None, problems
    if "date" not in fields:
        if not problems:
            problems.append(
                error(
                    display_path,
                    line,
                    col,
                    "withdrawal-date",
                    "withdrawal has no date: (YYYY-MM-DD, when it was asked)",
                )
            )
        return None, problems
    kind = next((k for k in SECTIONS.values() if k == fields.get("type")), None)
    return Withdrawal(fields["name"], fields["date"], line, col, kind, fields.get("note")), problems


def _date_text(node: Node, display_path: str) -> tuple[str | None, list[Diagnostic]]:
    """A date as YAML reads it unquoted (2025-03-14) or quoted; always a real calendar day."""
    line, col = position(node)
    if isinstance(node, ScalarNode) and node.tag.endswith((":timestamp", ":str")):
        text = node.value.strip()
        if is_calendar_date(text):
            return text, []
    return None, [error(display_path, line, col, "withdrawal-date", "date: must be a day written YYYY-MM-DD")]


# A leading "The" does not decide where a name is filed: "The Salvation Army" is under S.


@cache
def _collator():  # type: ignore[no-untyped-def]
    """pyuca's Unicode Collation Algorithm with the DUCET 10.0 table it ships (pure Python, same order everywhere)."""
    from pyuca.collator import Collator_10_0_0

    return Collator_10_0_0()


def collation_key(name: str) -> tuple[tuple[int, ...], str]:
    """Where a name is filed in UCA order; ties broken by the text itself.

    The same key as pyuca's `sort_key`, built faster for long lists: a name's
    collation elements are those of its words and spaces in turn (no contraction
    crosses a space), so each level of the key is its words' weights at that
    level, joined; words repeat ("Foundation", "International"), and each is
    weighed once.
    """
    parts = [_level_weights(part) for part in _words_and_spaces(unicodedata.normalize("NFD", name))]
    key: list[int] = []
    for level in range(UCA_LEVELS):
        if level:
            key.append(0)  # pyuca's level separator
        for weights in parts:
            key += weights[level]
    return tuple(key), name


UCA_LEVELS = 4


def _words_and_spaces(text: str) -> list[str]:
    parts: list[str] = []
    for part in re.split(r"( )", text):
        if parts and part and unicodedata.combining(part[0]):
            parts[-1] += part  # a mark after a space belongs with it
        elif part:
            parts.append(part)
    return parts


@cache
def _level_weights(part: str) -> tuple[tuple[int, ...], ...]:
    """The non-zero weights of a word's collation elements, level by level."""
    elements = _collator().collation_elements(part)
    return tuple(
        tuple(element[level] for element in elements if len(element) > level and element[level])
        for level in range(UCA_LEVELS)
    )


def in_print_order(signatories: tuple[Signatory, ...], order: Order) -> tuple[Signatory, ...]:
    """The signatories in the order the document prints them (each list sorted on its own)."""
    if order == "as-listed":
        return signatories
    return tuple(
        sorted(
            signatories,
            key=lambda s: (collation_key(filing_name(s.name, s.kind == "individual")), s.name, s.details),
        )
    )


def _signatory(node: Node, kind: Kind, display_path: str) -> tuple[Signatory | None, list[Diagnostic]]:
    line, col = position(node)
    if not isinstance(node, MappingNode):
        name, problems = scalar_text(node, display_path, f"an {kind}'s name")
        return _named(name, kind, line, col, {}, display_path, problems)
    items, problems = mapping_items(node, display_path)
    fields: dict[str, str] = {}
    name: str | None = None
    for key, value in items:
        if key.value == "name":
            name, more = scalar_text(value, display_path, "name")
            problems += more
            line, col = position(value)
        elif key.value in OPTIONAL_FIELDS[kind]:
            text, more = scalar_text(value, display_path, key.value)
            problems += more
            if text is not None:
                fields[key.value] = text.strip()
        else:
            key_line, key_col = position(key)
            allowed = ", ".join(("name",) + OPTIONAL_FIELDS[kind])
            problems.append(
                error(
                    display_path,
                    key_line,
                    key_col,
                    "schema-unknown-key",
                    f'unknown key "{key.value}" for an {kind}; allowed: {allowed}',
                )
            )
    if name is None and not any(d.code == "schema-type" for d in problems):
        problems.append(error(display_path, line, col, "schema-missing-name", "entry has no name:"))
        return None, problems
    return _named(name, kind, line, col, fields, display_path, problems)


def _named(
    name: str | None,
    kind: Kind,
    line: int,
    col: int,
    fields: dict[str, str],
    display_path: str,
    problems: list[Diagnostic],
) -> tuple[Signatory | None, list[Diagnostic]]:
    if name is None:
        return None, problems
    name = " ".join(name.split())
    if not name:
        problems.append(error(display_path, line, col, "schema-empty-name", "name is empty"))
        return None, problems
    return Signatory(name, kind, line, col, fields.get("country"), fields.get("affiliation")), problems
