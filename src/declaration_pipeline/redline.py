"""What changed between two assembled documents, as one marked document.

Pure: two pandoc documents in, one pandoc document and a list of changes out.
Blocks are aligned first (difflib on whole blocks, then, within each changed
stretch, the closest pairs of the same kind), then words within each pair;
footnotes, list items (the signatories) and annex entries are aligned the same
way, one level down. What is equal is left unmarked. A signatory is the same
signatory when its name keeps its identity key (the duplicate check's rule), so
a country or affiliation added marks only the details. Other items are paired
by similarity, so a rename is marked word by word or, if little is left of the
old name, as one signatory deleted and another inserted.

The marks are pandoc's own convention for tracked changes, which its DOCX
writer turns into w:ins and w:del: a Span of class "insertion" or "deletion"
with `author` and `date`. Every changed paragraph also starts with an empty
Span whose id anchors links to it and whose class says how it changed
(CHANGED, INSERTED or DELETED); the writers' edges (redline_outputs.py) turn it
into a tracked paragraph mark, a change bar, or nothing.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from difflib import SequenceMatcher
from typing import Any, Literal

from rapidfuzz import fuzz

from . import pandoc_ast as ast
from .assembled_document import SIGNATORY_NAME
from .names import identity_key
from .sigdiff import RENAME_SCORE

INSERTION, DELETION = "insertion", "deletion"
CHANGED, INSERTED, DELETED = "paragraph-changed", "paragraph-inserted", "paragraph-deleted"
MARKER_CLASSES = (CHANGED, INSERTED, DELETED)
# Two blocks of the same kind are the same paragraph edited when their texts are
# this similar (rapidfuzz ratio, 0-100). Short texts (a name, a heading) must be
# as close as a signatory rename; a paragraph may have lost a sentence or two.
PARAGRAPH_SCORE = 50
SHORT_WORDS = 6
# Past this many block pairs in one changed stretch, blocks are paired by position only.
MAX_PAIRINGS = 40_000
# The front-matter fields the writers print; other metadata is taken from the new version.
PRINTED_META = ("title", "subtitle", "author", "date")
_WRAPPERS = ("Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps")

Part = Literal["front matter", "body", "footnote", "signatories", "annex"]


@dataclass(frozen=True)
class Change:
    """One changed paragraph: where it is, how it changed, and the marked paragraph itself."""

    kind: str  # CHANGED, INSERTED or DELETED
    anchor: str  # the id of its marker span
    part: Part
    section_id: str  # the heading it stands under ("" before the first)
    section_title: str
    inlines: list  # the paragraph's marked words, marker first


@dataclass(frozen=True)
class Redline:
    document: dict
    changes: tuple[Change, ...]
    words_inserted: int
    words_deleted: int
    author: str  # of every mark
    date: str  # ISO 8601, of every mark


def redline_documents(old: dict, new: dict, author: str, date: str) -> Redline:
    """The new document with every difference from the old one marked, and the list of changes."""
    differ = _Differ(author, date, _identifiers(old), _identifiers(new))
    meta = dict(new["meta"])
    for key in PRINTED_META:
        if key in old["meta"] and key in new["meta"]:
            meta[key] = differ.meta_value(old["meta"][key], new["meta"][key])
    differ.section = ("", "")
    blocks = differ.blocks(old["blocks"], new["blocks"])
    document = {"pandoc-api-version": new["pandoc-api-version"], "meta": meta, "blocks": blocks}
    return Redline(document, tuple(differ.changes), differ.words[INSERTION], differ.words[DELETION], author, date)


def marks_author_and_date(new: dict, author: str | None) -> tuple[str, str]:
    """Who and when the marks say: `author` if set, else the declaration's author; the new version's date.

    Never the machine's user or "unknown": a declaration without an author gets "Declaration editors".
    """
    author = (author or "").strip() or ast.meta_text(new["meta"], "author") or "Declaration editors"
    epoch = int(ast.meta_text(new["meta"], "source-date-epoch") or 0)
    return author, datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def reading(document: dict, version: Literal["old", "new"]) -> dict:
    """One reading of a marked document: "new" accepts every change, "old" rejects every change.

    The inverse of `redline_documents` (the tests hold it to that): markers go,
    the other side's spans and whole paragraphs go, this side's spans are unwrapped.
    """
    drop, keep = (DELETION, INSERTION) if version == "new" else (INSERTION, DELETION)
    gone = DELETED if version == "new" else INSERTED

    def inlines(nodes: list) -> list:
        out: list = []
        for node in nodes:
            classes = node["c"][0][1] if node["t"] == "Span" else []
            if drop in classes or any(marker in classes for marker in MARKER_CLASSES):
                continue
            if keep in classes:
                out += inlines(node["c"][1])
            else:
                out.append(_map_children(node, inlines, blocks))
        return out

    def blocks(nodes: list) -> list:
        return [_map_children(node, inlines, blocks) for node in nodes if not _is_gone(node, gone)]

    meta = {key: _map_meta(value, inlines) for key, value in document["meta"].items()}
    return {**document, "meta": meta, "blocks": blocks(document["blocks"])}


def _is_gone(block: ast.Node, marker: str) -> bool:
    """A paragraph that starts with `marker`, or a container with nothing but such paragraphs (and layout)."""
    inlines = _leaf_inlines(block)
    if inlines is not None:
        return bool(inlines) and inlines[0]["t"] == "Span" and marker in inlines[0]["c"][0][1]
    kind, content = block["t"], block.get("c")
    if kind in ("Div", "BlockQuote"):
        children = [b for b in (content[1] if kind == "Div" else content) if b["t"] != "RawBlock"]
        return bool(children) and all(_is_gone(b, marker) for b in children)
    if kind in ("BulletList", "OrderedList"):
        items = content if kind == "BulletList" else content[1]
        return bool(items) and all(_is_gone({"t": "BlockQuote", "c": item}, marker) for item in items)
    return False


def _leaf_inlines(block: ast.Node) -> list | None:
    if block["t"] in ("Para", "Plain"):
        return block["c"]
    if block["t"] == "Header":
        return block["c"][2]
    return None


def _map_children(node: ast.Node, inlines: Callable, blocks: Callable) -> ast.Node:
    """`node` with its inline children passed through `inlines` and its block children through `blocks`."""
    kind, content = node["t"], node.get("c")
    if kind in ("Para", "Plain", *_WRAPPERS):
        return {"t": kind, "c": inlines(content)}
    if kind == "Header":
        return {"t": kind, "c": [content[0], content[1], inlines(content[2])]}
    if kind in ("Span", "Quoted"):
        return {"t": kind, "c": [content[0], inlines(content[1])]}
    if kind == "Link":
        return {"t": kind, "c": [content[0], inlines(content[1]), content[2]]}
    if kind == "Note" or kind == "BlockQuote":
        return {"t": kind, "c": blocks(content)}
    if kind == "Div":
        return {"t": kind, "c": [content[0], blocks(content[1])]}
    if kind == "BulletList":
        return {"t": kind, "c": _items_kept(content, blocks)}
    if kind == "OrderedList":
        return {"t": kind, "c": [content[0], _items_kept(content[1], blocks)]}
    return node


def _items_kept(items: list[list], blocks: Callable) -> list[list]:
    """List items through `blocks`; an item left with no block (a signatory gone in this reading) goes too."""
    mapped = [(item, blocks(item)) for item in items]
    return [kept for item, kept in mapped if kept or not item]


def _map_meta(value: dict, inlines: Callable) -> dict:
    if value["t"] == "MetaInlines":
        return {"t": "MetaInlines", "c": inlines(value["c"])}
    if value["t"] == "MetaList":
        return {"t": "MetaList", "c": [_map_meta(item, inlines) for item in value["c"]]}
    return value


def _identifiers(document: dict) -> set[str]:
    return {
        node["c"][1][0] if node["t"] == "Header" else node["c"][0][0]
        for node in ast.walk(document["blocks"])
        if node["t"] in ("Header", "Div", "Span")
    } - {""}


def _key(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class _Token:
    """One word, space or atom of a paragraph, with the wrappers (emphasis, links, spans) around it."""

    key: tuple  # what is compared: the wrappers' kinds and the atom itself
    node: ast.Node
    wrappers: tuple[ast.Node, ...]  # each wrapper node without its content, outermost first
    instances: tuple[int, ...]  # which wrapper node, so that two adjacent links stay two


def _tokens(inlines: list, wrappers: tuple = (), instances: tuple = (), counter: Iterator[int] | None = None) -> list:
    counter = counter if counter is not None else itertools.count()
    tokens: list[_Token] = []
    for node in inlines:
        kind = node["t"]
        if kind in _WRAPPERS:
            shell, children = {"t": kind}, node["c"]
        elif kind in ("Span", "Quoted"):
            shell, children = {"t": kind, "head": node["c"][0]}, node["c"][1]
        elif kind == "Link":
            shell, children = {"t": kind, "head": node["c"][0], "target": node["c"][2]}, node["c"][1]
        elif kind == "Str" and " " in node["c"]:
            # A signatory's name is one Str (assemble.py): compared word by word, as text is.
            tokens += _tokens(ast.text_inlines(node["c"]), wrappers, instances, counter)
            continue
        else:
            # A footnote compares equal to any footnote: its place is found by the
            # words around it, then its own paragraphs are compared.
            atom = "Note" if kind == "Note" else _key(node)
            tokens.append(_Token((tuple(_key(w) for w in wrappers), atom), node, wrappers, instances))
            continue
        tokens += _tokens(children, (*wrappers, shell), (*instances, next(counter)), counter)
    return tokens


def _shell_node(shell: dict, children: list) -> ast.Node:
    kind = shell["t"]
    if kind in _WRAPPERS:
        return {"t": kind, "c": children}
    if kind == "Link":
        return {"t": kind, "c": [shell["head"], children, shell["target"]]}
    return {"t": kind, "c": [shell["head"], children]}


@dataclass
class _Marked:
    status: str  # "", INSERTION or DELETION
    node: ast.Node
    wrappers: tuple
    old: tuple | None  # wrapper instances on the old side
    new: tuple | None


class _Differ:
    """One comparison: the marks' author and date, a counter for anchors, and what it found."""

    def __init__(self, author: str, date: str, old_identifiers: set[str], new_identifiers: set[str]) -> None:
        self.author, self.date = author, date
        self.new_identifiers = new_identifiers
        self.identifiers = old_identifiers | new_identifiers
        self.changes: list[Change] = []
        self.words = {INSERTION: 0, DELETION: 0}
        self.section = ("", "")
        self.parts: list[Part] = ["body"]
        self.individuals = False  # in the list of individuals, whose names' keys drop honorifics
        self._anchors = itertools.count(1)
        # By id(), holding the node so that its id is not reused while cached.
        self._text_cache: dict[int, tuple[ast.Node, str]] = {}

    # -- blocks ------------------------------------------------------------

    def blocks(self, old: list, new: list) -> list:
        out: list = []
        matcher = SequenceMatcher(None, [_key(b) for b in old], [_key(b) for b in new], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                for block in new[j1:j2]:
                    self._note_section(block)
                    out.append(block)
                continue
            for a, b in self._align(old[i1:i2], new[j1:j2]):
                if a is not None and b is not None:
                    out.append(self._pair(a, b))
                elif a is not None:
                    out += self._whole(a, DELETION)
                else:
                    out += self._whole(b, INSERTION)
        return out

    def _items(self, old: list[list], new: list[list]) -> list[list]:
        """List items (a signatory each) aligned like blocks, the same signatory paired first."""
        out: list[list] = []
        matcher = SequenceMatcher(None, [_key(i) for i in old], [_key(i) for i in new], autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                out += new[j1:j2]
            else:
                out += self._changed_items(old[i1:i2], new[j1:j2])
        return out

    def _changed_items(self, old: list[list], new: list[list]) -> list[list]:
        """Items that changed: those naming the same signatory paired in order, the rest aligned by similarity."""
        old_keys = [self._signatory_key(item) or ("old", k) for k, item in enumerate(old)]
        new_keys = [self._signatory_key(item) or ("new", k) for k, item in enumerate(new)]
        out: list[list] = []
        matcher = SequenceMatcher(None, old_keys, new_keys, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                out += [[self._pair(a[0], b[0])] for a, b in zip(old[i1:i2], new[j1:j2], strict=True)]
                continue
            wrapped_old = [{"t": "Item", "c": item} for item in old[i1:i2]]
            wrapped_new = [{"t": "Item", "c": item} for item in new[j1:j2]]
            for a, b in self._align(wrapped_old, wrapped_new):
                if a is not None and b is not None:
                    out.append(self.blocks(a["c"], b["c"]))
                elif a is not None:
                    out.append([m for block in a["c"] for m in self._whole(block, DELETION)])
                else:
                    out.append([m for block in b["c"] for m in self._whole(block, INSERTION)])
        return out

    def _signatory_key(self, item: list) -> tuple[str, str] | None:
        """The identity key of the signatory an item names, or None for an item that names none."""
        name = _signatory_name(item)
        if name is None:
            return None
        return ("signatory", identity_key(name, individual=self.individuals))

    def _align(self, old: list, new: list) -> list[tuple[Any, Any]]:
        """Old and new blocks in document order, the best monotone pairing of similar ones side by side."""
        n, m = len(old), len(new)
        if n * m > MAX_PAIRINGS:
            pairs = [(k, k) for k in range(min(n, m)) if self._score(old[k], new[k]) is not None]
        else:
            pairs = self._best_pairs(old, new)
        ordered: list[tuple[Any, Any]] = []
        i = j = 0
        for pi, pj in [*pairs, (n, m)]:
            ordered += [(old[k], None) for k in range(i, pi)]
            ordered += [(None, new[k]) for k in range(j, pj)]
            if pi < n and pj < m:
                ordered.append((old[pi], new[pj]))
            i, j = pi + 1, pj + 1
        return ordered

    def _best_pairs(self, old: list, new: list) -> list[tuple[int, int]]:
        n, m = len(old), len(new)
        best = [[0.0] * (m + 1) for _ in range(n + 1)]
        scores: dict[tuple[int, int], float] = {}
        for i in range(1, n + 1):
            for j in range(1, m + 1):
                score = self._score(old[i - 1], new[j - 1])
                best[i][j] = max(best[i - 1][j], best[i][j - 1])
                if score is not None:
                    scores[i, j] = score
                    best[i][j] = max(best[i][j], best[i - 1][j - 1] + score)
        pairs = []
        i, j = n, m
        while i and j:
            if (i, j) in scores and best[i][j] == best[i - 1][j - 1] + scores[i, j]:
                pairs.append((i - 1, j - 1))
                i, j = i - 1, j - 1
            elif best[i][j] == best[i - 1][j]:
                i -= 1
            else:
                j -= 1
        return pairs[::-1]

    def _score(self, a: ast.Node, b: ast.Node) -> float | None:
        """How alike two blocks are (0-100), or None when they are not the same paragraph edited."""
        if _kind(a) != _kind(b):
            return None
        text_a, text_b = self._text(a), self._text(b)
        score = fuzz.ratio(text_a, text_b)
        short = min(len(text_a.split()), len(text_b.split())) < SHORT_WORDS
        if score < (RENAME_SCORE if short else PARAGRAPH_SCORE):
            return None
        return score + 1  # a pair always beats leaving both unpaired

    def _text(self, node: ast.Node) -> str:
        cached = self._text_cache.get(id(node))
        if cached is None:
            cached = self._text_cache[id(node)] = (node, ast.stringify(node))
        return cached[1]

    def _pair(self, old: ast.Node, new: ast.Node) -> ast.Node:
        """Two versions of one block, merged and marked."""
        kind, content = new["t"], new["c"]
        if kind in ("Para", "Plain"):
            return {"t": kind, "c": self._paragraph(old["c"], content)}
        if kind == "Header":
            self.section = (content[1][0], ast.stringify(content[2]))
            return {"t": kind, "c": [content[0], content[1], self._paragraph(old["c"][2], content[2])]}
        if kind == "Div":
            self.parts.append(_part_of(content[0][1], self.parts[-1]))
            if "signatories" in content[0][1]:
                self.individuals = "individuals" in content[0][1]
            try:
                return {"t": kind, "c": [content[0], self.blocks(old["c"][1], content[1])]}
            finally:
                self.parts.pop()
        if kind == "BlockQuote":
            return {"t": kind, "c": self.blocks(old["c"], content)}
        if kind == "BulletList":
            return {"t": kind, "c": self._items(old["c"], content)}
        if kind == "OrderedList":
            return {"t": kind, "c": [content[0], self._items(old["c"][1], content[1])]}
        return new  # same kind, no finer comparison (never reached for our documents)

    def _whole(self, block: ast.Node, change: str) -> list[ast.Node]:
        """A block that exists on one side only, every paragraph in it marked as inserted or deleted."""
        kind, content = block["t"], block.get("c")
        if change == DELETION:
            block = self._rename_clashing_identifier(block)
            content = block.get("c")
        if kind in ("Para", "Plain"):
            return [{"t": kind, "c": self._whole_paragraph(content, change)}]
        if kind == "Header":
            if change == INSERTION:
                self.section = (content[1][0], ast.stringify(content[2]))
            return [{"t": kind, "c": [content[0], content[1], self._whole_paragraph(content[2], change)]}]
        if kind == "RawBlock":
            # Layout for one writer (Typst columns, a page break): kept with its
            # new content; a deleted one goes only with its whole container.
            return [block] if change == INSERTION else []
        if kind == "Div":
            self.parts.append(_part_of(content[0][1], self.parts[-1]))
            try:
                inner = [m for child in content[1] for m in self._whole_keeping_layout(child, change)]
            finally:
                self.parts.pop()
            return [{"t": kind, "c": [content[0], inner]}]
        if kind == "BlockQuote":
            return [{"t": kind, "c": [m for child in content for m in self._whole_keeping_layout(child, change)]}]
        if kind == "BulletList":
            return [{"t": kind, "c": [self._whole_blocks(item, change) for item in content]}]
        if kind == "OrderedList":
            return [{"t": kind, "c": [content[0], [self._whole_blocks(item, change) for item in content[1]]]}]
        # Tables, code blocks, rules: no paragraph to mark. Kept when inserted, dropped when deleted.
        return [block] if change == INSERTION else []

    def _whole_keeping_layout(self, block: ast.Node, change: str) -> list[ast.Node]:
        return [block] if block["t"] == "RawBlock" else self._whole(block, change)

    def _whole_blocks(self, blocks: list, change: str) -> list:
        return [m for block in blocks for m in self._whole(block, change)]

    def _rename_clashing_identifier(self, block: ast.Node) -> ast.Node:
        """A deleted heading or entry keeps its id unless the new version uses it for something else."""
        if block["t"] == "Header" and block["c"][1][0] in self.new_identifiers:
            attr = [block["c"][1][0] + "-deleted", *block["c"][1][1:]]
            return {"t": "Header", "c": [block["c"][0], attr, block["c"][2]]}
        if block["t"] == "Div" and block["c"][0][0] in self.new_identifiers:
            return {"t": "Div", "c": [[block["c"][0][0] + "-deleted", *block["c"][0][1:]], block["c"][1]]}
        return block

    # -- paragraphs and words ----------------------------------------------

    def _paragraph(self, old: list, new: list) -> list:
        """The words of two versions of a paragraph, merged and marked; a marker first if any changed."""
        before = len(self.changes)
        marked, changed = self._inlines(old, new)
        if not changed:
            return marked
        anchor = self._anchor()
        marked = [self._marker(anchor, CHANGED), *marked]
        self._record(CHANGED, anchor, marked, before)
        return marked

    def _whole_paragraph(self, inlines: list, change: str) -> list:
        before = len(self.changes)
        anchor = self._anchor()
        content = self._whole_inlines(inlines, change)
        kind = INSERTED if change == INSERTION else DELETED
        marked = [self._marker(anchor, kind), self._span(change, content)]
        self._record(kind, anchor, marked, before)
        return marked

    def _whole_inlines(self, inlines: list, change: str) -> list:
        """Every word counted, and every footnote in them marked whole too."""
        out = []
        for token in _tokens(inlines):
            if token.node["t"] == "Str":
                self.words[change] += 1
        for node in inlines:
            out.append(self._whole_notes(node, change))
        return out

    def _whole_notes(self, node: ast.Node, change: str) -> ast.Node:
        if node["t"] == "Note":
            self.parts.append("footnote")
            try:
                return {"t": "Note", "c": self._whole_blocks(node["c"], change)}
            finally:
                self.parts.pop()
        return _map_children(node, lambda nodes: [self._whole_notes(n, change) for n in nodes], lambda b: b)

    def _inlines(self, old: list, new: list) -> tuple[list, bool]:
        """Two inline lists merged, with the words that differ in insertion and deletion spans."""
        old_tokens, new_tokens = _tokens(old), _tokens(new)
        matcher = SequenceMatcher(None, [t.key for t in old_tokens], [t.key for t in new_tokens], autojunk=False)
        marked: list[_Marked] = []
        changed = False
        for tag, i1, i2, j1, j2 in _merge_space_only_equalities(matcher.get_opcodes(), old_tokens):
            if tag == "equal":
                for a, b in zip(old_tokens[i1:i2], new_tokens[j1:j2], strict=True):
                    node = b.node
                    if node["t"] == "Note" and _key(a.node) != _key(node):
                        node = self._note(a.node, node)
                    marked.append(_Marked("", node, b.wrappers, a.instances, b.instances))
                continue
            changed = True
            for status, tokens, side in ((DELETION, old_tokens[i1:i2], "old"), (INSERTION, new_tokens[j1:j2], "new")):
                for token in tokens:
                    if token.node["t"] == "Str":
                        self.words[status] += 1
                    node = self._whole_notes(token.node, status)
                    instances = {"old": None, "new": None, side: token.instances}
                    marked.append(_Marked(status, node, token.wrappers, instances["old"], instances["new"]))
        return self._rebuild(marked, 0), changed

    def _note(self, old: ast.Node, new: ast.Node) -> ast.Node:
        self.parts.append("footnote")
        try:
            return {"t": "Note", "c": self.blocks(old["c"], new["c"])}
        finally:
            self.parts.pop()

    def _rebuild(self, items: list[_Marked], depth: int) -> list:
        """Nest marked tokens back into their wrappers; runs of one status become one span."""
        out: list = []
        i = 0
        while i < len(items):
            item = items[i]
            j = i + 1
            if len(item.wrappers) == depth:
                while j < len(items) and len(items[j].wrappers) == depth and items[j].status == item.status:
                    j += 1
                nodes = [it.node for it in items[i:j]]
                out += nodes if not item.status else [self._span(item.status, nodes)]
            else:
                shell = item.wrappers[depth]
                # One wrapper node per run of tokens from the same wrapper on each side.
                seen = {"old": item.old[depth] if item.old else None, "new": item.new[depth] if item.new else None}
                while j < len(items) and len(items[j].wrappers) > depth and items[j].wrappers[depth] == shell:
                    other = {"old": items[j].old, "new": items[j].new}
                    if any(other[s] and seen[s] is not None and other[s][depth] != seen[s] for s in seen):
                        break
                    for side in seen:
                        if other[side] and seen[side] is None:
                            seen[side] = other[side][depth]
                    j += 1
                out.append(_shell_node(shell, self._rebuild(items[i:j], depth + 1)))
            i = j
        return out

    # -- marks -------------------------------------------------------------

    def _span(self, change: str, nodes: list) -> ast.Node:
        return {"t": "Span", "c": [["", [change], [["author", self.author], ["date", self.date]]], nodes]}

    def _anchor(self) -> str:
        """A new id for a changed paragraph, used by no heading or entry of either version.

        Unique, not in reading order: a paragraph is numbered after the footnotes in it.
        """
        anchor = f"change-{next(self._anchors)}"
        return anchor if anchor not in self.identifiers else self._anchor()

    @staticmethod
    def _marker(anchor: str, kind: str) -> ast.Node:
        return ast.span([], identifier=anchor, classes=(kind,))

    def _record(self, kind: str, anchor: str, inlines: list, position: int) -> None:
        """Keep the change in reading order: before the changes found inside its footnotes."""
        section_id, section_title = self.section
        self.changes.insert(position, Change(kind, anchor, self.parts[-1], section_id, section_title, inlines))

    def _note_section(self, block: ast.Node) -> None:
        if block["t"] == "Header":
            self.section = (block["c"][1][0], ast.stringify(block["c"][2]))

    def meta_value(self, old: dict, new: dict) -> dict:
        """A printed front-matter field (title, date...) marked like a paragraph of the title block."""
        if old["t"] == new["t"] == "MetaInlines":
            self.parts.append("front matter")
            self.section = ("title-block-header", "Title")
            try:
                return {"t": "MetaInlines", "c": self._paragraph(old["c"], new["c"])}
            finally:
                self.parts.pop()
        if old["t"] == new["t"] == "MetaList" and len(old["c"]) == len(new["c"]):
            return {"t": "MetaList", "c": [self.meta_value(a, b) for a, b in zip(old["c"], new["c"], strict=True)]}
        return new


def _kind(block: ast.Node) -> tuple:
    kind = block["t"]
    if kind == "Header":
        return (kind, block["c"][0])
    if kind == "Div":
        return (kind, tuple(block["c"][0][1]))
    return (kind,)


def _signatory_name(blocks: list) -> str | None:
    """The name in a signatory list item (one paragraph, the name's span first), or None."""
    if len(blocks) != 1 or blocks[0]["t"] != "Plain" or not blocks[0]["c"]:
        return None
    first = blocks[0]["c"][0]
    if first["t"] != "Span" or SIGNATORY_NAME not in first["c"][0][1]:
        return None
    return ast.stringify(first["c"][1])


def _part_of(classes: list[str], enclosing: Part) -> Part:
    if "signatories" in classes:
        return "signatories"
    if "references" in classes:
        return "annex"
    return enclosing


def _merge_space_only_equalities(opcodes: list, old_tokens: list[_Token]) -> list:
    """Fold a lone space between two changes into them: "~~b c~~ x y" reads better than "~~b~~x ~~c~~y"."""
    merged: list = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        lone_space = (
            tag == "equal"
            and 0 < index < len(opcodes) - 1
            and all(t.node["t"] in ("Space", "SoftBreak") for t in old_tokens[i1:i2])
        )
        if merged and merged[-1][0] != "equal" and (tag != "equal" or lone_space):
            _, a1, _, b1, _ = merged[-1]
            merged[-1] = ("replace", a1, i2, b1, j2)
        else:
            merged.append(("replace" if lone_space else tag, i1, i2, j1, j2))
    return merged
