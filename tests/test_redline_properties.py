"""Properties of the redline core (redline.py) over random word and paragraph edits of the real document.

Accepting every change of a redline gives the new document exactly, rejecting
every change the old one; one word replaced is one paragraph changed, one word
in and one out; a document compared with itself has no change.
"""

from __future__ import annotations

import copy
import json
import tempfile
from pathlib import Path

import pytest
from docx_readings import docx_text
from hypothesis import given, settings
from hypothesis import strategies as st

from declaration_pipeline import pandoc_ast as ast
from declaration_pipeline.assemble import assemble_document
from declaration_pipeline.checks import check_sources
from declaration_pipeline.redline import CHANGED, DELETED, INSERTED, SHORT_WORDS, reading, redline_documents
from declaration_pipeline.redline_outputs import write_docx
from declaration_pipeline.render import render_docx

ROOT = Path(__file__).resolve().parent.parent
AUTHOR, DATE = "Editors", "2024-10-01T00:00:00Z"
WORD = st.text(st.characters(categories=("L", "N", "P", "S")), min_size=1, max_size=10)
WORD_EDIT = st.tuples(st.sampled_from(["replace", "delete", "insert"]), st.integers(0, 10**6), WORD)
BLOCK_EDIT = st.tuples(st.sampled_from(["drop", "add"]), st.integers(0, 10**6), WORD)


@pytest.fixture(scope="module")
def document() -> dict:
    """The repository's document, each signatory's name (one Str) split into words as the redline reads it:
    the edits below take a Str for a word."""
    sources, diagnostics = check_sources(ROOT)
    assert not [d for d in diagnostics if d.severity == "error"]
    document = assemble_document(sources)
    document["blocks"] = ast.replace_inlines(
        document["blocks"],
        lambda node, _in_note: ast.text_inlines(node["c"]) if node["t"] == "Str" and " " in node["c"] else None,
    )
    return document


def comparable(document: dict) -> str:
    """The document as JSON, a deleted heading's id given back its own name."""
    return json.dumps(document, sort_keys=True).replace('-deleted"', '"')


def _word_slots(blocks: list) -> list[tuple[list, int, int]]:
    """Every Str in the document: (the inline list holding it, its index, words in its paragraph)."""
    slots: list[tuple[list, int, int]] = []

    def inlines(nodes: list, words: int) -> None:
        for index, node in enumerate(nodes):
            if node["t"] == "Str":
                slots.append((nodes, index, words))
            elif node["t"] == "Note":
                visit(node["c"])
            elif isinstance(node.get("c"), list):
                children = node["c"][1] if node["t"] in ("Span", "Link", "Quoted") else node["c"]
                inlines(children, words)

    def visit(nodes: list) -> None:
        for block in nodes:
            kind = block["t"]
            if kind in ("Para", "Plain", "Header"):
                content = block["c"][2] if kind == "Header" else block["c"]
                inlines(content, len(ast.stringify(content).split()))
            elif kind == "Div":
                visit(block["c"][1])
            elif kind == "BulletList":
                for item in block["c"]:
                    visit(item)

    visit(blocks)
    return slots


def _block_lists(blocks: list) -> list[list]:
    """Every list of blocks: the body, each Div, each list item and each footnote."""
    found = [blocks]
    for node in ast.walk(blocks):
        if node["t"] == "Div":
            found.append(node["c"][1])
        elif node["t"] == "BulletList":
            found += node["c"]
        elif node["t"] == "Note":
            found.append(node["c"])
    return found


def edited(document: dict, word_edits: list, block_edits: list) -> dict:
    new = copy.deepcopy(document)
    for action, where, word in word_edits:
        slots = _word_slots(new["blocks"])
        nodes, index, _words = slots[where % len(slots)]
        if action == "replace" or len(nodes) == 1:
            nodes[index] = {"t": "Str", "c": word}
        elif action == "delete":
            neighbour = index + 1 if index + 1 < len(nodes) and nodes[index + 1]["t"] == "Space" else index - 1
            for gone in sorted({index, max(neighbour, 0)}, reverse=True):
                del nodes[gone]
        else:
            nodes[index + 1 : index + 1] = [{"t": "Space"}, {"t": "Str", "c": word}]
    for action, where, word in block_edits:
        lists = _block_lists(new["blocks"])
        blocks = lists[where % len(lists)]
        position = where % (len(blocks) + 1)
        droppable = [i for i, b in enumerate(blocks) if b["t"] in ("Para", "Plain")]
        if action == "drop" and len(droppable) > 1:
            del blocks[droppable[where % len(droppable)]]
        else:
            blocks.insert(position, ast.para([{"t": "Str", "c": word}, {"t": "Space"}, {"t": "Str", "c": "added."}]))
    return new


@settings(max_examples=60, deadline=None)
@given(word_edits=st.lists(WORD_EDIT, max_size=6), block_edits=st.lists(BLOCK_EDIT, max_size=2))
def test_accepting_gives_the_new_document_and_rejecting_the_old_one(document, word_edits, block_edits) -> None:
    new = edited(document, word_edits, block_edits)
    redline = redline_documents(document, new, AUTHOR, DATE)
    assert comparable(reading(redline.document, "new")) == comparable(new)
    assert comparable(reading(redline.document, "old")) == comparable(document)
    assert bool(redline.changes) == (comparable(new) != comparable(document))
    # Every change is anchored once, by a marker that leads its paragraph.
    anchors = [change.anchor for change in redline.changes]
    assert len(set(anchors)) == len(anchors)
    assert all(change.inlines[0]["c"][0][0] == change.anchor for change in redline.changes)


@settings(max_examples=6, deadline=None)
@given(word_edits=st.lists(WORD_EDIT, min_size=1, max_size=4), block_edits=st.lists(BLOCK_EDIT, max_size=2))
def test_the_docx_accepts_to_the_new_version_and_rejects_to_the_old_one(document, word_edits, block_edits) -> None:
    """The same, through the real writers: Word's Accept All and Reject All, done on the XML."""
    new = edited(document, word_edits, block_edits)
    redline = redline_documents(document, new, AUTHOR, DATE)
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        write_docx(redline, folder / "redline.docx")
        render_docx(document, folder / "old.docx")
        render_docx(new, folder / "new.docx")
        assert docx_text(folder / "redline.docx", "accept") == docx_text(folder / "new.docx")
        assert docx_text(folder / "redline.docx", "reject") == docx_text(folder / "old.docx")


@settings(max_examples=60, deadline=None)
@given(where=st.integers(0, 10**6), word=WORD)
def test_one_word_replaced_marks_that_word_only(document, where, word) -> None:
    new = copy.deepcopy(document)
    slots = [slot for slot in _word_slots(new["blocks"]) if slot[2] >= SHORT_WORDS]
    nodes, index, _words = slots[where % len(slots)]
    if nodes[index]["c"] == word:
        word += "x"
    nodes[index] = {"t": "Str", "c": word}
    redline = redline_documents(document, new, AUTHOR, DATE)
    assert [change.kind for change in redline.changes] == [CHANGED]
    assert (redline.words_inserted, redline.words_deleted) == (1, 1)


def test_a_renamed_signatory_is_one_changed_item_and_a_new_one_an_inserted_item(document) -> None:
    new = copy.deepcopy(document)
    organizations = next(n for n in ast.walk(new["blocks"]) if n["t"] == "BulletList" and _is_signatories(n))
    organizations["c"][0] = [ast.plain(ast.text_inlines("Soroptimist Internacional"))]
    organizations["c"].append([ast.plain(ast.text_inlines("Delta Network"))])
    old = copy.deepcopy(document)
    next(n for n in ast.walk(old["blocks"]) if n["t"] == "BulletList" and _is_signatories(n))["c"][0] = [
        ast.plain(ast.text_inlines("Soroptimist International"))
    ]
    redline = redline_documents(old, new, AUTHOR, DATE)
    assert [(c.kind, c.part) for c in redline.changes] == [(CHANGED, "signatories"), (INSERTED, "signatories")]
    assert (redline.words_inserted, redline.words_deleted) == (3, 1)


def test_a_deleted_heading_keeps_a_distinct_id_and_the_section_is_named(document) -> None:
    new = copy.deepcopy(document)
    heading = next(i for i, b in enumerate(new["blocks"]) if b["t"] == "Header" and b["c"][0] == 2)
    del new["blocks"][heading]
    new["blocks"].insert(heading, copy.deepcopy(document["blocks"][heading]))
    new["blocks"][heading]["c"][2] = ast.text_inlines("An entirely different heading")
    redline = redline_documents(document, new, AUTHOR, DATE)
    assert [c.kind for c in redline.changes] == [DELETED, INSERTED]
    ids = [n["c"][1][0] for n in ast.walk(redline.document["blocks"]) if n["t"] == "Header"]
    assert len(ids) == len(set(ids))
    assert redline.changes[1].section_title == "An entirely different heading"


def test_the_same_document_twice_has_no_change(document) -> None:
    redline = redline_documents(document, copy.deepcopy(document), AUTHOR, DATE)
    assert redline.changes == () and redline.document == document


def _is_signatories(node: dict) -> bool:
    return "Soroptimist" in ast.stringify(node) and "University" not in ast.stringify(node)
