"""Loading declaration.md: its front matter, with positions, and pandoc's AST.

`<!-- ... -->` is an editor's note: pandoc's reader finds the comments (it
reads raw HTML for that alone), the loader drops them, and every other piece
of HTML pandoc found goes back into the text as written. The AST that checks,
assembly and every writer see has no comment and no raw HTML in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from yaml.nodes import MappingNode

from . import pandoc
from . import pandoc_ast as ast
from .diagnostics import Diagnostic, error
from .source_text import read_source
from .yaml_nodes import compose_yaml, mapping_items, position, scalar_text

# A footnote mark as written: an optional escaping backslash, the label, and ":" for a definition.
NOTE_MARK = re.compile(r"(\\?)\[\^([^\]\s]+)\](:?)")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)


@dataclass(frozen=True)
class FrontMatterKey:
    key: str
    line: int
    col: int


@dataclass(frozen=True)
class ReaderMessage:
    """One entry of pandoc's reader log, such as a note defined but never used."""

    kind: str
    subject: str
    line: int
    col: int


@dataclass(frozen=True)
class Declaration:
    display_path: str
    text: str
    front_matter: tuple[FrontMatterKey, ...]
    # pandoc's JSON AST of the whole file, comments removed; treat as read-only.
    ast: dict = field(compare=False, repr=False)
    reader_messages: tuple[ReaderMessage, ...] = ()


def load_declaration(path: Path, display_path: str) -> tuple[Declaration | None, list[Diagnostic]]:
    source, diagnostics = read_source(path, display_path)
    if source is None:
        return None, diagnostics
    return parse_declaration(source.text, display_path)


def parse_declaration(text: str, display_path: str) -> tuple[Declaration | None, list[Diagnostic]]:
    keys, diagnostics = _front_matter_keys(text, display_path)
    if keys is None:
        return None, diagnostics
    document, log = pandoc.read_markdown(text, display_path)
    messages = tuple(
        ReaderMessage(entry["type"], entry.get("key") or entry.get("contents") or "", entry["line"], entry["column"])
        for entry in log
        if isinstance(entry.get("line"), int) and isinstance(entry.get("column"), int)
    )
    return Declaration(display_path, text, keys, without_html(document), messages), diagnostics


def is_comment(raw: ast.Node) -> bool:
    return raw["c"][0] == "html" and raw["c"][1].startswith("<!--")


def without_html(document: dict) -> dict:
    """The document with HTML comments removed and any other raw HTML turned back into text."""
    return {**document, "meta": _text_for_raw(document["meta"])[0], "blocks": _text_for_raw(document["blocks"])[0]}


def _text_for_raw(value: Any) -> tuple[Any, bool]:
    """`value` with its raw HTML handled, and whether anything in it was removed (only then are spaces tidied).

    What holds no raw HTML is returned as it is, not copied: most documents have none, and rebuilding
    every node took longer than pandoc's answer took to read (12 ms against 3 at the repository's size).
    """
    if isinstance(value, dict):
        # Str, Space and the like. A node's "t" is text; a front-matter mapping (the meta, a MetaMap's
        # contents) maps its keys, "t" may be one, to nodes.
        if isinstance(value.get("t"), str) and not isinstance(value.get("c"), list | dict):
            return value, False
        rebuilt, removed = None, False
        for key, item in value.items():
            new, removed_below = _text_for_raw(item)
            removed = removed or removed_below
            if new is not item:
                rebuilt = rebuilt or dict(value)
                rebuilt[key] = new
        return (value if rebuilt is None else rebuilt), removed
    if not isinstance(value, list):
        return value, False
    out: list | None = None  # a new list, from the first item that changed
    removed = False
    for index, item in enumerate(value):
        if _kind(item) in ("RawInline", "RawBlock"):
            out = value[:index] if out is None else out
            if is_comment(item):
                removed = True
            else:
                out += _as_text(item)
            continue
        new, removed_below = _text_for_raw(item)
        removed = removed or removed_below
        if new is not item and out is None:
            out = value[:index]
        if out is not None:
            out.append(new)
    if out is None:
        return value, False
    return (_tidy_spaces(out) if removed else out), removed


def _kind(value: Any) -> str | None:
    return value.get("t") if isinstance(value, dict) else None


def _as_text(raw: ast.Node) -> list[ast.Node]:
    inlines: list[ast.Node] = []
    for number, line in enumerate(raw["c"][1].split("\n")):
        if number:
            inlines.append({"t": "SoftBreak"})
        inlines += ast.text_inlines(line)
    return [ast.para(inlines)] if raw["t"] == "RawBlock" else inlines


_SPACES = ("Space", "SoftBreak")


def _tidy_spaces(items: list) -> list:
    """No doubled, leading or trailing space where a comment was, and no paragraph left empty."""
    tidy: list = []
    for item in items:
        kind = _kind(item)
        if kind in _SPACES and (not tidy or _kind(tidy[-1]) in _SPACES):
            continue
        if kind in ("Para", "Plain") and not item["c"]:
            continue
        tidy.append(item)
    while tidy and _kind(tidy[-1]) in _SPACES:
        tidy.pop()
    return tidy


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
