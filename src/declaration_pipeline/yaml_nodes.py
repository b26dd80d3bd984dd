"""YAML composed into nodes that remember where they stand in the file.

Both the front matter and signatories.yaml are read through `compose_yaml`.
It works on PyYAML's node graph rather than on constructed Python values, so
that every value keeps its line and column, a quoted "no" stays text, and a
name that YAML would read as a number or a boolean can be reported instead of
silently converted.

Aliases are refused outright: the declaration has no use for them, and
refusing them removes the "billion laughs" expansion attack. Nesting depth is
bounded for the same reason. Both are checked on the event stream before
anything is composed.
"""

from __future__ import annotations

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent, CollectionEndEvent, CollectionStartEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import Resolver
from yaml.scanner import Scanner

from .diagnostics import Diagnostic, error

MAX_NESTING = 20

STR_TAG = "tag:yaml.org,2002:str"
_TYPE_NAMES = {
    "tag:yaml.org,2002:bool": "a boolean",
    "tag:yaml.org,2002:int": "a number",
    "tag:yaml.org,2002:float": "a number",
    "tag:yaml.org,2002:null": "nothing (null)",
    "tag:yaml.org,2002:timestamp": "a date",
}


class _Refused(Exception):
    def __init__(self, mark: yaml.Mark, code: str, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.code = code
        self.message = message


if yaml.__with_libyaml__:  # PyYAML's C parser: ten times faster on a 100,000-name list
    from yaml.cyaml import CParser as _Parser

    class _Loader(_Parser, Resolver):  # type: ignore[misc, valid-type]
        def __init__(self, text: str) -> None:
            _Parser.__init__(self, text)
            Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml

    class _Loader(Reader, Scanner, Parser, Composer, Resolver):  # type: ignore[no-redef]
        def __init__(self, text: str) -> None:
            Reader.__init__(self, text)
            Scanner.__init__(self)
            Parser.__init__(self)
            Composer.__init__(self)
            Resolver.__init__(self)


def _refuse_aliases_and_deep_nesting(text: str) -> None:
    """A first pass over the event stream, before anything is composed."""
    events = _Loader(text)
    depth = 0
    try:
        while events.check_event():
            event = events.get_event()
            if isinstance(event, AliasEvent):
                raise _Refused(
                    event.start_mark, "yaml-alias", "YAML aliases (*name) are not allowed here; write the value out"
                )
            if getattr(event, "anchor", None) is not None:
                raise _Refused(
                    event.start_mark, "yaml-alias", "YAML anchors (&name) are not allowed here; write the value out"
                )
            if isinstance(event, CollectionStartEvent):
                depth += 1
                if depth > MAX_NESTING:
                    raise _Refused(
                        event.start_mark, "yaml-too-deep", f"structure nested more than {MAX_NESTING} levels deep"
                    )
            elif isinstance(event, CollectionEndEvent):
                depth -= 1
    finally:
        events.dispose()


def compose_yaml(text: str, display_path: str, line_offset: int = 0) -> tuple[Node | None, list[Diagnostic]]:
    """Compose one YAML document. `line_offset` shifts positions for embedded YAML."""
    try:
        _refuse_aliases_and_deep_nesting(text)
        loader = _Loader(text)
        try:
            return loader.get_single_node(), []
        finally:
            loader.dispose()
    except _Refused as refused:
        return None, [_at_mark(display_path, refused.mark, line_offset, refused.code, refused.message)]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        if "\t" in problem or "'\\t'" in problem or "tab character" in problem:
            problem += "; indent with spaces, not tabs"
        return None, [_at_mark(display_path, mark, line_offset, "yaml-syntax", problem)]
    except yaml.YAMLError as exc:
        return None, [error(display_path, 1 + line_offset, 1, "yaml-syntax", str(exc))]


def _at_mark(path: str, mark: yaml.Mark | None, line_offset: int, code: str, message: str) -> Diagnostic:
    line = (mark.line + 1 if mark else 1) + line_offset
    col = mark.column + 1 if mark else 1
    return error(path, line, col, code, message)


def position(node: Node, line_offset: int = 0) -> tuple[int, int]:
    return node.start_mark.line + 1 + line_offset, node.start_mark.column + 1


def mapping_items(
    node: MappingNode, display_path: str, line_offset: int = 0
) -> tuple[list[tuple[ScalarNode, Node]], list[Diagnostic]]:
    """A mapping's (key, value) pairs, with duplicate and non-text keys reported."""
    items: list[tuple[ScalarNode, Node]] = []
    diagnostics: list[Diagnostic] = []
    first_line: dict[str, int] = {}
    for key, value in node.value:
        line, col = position(key, line_offset)
        if not isinstance(key, ScalarNode):
            diagnostics.append(error(display_path, line, col, "yaml-key", "a key must be plain text"))
            continue
        if key.value in first_line:
            diagnostics.append(
                error(
                    display_path,
                    line,
                    col,
                    "yaml-duplicate-key",
                    f'key "{key.value}" appears twice (first at line {first_line[key.value]})',
                )
            )
            continue
        first_line[key.value] = line
        items.append((key, value))
    return items, diagnostics


def scalar_text(node: Node, display_path: str, what: str, line_offset: int = 0) -> tuple[str | None, list[Diagnostic]]:
    """The node as text, or a diagnostic when it is a list, mapping, number, boolean or date."""
    line, col = position(node, line_offset)
    if isinstance(node, SequenceNode | MappingNode):
        kind = "a list" if isinstance(node, SequenceNode) else "a mapping"
        return None, [error(display_path, line, col, "schema-type", f"{what} must be text, not {kind}")]
    assert isinstance(node, ScalarNode)
    if node.tag != STR_TAG:
        type_name = _TYPE_NAMES.get(node.tag, node.tag)
        return None, [
            error(
                display_path,
                line,
                col,
                "schema-type",
                f"{what} must be text, but YAML reads {node.value!r} as {type_name}; put it in quotes",
            )
        ]
    return node.value, []
