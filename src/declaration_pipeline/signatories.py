"""Loading signatories.yaml into frozen `Signatory` records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from yaml.nodes import MappingNode, Node, SequenceNode

from .diagnostics import Diagnostic, error
from .source_text import read_source
from .yaml_nodes import compose_yaml, mapping_items, position, scalar_text

Kind = Literal["organization", "individual"]

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


def load_signatories(path: Path, display_path: str) -> tuple[list[Signatory], list[Diagnostic]]:
    source, diagnostics = read_source(path, display_path)
    if source is None:
        return [], diagnostics
    return parse_signatories(source.text, display_path)


def parse_signatories(text: str, display_path: str) -> tuple[list[Signatory], list[Diagnostic]]:
    # Every entry starts a line with "-": count them before building any node.
    entries = text.count("\n-") + text.count("\n  -") + text.startswith("-")
    if entries > MAX_SIGNATORIES:
        return [], [
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
        return [], diagnostics
    if not isinstance(root, MappingNode):
        line, col = position(root)
        return [], [
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
    for key, value in items:
        kind = SECTIONS.get(key.value)
        if kind is None:
            line, col = position(key)
            known = " and ".join(f"{name}:" for name in SECTIONS)
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
    return signatories, diagnostics


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
