"""The redline written three times, through render.py's own writers: DOCX, HTML and PDF.

The marked document (redline.py) uses pandoc's convention for tracked changes,
which only the DOCX writer knows. Here, at the edges, each format gets what it
needs: the HTML <ins> and <del> with a summary on top, the PDF underlines and
strike-throughs (Typst's own, so the PDF stays tagged) with a legend, and the
DOCX its paragraph marks tracked too, which pandoc leaves untracked, so that
Accept All and Reject All give back the two versions.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from xml.sax.saxutils import quoteattr

from . import pandoc_ast as ast
from .atomic_files import temporary_path, write_atomically
from .redline import CHANGED, DELETED, DELETION, INSERTED, INSERTION, MARKER_CLASSES, Redline, reading
from .redline_summary import LEGEND_DELETION, LEGEND_INSERTION, summary_blocks
from .render import escape_leading_markup, render_docx, render_html, render_pdf

OUTPUT_NAMES = {"docx": "redline.docx", "html": "redline.html", "pdf": "redline.pdf"}
# Without colour: underlined and struck through, a bar beside each changed
# paragraph (solid: edited, double: inserted, dotted: deleted), and words
# for screen readers, which do not announce <ins> and <del> by themselves.
HTML_STYLE = """<style>
ins, .legend-insertion { text-decoration: underline; text-decoration-thickness: .1em;
  text-underline-offset: .2em; background: none; }
del, .legend-deletion { text-decoration: line-through; text-decoration-thickness: .1em; }
ins::before, ins::after, del::before, del::after { position: absolute; width: 1px; height: 1px;
  overflow: hidden; clip-path: inset(100%); white-space: nowrap; }
ins::before { content: " [inserted: "; } del::before { content: " [deleted: "; }
ins::after, del::after { content: "] "; }
:is(p, li, h2, h3, h4, h5):has(> .paragraph-changed, > .paragraph-inserted, > .paragraph-deleted) {
  margin-left: -.9rem; padding-left: calc(.9rem - 4px); border-left: 4px solid; }
:is(p, li, h2, h3, h4, h5):has(> .paragraph-inserted) { border-left-style: double; }
:is(p, li, h2, h3, h4, h5):has(> .paragraph-deleted) { border-left-style: dotted; }
.redline-summary { border: 1px solid; padding: .75rem 1rem; margin: 0 0 2rem; }
.redline-summary p { margin: 0 0 .5rem; }
.redline-summary ul { margin: 0; }
</style>"""
# Typst's own decorations; `;` ends the call, so text after it is never read as arguments.
TYPST_MARKS = {
    INSERTION: ("#underline(stroke: 0.75pt, offset: 2pt, evade: false)[", "];"),
    DELETION: ("#strike(stroke: 0.75pt)[", "];"),
}
# Solid: edited, double: inserted, dotted: deleted, as in the HTML.
_BAR = "#place(left, dx: -0.8em, dy: -0.05em, {})"
_LINE = "line(angle: 90deg, length: 1em, stroke: {})"
TYPST_CHANGE_BARS = {
    CHANGED: _BAR.format(_LINE.format("1.5pt")),
    INSERTED: _BAR.format(f"stack(dir: ltr, spacing: 1.2pt, {_LINE.format('0.6pt')}, {_LINE.format('0.6pt')})"),
    DELETED: _BAR.format(_LINE.format('(thickness: 1.5pt, dash: "dotted")')),
}
TYPST_SUMMARY_BOX = ("#block(width: 100%, stroke: 0.5pt, inset: 8pt, below: 1.6em)[", "]")


def write_redline(redline: Redline, compared_with: str, build: Path) -> dict[str, Path]:
    """Write build/redline.{docx,html,pdf}, side by side; each whole or not at all."""
    outputs = {fmt: build / name for fmt, name in OUTPUT_NAMES.items()}
    writers: dict[str, Callable[[], None]] = {
        "docx": lambda: write_docx(redline, outputs["docx"]),
        "html": lambda: render_html(html_document(redline, compared_with), outputs["html"]),
        "pdf": lambda: render_pdf(typst_document(redline, compared_with), outputs["pdf"]),
    }
    # pandoc and Typst do the work outside Python's lock: threads suffice.
    with ThreadPoolExecutor(max_workers=len(writers)) as pool:
        for future in [pool.submit(write) for write in writers.values()]:
            future.result()
    return outputs


# -- HTML ------------------------------------------------------------------


def html_document(redline: Redline, compared_with: str) -> dict:
    document = redline.document
    blocks = summary_blocks(redline, compared_with, _identifiers(document) | {"title-block-header"})
    marked = _replace_marks(blocks + document["blocks"], _html_span)
    meta = _new_plain_metadata(redline)
    meta["header-includes"] = {"t": "MetaBlocks", "c": [ast.raw_block("html", HTML_STYLE)]}
    title = ast.meta_text(reading(document, "new")["meta"], "title") or ""
    meta["pagetitle"] = {"t": "MetaInlines", "c": ast.text_inlines(f"Redline: {title}")}
    meta.update(_replace_marks_in_meta(document["meta"], _html_span))
    return {**document, "meta": meta, "blocks": marked}


def _html_span(change: str, nodes: list) -> list | None:
    """<ins> and <del> for the marks; the legend's samples stay spans, styled alike by HTML_STYLE."""
    tag = {INSERTION: "ins", DELETION: "del"}.get(change)
    return None if tag is None else [_raw("html", f"<{tag}>"), *nodes, _raw("html", f"</{tag}>")]


# -- PDF -------------------------------------------------------------------


def typst_document(redline: Redline, compared_with: str) -> dict:
    document = redline.document
    summary = summary_blocks(redline, compared_with, _identifiers(document))
    boxed = [
        ast.raw_block("typst", TYPST_SUMMARY_BOX[0]),
        *_replace_marks(summary, _typst_span, _no_marker),
        ast.raw_block("typst", TYPST_SUMMARY_BOX[1]),
    ]
    meta = _new_plain_metadata(redline)
    meta.update(_replace_marks_in_meta(document["meta"], _typst_span, _no_marker))
    blocks = _replace_marks(document["blocks"], _typst_span, _typst_change_bar)
    return {**document, "meta": meta, "blocks": boxed + blocks}


def _no_marker(_kind: str) -> list:
    return []


def _typst_change_bar(kind: str) -> list:
    """A bar in the margin (or the column gap) beside the first line of a changed paragraph."""
    return [_raw("typst", TYPST_CHANGE_BARS[kind])]


def _typst_span(change: str, nodes: list) -> list | None:
    kind = INSERTION if change in (INSERTION, LEGEND_INSERTION) else DELETION
    opening, closing = TYPST_MARKS[kind]
    # The span's text starts a content block, where "= " or "- " would be markup.
    return [_raw("typst", opening), *escape_leading_markup(nodes), _raw("typst", closing)]


# -- DOCX ------------------------------------------------------------------


def write_docx(redline: Redline, output: Path) -> None:
    with temporary_path(output, ".untracked.docx") as untracked:
        render_docx(redline.document, untracked)
        data = untracked.read_bytes()
    write_atomically(output, track_paragraph_marks(data, redline))


def track_paragraph_marks(docx: bytes, redline: Redline) -> bytes:
    """pandoc's DOCX with whole inserted and deleted paragraphs tracked, and unique revision ids.

    pandoc tracks the words but not a paragraph's mark, so Reject All would
    leave an empty paragraph where one was inserted. Each changed paragraph
    carries a bookmark named after its change; it is replaced by the mark's
    revision. Rewritten in the same entry order with the same dates: deterministic.
    """
    kinds = {change.anchor: change.kind for change in redline.changes}
    author, date = quoteattr(redline.author), quoteattr(redline.date)
    revision_ids = iter(range(1, 1 << 30))
    original = zipfile.ZipFile(io.BytesIO(docx))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as patched:
        for info in original.infolist():
            data = original.read(info)
            if info.filename in ("word/document.xml", "word/footnotes.xml"):
                data = _track_marks_in_part(data.decode("utf-8"), kinds, author, date, revision_ids).encode("utf-8")
            patched.writestr(info, data)
    return buffer.getvalue()


_PARAGRAPH = re.compile(r"<w:p(?: [^>]*)?>.*?</w:p>|<w:p(?: [^>]*)?/>", re.S)
_CONTAINER_END = re.compile(r"</w:footnote>|</w:endnote>|<w:sectPr\b|</w:body>|</w:tc>")
_BOOKMARK = re.compile(r'<w:bookmarkStart w:id="(\d+)" w:name="([^"]+)" ?/>(?:<w:bookmarkEnd w:id="\1" ?/>)?')
_REVISION_ID = re.compile(r'(<w:(?:ins|del) w:id=")\d+(")')


def _track_marks_in_part(xml: str, kinds: dict[str, str], author: str, date: str, revision_ids) -> str:
    paragraphs = list(_PARAGRAPH.finditer(xml))
    gone = {"new": set(), "old": set()}  # paragraphs that a reading removes
    bodies = []
    for index, match in enumerate(paragraphs):
        body = match.group(0)
        for bookmark in _BOOKMARK.finditer(match.group(0)):
            kind = kinds.get(bookmark.group(2))
            if kind is None:
                continue
            body = body.replace(bookmark.group(0), "")
            if kind == INSERTED:
                gone["old"].add(index)
            elif kind == DELETED:
                gone["new"].add(index)
        bodies.append(body)
    marks = {"new": set(), "old": set()}
    for container in _containers(xml, paragraphs):
        for version in ("new", "old"):
            marks[version] |= _removed_marks(container, gone[version])
    out, position = [], 0
    for index, match in enumerate(paragraphs):
        out.append(xml[position : match.start()])
        revisions = ""
        if index in marks["old"]:  # rejecting removes it: an inserted mark
            revisions += f'<w:ins w:id="{next(revision_ids)}" w:author={author} w:date={date} />'
        if index in marks["new"]:  # accepting removes it: a deleted mark
            revisions += f'<w:del w:id="{next(revision_ids)}" w:author={author} w:date={date} />'
        out.append(_with_mark_revisions(bodies[index], revisions) if revisions else bodies[index])
        position = match.end()
    out.append(xml[position:])
    # pandoc numbers every w:ins and w:del 1; Word wants each revision's id unique.
    return _REVISION_ID.sub(lambda m: f"{m.group(1)}{next(revision_ids)}{m.group(2)}", "".join(out))


def _containers(xml: str, paragraphs: list[re.Match]) -> list[list[int]]:
    """The paragraphs grouped by what holds them (the body, each footnote), in order."""
    groups: list[list[int]] = [[]]
    ends = [m.start() for m in _CONTAINER_END.finditer(xml)]
    end_index = 0
    for index, match in enumerate(paragraphs):
        while end_index < len(ends) and ends[end_index] < match.start():
            end_index += 1
            groups.append([])
        groups[-1].append(index)
    return [group for group in groups if group]


def _removed_marks(container: list[int], gone: set[int]) -> set[int]:
    """The paragraph marks one reading must remove so that exactly its paragraphs remain.

    A removed mark joins its paragraph to the next one, so a gone paragraph's
    mark goes. The last mark of a container cannot go (Word keeps it): when the
    last paragraph is gone, the mark of the last remaining one goes instead, and
    its text ends in the last mark.
    """
    removed = {index for index in container[:-1] if index in gone}
    if container[-1] in gone:
        remaining = [index for index in container if index not in gone]
        if remaining:
            removed.add(remaining[-1])
    return removed


def _with_mark_revisions(paragraph: str, revisions: str) -> str:
    """The revisions put first in the paragraph mark's run properties (w:pPr/w:rPr), as the schema orders them."""
    properties = re.search(r"<w:pPr>(.*?)</w:pPr>", paragraph, re.S)
    if properties is None:
        opening = re.match(r"<w:p(?: [^>]*)?>", paragraph)
        assert opening is not None
        return paragraph[: opening.end()] + f"<w:pPr><w:rPr>{revisions}</w:rPr></w:pPr>" + paragraph[opening.end() :]
    inner = properties.group(1)
    if "<w:rPr>" in inner:
        inner = inner.replace("<w:rPr>", "<w:rPr>" + revisions, 1)
    else:
        inner += f"<w:rPr>{revisions}</w:rPr>"
    return paragraph[: properties.start(1)] + inner + paragraph[properties.end(1) :]


# -- shared ------------------------------------------------------------------


def _raw(fmt: str, text: str) -> ast.Node:
    return {"t": "RawInline", "c": [fmt, text]}


def _replace_marks(
    blocks: list, mark: Callable[[str, list], list | None], marker: Callable[[str], list] | None = None
) -> list:
    """Every insertion and deletion span (and legend sample) through `mark` (None keeps it as it is),
    and every changed paragraph's marker through `marker` (without one, markers stay)."""

    def replace(node: ast.Node, _in_note: bool) -> list | None:
        if node["t"] != "Span":
            return None
        classes = node["c"][0][1]
        for change in (INSERTION, DELETION, LEGEND_INSERTION, LEGEND_DELETION):
            if change in classes:
                return mark(change, ast.replace_inlines(node["c"][1], replace))
        kind = next((c for c in classes if c in MARKER_CLASSES), None)
        if kind is not None and marker is not None:
            return marker(kind)
        return None

    return ast.replace_inlines(blocks, replace)


def _replace_marks_in_meta(
    meta: dict, mark: Callable[[str, list], list | None], marker: Callable[[str], list] | None = None
) -> dict:
    """The printed front-matter fields (title, subtitle, date) with their marks for this format."""
    return {
        key: {"t": "MetaInlines", "c": _replace_marks([value["c"]], mark, marker)[0]}
        for key, value in meta.items()
        if key in ("title", "subtitle", "date") and value["t"] == "MetaInlines"
    }


def _new_plain_metadata(redline: Redline) -> dict:
    """Metadata read as plain text (author, keywords): the new version's, never both versions run together."""
    return dict(reading(redline.document, "new")["meta"])


def _identifiers(document: dict) -> set[str]:
    return {node["c"][1][0] for node in ast.walk(document["blocks"]) if node["t"] == "Header"}
