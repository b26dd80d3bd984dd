"""What a redline says about itself: counts, changed sections, a legend, and the job summary's Markdown.

Pure: a `Redline` in, pandoc blocks (for the HTML and PDF redlines) or
Markdown (for a pull request's job summary) out.
"""

from __future__ import annotations

from . import pandoc_ast as ast
from .redline import CHANGED, DELETED, DELETION, INSERTED, INSERTION, MARKER_CLASSES, Change, Redline
from .sigdiff import markdown_text

# The legend's samples are styled like the marks but are not marks: only
# changes are <ins> and <del> in the HTML.
LEGEND_INSERTION, LEGEND_DELETION = "legend-insertion", "legend-deletion"
# Words of unchanged text kept on each side of a change in the job summary.
CONTEXT_WORDS = 8
MAX_LISTED = 50
_PARTS = {"footnote": "in a footnote", "signatories": "signatories", "annex": "annex", "front matter": "title block"}


def _plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else (many or one + 's')}"


def counts_sentence(redline: Redline) -> str:
    """ "3 paragraphs changed, 1 inserted and 1 deleted; 12 words inserted and 9 deleted.", or that nothing changed."""
    if not redline.changes:
        return "No changes."
    kinds = [change.kind for change in redline.changes]
    paragraphs = (
        f"{_plural(kinds.count(CHANGED), 'paragraph')} changed, "
        f"{kinds.count(INSERTED)} inserted and {kinds.count(DELETED)} deleted"
    )
    words = f"{_plural(redline.words_inserted, 'word')} inserted and {redline.words_deleted} deleted"
    return f"{paragraphs}; {words}."


def changed_sections(redline: Redline) -> list[tuple[str, str, int]]:
    """(heading id, heading text, changes) for each section with a change, in reading order."""
    sections: dict[tuple[str, str], int] = {}
    for change in redline.changes:
        key = (change.section_id, change.section_title or "Before the first heading")
        sections[key] = sections.get(key, 0) + 1
    return [(section_id, title, count) for (section_id, title), count in sections.items()]


def summary_blocks(redline: Redline, compared_with: str, linkable: set[str]) -> list[ast.Node]:
    """The box at the top of the HTML and PDF redlines: what was compared, the counts, the legend, the sections.

    `linkable` holds the ids a link may point to in that output.
    """
    heading = [{"t": "Strong", "c": ast.text_inlines("Redline")}, {"t": "Space"}]
    heading += ast.text_inlines(f"against {compared_with}: ")
    if not redline.changes:
        body = [ast.para(heading + ast.text_inlines("No changes: the text is the same in both versions."))]
        return [ast.div(body, classes=("redline-summary",))]
    legend = [
        *ast.text_inlines("Inserted text is "),
        ast.span(ast.text_inlines("underlined"), classes=(LEGEND_INSERTION,)),
        *ast.text_inlines(", deleted text is "),
        ast.span(ast.text_inlines("struck through"), classes=(LEGEND_DELETION,)),
        *ast.text_inlines(". A bar beside a paragraph marks it edited, inserted (a double bar) or deleted (dotted)."),
    ]
    items = []
    for section_id, title, count in changed_sections(redline):
        name = ast.text_inlines(title)
        label = [ast.link(name, "#" + section_id)] if section_id in linkable else name
        items.append([ast.plain([*label, *ast.text_inlines(f" — {_plural(count, 'change')}")])])
    body = [
        ast.para(heading + ast.text_inlines(counts_sentence(redline))),
        ast.para(legend),
        ast.para(ast.text_inlines("Changed sections:")),
        ast.bullet_list(items),
    ]
    return [ast.div(body, classes=("redline-summary",))]


def changes_markdown(redline: Redline, compared_with: str) -> str:
    """The changed paragraphs for a pull request's job summary, with <ins> and <del>, unchanged text shortened."""
    lines = [f"### Text changes since `{compared_with}`", "", counts_sentence(redline)]
    for change in redline.changes[:MAX_LISTED]:
        where = change.section_title or "Before the first heading"
        part = f" ({_PARTS[change.part]})" if change.part in _PARTS else ""
        lines += ["", f"- **{markdown_text(where)}**{part} — {_paragraph_markdown(change)}"]
    if len(redline.changes) > MAX_LISTED:
        lines += ["", f"… and {len(redline.changes) - MAX_LISTED} more: see the redline in the artifact."]
    return "\n".join(lines) + "\n"


def _paragraph_markdown(change: Change) -> str:
    segments: list[tuple[str, str]] = []
    _segments(change.inlines, "", segments)
    out = []
    for index, (status, text) in enumerate(segments):
        if status:
            tag = "ins" if status == INSERTION else "del"
            out.append(f"<{tag}>{_escaped(text)}</{tag}>")
            continue
        words = text.split(" ")
        after_change, before_change = index > 0, index < len(segments) - 1
        keep_start = CONTEXT_WORDS if after_change else 0
        keep_end = CONTEXT_WORDS if before_change else 0
        if len(words) > keep_start + keep_end + 1:
            pieces = [" ".join(words[:keep_start])] if keep_start else []
            pieces += ["…"] + ([" ".join(words[len(words) - keep_end :])] if keep_end else [])
            text = " ".join(pieces)
        out.append(_escaped(text))
    return "".join(out).strip()


def _segments(nodes: list, status: str, out: list[tuple[str, str]]) -> None:
    """Marked inlines as (status, text) runs; a footnote shows as its marker, its changes are listed on their own."""
    for node in nodes:
        kind = node["t"]
        if kind == "Span":
            classes = node["c"][0][1]
            if any(marker in classes for marker in MARKER_CLASSES):
                continue
            inner = INSERTION if INSERTION in classes else DELETION if DELETION in classes else status
            _segments(node["c"][1], inner, out)
            continue
        if kind in ("Link", "Quoted"):
            _segments(node["c"][1], status, out)
            continue
        if kind in ("Emph", "Strong", "Underline", "Strikeout", "Superscript", "Subscript", "SmallCaps"):
            _segments(node["c"], status, out)
            continue
        text = "[note]" if kind == "Note" else ast.stringify(node)
        if out and out[-1][0] == status:
            out[-1] = (status, out[-1][1] + text)
        else:
            out.append((status, text))


def _escaped(text: str) -> str:
    """Untrusted text, safe in Markdown and in the inline HTML around it."""
    return markdown_text(text)
