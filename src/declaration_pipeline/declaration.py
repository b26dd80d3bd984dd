"""Loading declaration.md: its front matter, with positions, and pandoc's AST."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from yaml.nodes import MappingNode

from . import pandoc
from .diagnostics import Diagnostic, error
from .source_text import read_source
from .yaml_nodes import compose_yaml, mapping_items, position, scalar_text

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


@dataclass(frozen=True)
class FrontMatterKey:
    key: str
    line: int
    col: int


@dataclass(frozen=True)
class Declaration:
    display_path: str
    text: str
    front_matter: tuple[FrontMatterKey, ...]
    # pandoc's JSON AST of the whole file; treat as read-only.
    ast: dict = field(compare=False, repr=False)


def load_declaration(path: Path, display_path: str) -> tuple[Declaration | None, list[Diagnostic]]:
    source, diagnostics = read_source(path, display_path)
    if source is None:
        return None, diagnostics
    return parse_declaration(source.text, display_path)


def parse_declaration(text: str, display_path: str) -> tuple[Declaration | None, list[Diagnostic]]:
    keys, diagnostics = _front_matter_keys(text, display_path)
    if keys is None:
        return None, diagnostics
    ast = pandoc.markdown_to_ast(text, display_path)
    return Declaration(display_path, text, keys, ast), diagnostics


def _front_matter_keys(text: str, display_path: str) -> tuple[tuple[FrontMatterKey, ...] | None, list[Diagnostic]]:
    match = _FRONT_MATTER.match(text)
    if match is None:
        return None, [
            error(
                display_path,
                1,
                1,
                "frontmatter-missing",
                "the file must start with YAML front matter between --- lines, with at least a title:",
            )
        ]
    node, diagnostics = compose_yaml(match.group(1) or "", display_path, line_offset=1)
    if diagnostics:
        return None, diagnostics
    if not isinstance(node, MappingNode):
        line, col = position(node, 1) if node is not None else (1, 1)
        return None, [error(display_path, line, col, "frontmatter-type", "front matter must be a mapping of keys")]
    items, diagnostics = mapping_items(node, display_path, line_offset=1)
    keys = []
    title_found = False
    for key, value in items:
        line, col = position(key, 1)
        keys.append(FrontMatterKey(key.value, line, col))
        if key.value in ("title", "subtitle", "date", "lang"):
            text_value, problems = scalar_text(value, display_path, key.value, line_offset=1)
            if key.value == "date" and problems:
                problems = []  # a YAML date is fine; pandoc prints it as written
            diagnostics += problems
            if key.value == "title" and text_value is not None:
                if text_value.strip():
                    title_found = True
                else:
                    diagnostics.append(error(display_path, line, col, "frontmatter-title-missing", "title is empty"))
                    title_found = True
    if not title_found and not any(d.code == "schema-type" for d in diagnostics):
        diagnostics.append(error(display_path, 1, 1, "frontmatter-title-missing", "front matter has no title:"))
    if any(d.severity == "error" for d in diagnostics):
        return None, diagnostics
    return tuple(keys), diagnostics
