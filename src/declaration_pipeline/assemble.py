"""Assembling one document from the three sources.

The declaration's AST gets its citations resolved from references.bib and two
generated sections appended: the signatories and the annex. The result is the
single intermediate that every writer reads. Raw Typst blocks set the print
layout of the annex; the HTML and DOCX writers ignore them and use the classes
instead. The print edition lays out the signatory lists itself, from data
(render.py).
"""

from __future__ import annotations

import calendar
import re
from datetime import datetime, timezone

from . import pandoc_ast as ast
from .assembled_document import ANNEX_LABEL, SIGNATORY_LIST, SIGNATORY_NAME, SIGNATORY_SECTION
from .bibliography import Bibliography
from .citation_style import citation_names, citation_year, labelled_annex
from .language import DEFAULT_LANG
from .signatories import Signatory, in_print_order
from .sources import Sources

DEFAULT_TITLES = {
    "signatories-title": "Signatories",
    "organizations-title": "Organizations",
    "individuals-title": "Individuals",
    "annex-title": "Annex: Relevant reading",
    "notes-title": "Notes",
}


def reference_id(key: str) -> str:
    """The anchor of a reference in the annex, safe as an HTML id and a Typst label."""
    return "ref-" + re.sub(r"[^A-Za-z0-9_.-]", "-", key)


def assemble_document(sources: Sources) -> dict:
    """The assembled pandoc document. Call only when the checks found no error."""
    declaration = sources.declaration
    assert declaration is not None, "assemble_document needs a loaded declaration"
    meta = dict(declaration.ast["meta"])
    blocks = ast.replace_inlines(
        declaration.ast["blocks"],
        lambda node, in_note: _render_citation(node, in_note, sources.bibliography) if node["t"] == "Cite" else None,
    )
    titles = {key: ast.meta_text(meta, key) or default for key, default in DEFAULT_TITLES.items()}
    generated = signatory_section(in_print_order(sources.signatories, sources.order), titles) + annex_section(
        sources.bibliography, titles["annex-title"]
    )
    blocks = ids_apart_from(blocks, _block_ids(generated)) + generated
    # The web page's notes section gets this heading (render.py); print and Word keep notes at the page foot.
    meta["notes-title"] = {"t": "MetaString", "c": titles["notes-title"]}
    if not (ast.meta_text(meta, "lang") or "").strip():
        meta["lang"] = {"t": "MetaString", "c": DEFAULT_LANG}
    meta["source-date-epoch"] = {"t": "MetaString", "c": str(source_date_epoch(ast.meta_text(meta, "date")))}
    return {"pandoc-api-version": declaration.ast["pandoc-api-version"], "meta": meta, "blocks": blocks}


# Ids the HTML writer and template give their own elements: the notes section, each note and its back-link.
_WRITER_IDS = re.compile(r"footnotes|title-block-header|fn\d+|fnref\d+")


def ids_apart_from(blocks: list, generated: set[str]) -> list:
    """The declaration with every id that the generated sections or a writer also use renamed.

    A heading called "Footnotes" gets the id "footnotes", as does pandoc's notes
    section; it becomes "footnotes-1", and links to it follow.
    """
    found = _identifiers(blocks)
    taken = {identifier for identifier, _ in found} | generated
    renamed: dict[str, str] = {}
    for identifier, _node in found:
        if identifier in generated or _WRITER_IDS.fullmatch(identifier):
            number = 1
            while f"{identifier}-{number}" in taken or _WRITER_IDS.fullmatch(f"{identifier}-{number}"):
                number += 1
            renamed[identifier] = f"{identifier}-{number}"
            taken.add(renamed[identifier])
    if not renamed:
        return blocks

    def rename(value: object) -> object:
        if isinstance(value, list):
            return [rename(item) for item in value]
        if not isinstance(value, dict) or "c" not in value:
            return value
        node = {**value, "c": rename(value["c"])}
        attr = _attr_of(node)
        if attr is not None and attr[0] in renamed:
            attr[0] = renamed[attr[0]]
        if node["t"] == "Link" and node["c"][2][0].removeprefix("#") in renamed and node["c"][2][0].startswith("#"):
            node["c"][2][0] = "#" + renamed[node["c"][2][0][1:]]
        return node

    return rename(blocks)  # type: ignore[return-value]


def _attr_of(node: ast.Node) -> list | None:
    """The [id, classes, attributes] of a node that has one."""
    content = node.get("c")
    if node["t"] == "Header":
        return content[1]
    if node["t"] in ("Div", "Span", "Code", "CodeBlock", "Link", "Image", "Table", "Figure"):
        return content[0]
    return None


def _identifiers(blocks: list) -> list[tuple[str, ast.Node]]:
    found = []
    for node in ast.walk(blocks):
        attr = _attr_of(node)
        if attr is not None and attr[0]:
            found.append((attr[0], node))
    return found


def _block_ids(blocks: list) -> set[str]:
    """The ids of headings and divs: where the generated sections keep theirs, without a walk
    through every name of a 100,000-name list."""
    found = set()
    for block in blocks:
        if block["t"] in ("Header", "Div") and _attr_of(block)[0]:  # type: ignore[index]
            found.add(_attr_of(block)[0])  # type: ignore[index]
        if block["t"] == "Div":
            found |= _block_ids(block["c"][1])
    return found


def _render_citation(node: ast.Node, in_note: bool, bibliography: Bibliography) -> list[ast.Node]:
    """A Cite node as linked author-date text.

    In the body a parenthetical citation gets parentheses; inside a footnote it
    does not, since the note already sets it apart ("Ayvazyan, 2019; ...").
    """
    citations, _original = node["c"]
    rendered: list[list[ast.Node]] = []
    parenthetical = False
    for citation in citations:
        reference = bibliography.get(citation["citationId"])
        assert reference is not None, f"unknown key {citation['citationId']} passed the checks"
        names, year = citation_names(reference), citation_year(reference)
        mode = citation["citationMode"]["t"]
        suffix = citation["citationSuffix"]
        if mode == "AuthorInText":
            core = ast.text_inlines(f"{names} ({year}") + suffix + [ast.text_inlines(")")[0]]
            suffix = []
        elif mode == "SuppressAuthor":
            core = ast.text_inlines(year)
            parenthetical = True
        else:
            core = ast.text_inlines(f"{names}, {year}")
            parenthetical = True
        prefix = citation["citationPrefix"]
        parts = (prefix + [{"t": "Space"}] if prefix else []) + [ast.link(core, "#" + reference_id(reference.key))]
        rendered.append(parts + suffix)
    inlines: list[ast.Node] = []
    for number, parts in enumerate(rendered):
        if number:
            inlines += [{"t": "Str", "c": ";"}, {"t": "Space"}]
        inlines += parts
    if parenthetical and not in_note:
        inlines = [{"t": "Str", "c": "("}, *inlines, {"t": "Str", "c": ")"}]
    return [ast.span(inlines, classes=("citation",))]


def _signatory_inlines(signatory: Signatory) -> list[ast.Node]:
    # A name is one Str, spaces and all: a tenth of the nodes of Str and Space words for every
    # writer and reader to walk at 100,000 names, and a redline marks a changed name as a whole.
    inlines = [ast.span([{"t": "Str", "c": signatory.name}], classes=(SIGNATORY_NAME,))]
    if signatory.details:
        details = [{"t": "Str", "c": f"({signatory.details})"}]
        inlines += [{"t": "Space"}, ast.span(details, classes=("signatory-details",))]
    return inlines


def signatory_section(signatories: tuple[Signatory, ...], titles: dict[str, str]) -> list[ast.Node]:
    blocks = [
        ast.raw_block("typst", "#pagebreak(weak: true)"),
        ast.header(1, SIGNATORY_SECTION, titles["signatories-title"]),
    ]
    for kind, title_key in (("organization", "organizations-title"), ("individual", "individuals-title")):
        members = [s for s in signatories if s.kind == kind]
        if not members:
            continue
        items = [[ast.plain(_signatory_inlines(s))] for s in members]
        blocks += [
            ast.header(2, kind + "s", titles[title_key]),
            ast.div([ast.bullet_list(items)], classes=(SIGNATORY_LIST, kind + "s")),
        ]
    return blocks


def _annex_entry(label: list[ast.Node], rest: list[ast.Node]) -> list[ast.Node]:
    """The entry's text, its label ("Ayvazyan, K. (2019).") marked for the print edition's list."""
    if not (label and rest):
        return label + rest
    return [ast.span(label, classes=(ANNEX_LABEL,)), {"t": "Space"}, *rest]


def annex_section(bibliography: Bibliography, title: str) -> list[ast.Node]:
    # pandoc's own shape for a bibliography (what citeproc makes), so that every
    # writer knows it: Word's Bibliography style, LaTeX's CSLReferences, doc-biblioentry.
    entries = [
        ast.div([ast.para(_annex_entry(label, rest))], identifier=reference_id(key), classes=("csl-entry", "reference"))
        for key, label, rest in labelled_annex(bibliography)
    ]
    return [
        ast.header(1, "annex", title),
        ast.div(
            [ast.raw_block("typst", "#annex["), *entries, ast.raw_block("typst", "]")],
            identifier="refs",
            classes=("references", "csl-bib-body", "hanging-indent"),
        ),
    ]


_DATE_FORMATS = ("%B %Y", "%Y-%m-%d", "%d %B %Y", "%B %d, %Y", "%Y-%m", "%Y")


def source_date_epoch(date_text: str | None) -> int:
    """The timestamp every output carries: the document's own date, never the clock.

    "October 2024" -> 2024-10-01T00:00:00Z. Without a readable date: 0 (1970).
    """
    if date_text:
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(date_text.strip(), fmt)
            except ValueError:
                continue
            return calendar.timegm(parsed.replace(tzinfo=timezone.utc).timetuple())
    return 0
