"""Small, pure helpers for pandoc's JSON AST (API 1.23).

Nodes are plain dicts as pandoc emits them: {"t": type, "c": content}.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

Node = dict[str, Any]
NO_ATTR: list = ["", [], []]


def attr(identifier: str = "", classes: tuple[str, ...] = (), **attributes: str) -> list:
    return [identifier, list(classes), [[key.replace("_", "-"), value] for key, value in attributes.items()]]


def text_inlines(text: str) -> list[Node]:
    """Literal text as Str and Space nodes (one Space for a run of spaces): nothing in it is read as markup."""
    inlines: list[Node] = []
    for index, word in enumerate(text.split(" ")):
        if index and (not inlines or inlines[-1]["t"] != "Space"):
            inlines.append({"t": "Space"})
        if word:
            inlines.append({"t": "Str", "c": word})
    return inlines


def merge_inlines(inlines: list[Node]) -> list[Node]:
    """Whole words in one Str (so writers see whole words), one Space between them, none at the ends."""
    merged: list[Node] = []
    for inline in inlines:
        if inline["t"] == "Str" and merged and merged[-1]["t"] == "Str":
            merged[-1] = {"t": "Str", "c": merged[-1]["c"] + inline["c"]}
        elif inline["t"] == "Space" and (not merged or merged[-1]["t"] == "Space"):
            continue
        else:
            merged.append(inline)
    while merged and merged[-1]["t"] == "Space":
        merged.pop()
    return merged


def plain(inlines: list[Node]) -> Node:
    return {"t": "Plain", "c": inlines}


def para(inlines: list[Node]) -> Node:
    return {"t": "Para", "c": inlines}


def header(level: int, identifier: str, text: str) -> Node:
    return {"t": "Header", "c": [level, attr(identifier), text_inlines(text)]}


def div(blocks: list[Node], identifier: str = "", classes: tuple[str, ...] = (), **attributes: str) -> Node:
    return {"t": "Div", "c": [attr(identifier, classes, **attributes), blocks]}


def span(inlines: list[Node], identifier: str = "", classes: tuple[str, ...] = ()) -> Node:
    return {"t": "Span", "c": [attr(identifier, classes), inlines]}


def bullet_list(items: list[list[Node]]) -> Node:
    return {"t": "BulletList", "c": items}


def link(inlines: list[Node], target: str) -> Node:
    return {"t": "Link", "c": [NO_ATTR, inlines, [target, ""]]}


def emph(inlines: list[Node]) -> Node:
    return {"t": "Emph", "c": inlines}


def raw_block(fmt: str, text: str) -> Node:
    return {"t": "RawBlock", "c": [fmt, text]}


def walk(value: Any) -> Iterator[Node]:
    """Every node below `value`, depth first, in document order."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, dict):
            if "t" in current:
                yield current
            children = current.get("c")
            if children is not None:
                stack.append(children)
        elif isinstance(current, list):
            stack.extend(reversed(current))


def replace_inlines(value: Any, replace: Callable[[Node, bool], list[Node] | None], in_note: bool = False) -> Any:
    """Rebuild `value`, letting `replace(node, in_note)` swap an inline for a list of inlines.

    `in_note` tells whether the node stands inside a footnote.
    """
    if isinstance(value, list):
        out: list = []
        for item in value:
            if isinstance(item, dict) and "t" in item:
                replacement = replace(item, in_note)
                if replacement is not None:
                    out.extend(replacement)
                    continue
            out.append(replace_inlines(item, replace, in_note))
        return out
    if isinstance(value, dict) and "c" in value:
        return {**value, "c": replace_inlines(value["c"], replace, in_note or value.get("t") == "Note")}
    return value


def stringify(value: Any, math: str | None = None) -> str:
    """The text of a node or list of nodes, as a reader would see it; each formula as `math`, if given."""
    parts: list[str] = []
    _stringify(value, parts, math)
    return "".join(parts)


def _stringify(value: Any, parts: list[str], math: str | None = None) -> None:
    if isinstance(value, list):
        for item in value:
            _stringify(item, parts, math)
        return
    if not isinstance(value, dict):
        return
    kind = value.get("t")
    content = value.get("c")
    if kind == "Str":
        parts.append(content)
    elif kind in ("Space", "SoftBreak", "LineBreak"):
        parts.append(" ")
    elif kind == "Math" and math is not None:
        parts.append(math)
    elif kind in ("Code", "Math", "RawInline"):
        parts.append(content[1])
    elif kind == "CodeBlock":
        parts.append("\n" + content[1] + "\n")
    elif kind == "Quoted":
        left, right = ("“", "”") if content[0]["t"] == "DoubleQuote" else ("‘", "’")
        parts.append(left)
        _stringify(content[1], parts, math)
        parts.append(right)
    elif kind in ("Note", "RawBlock"):
        return
    elif kind in ("Link", "Image", "Span", "Div", "Cite"):
        _stringify(content[1], parts, math)
    elif kind == "Header":
        _stringify(content[2], parts, math)
    else:
        _stringify(content, parts, math)


def meta_text(meta: dict, key: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if value["t"] == "MetaString":
        return value["c"]
    if value["t"] in ("MetaInlines", "MetaBlocks"):
        return stringify(value["c"])
    if value["t"] == "MetaList":
        return ", ".join(stringify(item["c"]) for item in value["c"])
    return None


def split_after_text(inlines: list[Node], text: str) -> tuple[list[Node], list[Node]] | None:
    """(the inlines that spell `text`, the rest without its leading space), or None if they do not start with it."""
    spelled = ""
    for index, node in enumerate(inlines):
        if spelled == text:
            rest = inlines[index:]
            return inlines[:index], rest[1:] if rest and rest[0]["t"] == "Space" else rest
        if node["t"] not in ("Str", "Space") or not text.startswith(spelled):
            return None
        spelled += node["c"] if node["t"] == "Str" else " "
    return (inlines, []) if spelled == text else None
