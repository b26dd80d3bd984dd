"""The writers: the assembled document to HTML, DOCX and PDF.

pandoc (pandoc.py) writes HTML, DOCX and Typst markup; Typst (typst.py)
compiles the markup; every output is written atomically (atomic_files.py).
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import unicodedata
from collections.abc import Callable
from importlib import resources
from pathlib import Path

from . import pandoc
from . import pandoc_ast as ast
from .assembled_document import ANNEX_LABEL, SIGNATORY_LIST, SIGNATORY_SECTION, document_epoch, is_signatory_list
from .atomic_files import remove_stale_partials, temporary_path, write_atomically
from .docx_package import SIGNATORY_STYLE, finish_docx, reference_docx
from .language import DEFAULT_LANG, language_and_region
from .pandoc_ast import meta_text, raw_block, replace_inlines, stringify
from .typst import character_widths, compile_typst

TEMPLATES = resources.files(__package__) / "templates"


def template_path(name: str) -> Path:
    return Path(str(TEMPLATES / name))


def render_html(document: dict, output: Path) -> None:
    remove_stale_partials(output)
    template = template_path("declaration.html")
    apart, lists = signatory_lists_apart(document, "html", _html_list)
    page = pandoc.write_format(
        apart,
        "html5",
        f"{output}: writing HTML",
        args=(
            "--standalone",
            "--template",
            str(template),
            "--shift-heading-level-by=1",
            "--section-divs",
            "--wrap=none",
            # Formulas as MathML, which browsers draw themselves: no script, no web font.
            "--mathml",
        ),
        source_date_epoch=document_epoch(document),
        remember_as="html",
        reads=(template,),
    )
    page = name_html_notes(page, meta_text(document["meta"], "notes-title") or "Notes")
    write_atomically(output, lists_put_back(page, lists))


# pandoc's notes section: no heading (so heading navigation puts the notes inside
# the annex), and back-links whose only name is "↩︎".
_HTML_NOTES_SECTION = re.compile(rb'(<section id="footnotes" [^>]*role="doc-endnotes")>\n<hr />')
_HTML_BACK_LINK = re.compile(rb'<a href="#fnref(\d+)" class="footnote-back" role="doc-backlink">')


def name_html_notes(page: bytes, title: str) -> bytes:
    """The notes section with a visible heading, and each back-link named "Back to note N"."""
    heading = f'<h2 id="notes-title">{html.escape(title)}</h2>'.encode()
    page, sections = _HTML_NOTES_SECTION.subn(
        lambda match: match[1] + b' aria-labelledby="notes-title">\n' + heading, page
    )
    assert sections <= 1, "pandoc wrote more than one notes section"
    return _HTML_BACK_LINK.sub(
        rb'<a href="#fnref\1" class="footnote-back" role="doc-backlink" aria-label="Back to note \1">', page
    )


def render_docx(document: dict, output: Path, reference: Path | None = None) -> None:
    """The DOCX, styled from `reference` (write_reference_docx's), or without it from one written for it alone."""
    remove_stale_partials(output)
    apart, lists = signatory_lists_apart(document, "openxml", _openxml_list)
    with contextlib.ExitStack() as written_here:
        if reference is None:
            reference = written_here.enter_context(temporary_path(output, ".reference.docx"))
            reference.write_bytes(reference_docx())
        package = pandoc.write_format(
            apart,
            "docx",
            f"{output}: writing DOCX",
            args=("--reference-doc", str(reference), "--output", "-"),
            source_date_epoch=document_epoch(document),
            remember_as="docx",
            reads=(reference,),
        )
    write_atomically(output, finish_docx(package, document_epoch(document), lambda xml: lists_put_back(xml, lists)))


def write_reference_docx(output: Path) -> None:
    """The reference document every DOCX of a build is styled from: written once, by a task of its own, so that
    a clean build makes it while the sources are checked rather than on the way to the DOCX (0.04 s)."""
    remove_stale_partials(output)
    write_atomically(output, reference_docx())


def signatory_lists_as_raw(document: dict, raw_format: str, markup: Callable[[list[list]], str]) -> dict:
    """The document with each signatory list of plain names as one raw block of `raw_format`.

    pandoc's writers take about 0.1 ms per list item, a second at 10,000 names,
    where writing the same markup here takes a few milliseconds. `markup` gets
    each item's inlines. A list whose items hold more than text (a redline's
    marks) is left to pandoc.
    """

    def as_raw(child: dict) -> dict:
        lines = [_plain_item(item) for item in child["c"]] if child["t"] == "BulletList" else [None]
        return raw_block(raw_format, markup(lines)) if None not in lines else child

    def with_raw_lists(block: dict) -> dict:
        if not is_signatory_list(block):
            return block
        return {"t": "Div", "c": [block["c"][0], [as_raw(child) for child in block["c"][1]]]}

    return {**document, "blocks": [with_raw_lists(block) for block in document["blocks"]]}


def signatory_lists_apart(
    document: dict, raw_format: str, markup: Callable[[list[list]], str]
) -> tuple[dict, list[tuple[bytes, bytes]]]:
    """signatory_lists_as_raw's document with a placeholder where each raw list would be, and each
    placeholder with its list's markup, for `lists_put_back` to splice into what the writer made of it.

    The placeholder is an XML comment, which both writers copy as they find it and
    no text of the sources can become (they escape "<"). pandoc never sees the
    names, so a build in which only signatories changed asks it what the last one
    asked, and takes the answer pandoc.py kept.
    """
    lists: list[tuple[bytes, bytes]] = []

    def placeholder(lines: list[list]) -> str:
        mark = f"<!--signatory-list-{len(lists)}-->"
        lists.append((mark.encode(), markup(lines).encode("utf-8")))
        return mark

    return signatory_lists_as_raw(document, raw_format, placeholder), lists


def lists_put_back(output: bytes, lists: list[tuple[bytes, bytes]]) -> bytes:
    """The writer's output with each list wherever the writer put its placeholder (as it would the raw list
    itself: a template without $body$ drops them, and verification says what is missing)."""
    for placeholder, markup in lists:
        output = output.replace(placeholder, markup)
    return output


def _plain_item(item: list) -> list | None:
    """A list item's inlines when it is one line of text and class-only spans, else None."""
    if len(item) != 1 or item[0]["t"] != "Plain":
        return None
    return item[0]["c"] if all(_plain_inline(inline) for inline in item[0]["c"]) else None


def _plain_inline(inline: dict) -> bool:
    if inline["t"] in ("Str", "Space"):
        return True
    if inline["t"] != "Span":
        return False
    (identifier, _classes, attributes), content = inline["c"]
    return not identifier and not attributes and all(_plain_inline(child) for child in content)


def _html_list(lines: list[list]) -> str:
    """What pandoc's HTML writer makes of the list (tests/test_signatory_writers.py compares them)."""
    return "<ul>\n" + "".join(f"<li>{_html_inlines(line)}</li>\n" for line in lines) + "</ul>"


def _html_inlines(inlines: list) -> str:
    parts = []
    for inline in inlines:
        if inline["t"] == "Str":
            parts.append(html.escape(inline["c"], quote=False))
        elif inline["t"] == "Space":
            parts.append(" ")
        else:
            classes = inline["c"][0][1]
            opening = f'<span class="{html.escape(" ".join(classes))}">' if classes else "<span>"
            parts.append(opening + _html_inlines(inline["c"][1]) + "</span>")
    return "".join(parts)


# Characters XML 1.0 does not allow, which a YAML escape can put in a name.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _openxml_list(lines: list[list]) -> str:
    """One Word paragraph a name, in the reference document's Signatory style (a hanging indent, as in print)."""
    paragraphs = []
    for line in lines:
        text = _NOT_XML.sub("", stringify(line))
        runs = (
            "".join(
                # Soft hyphens (where a word may break) as pandoc writes them: a run of them counts once,
                # and none ends a word.
                ("<w:r><w:softHyphen/></w:r>" if index else "") + _openxml_run(part)
                for piece in re.split(r"( )", text)
                for index, part in enumerate(re.split("\u00ad+", piece))
                if part
            )
            if "\u00ad" in text
            else _openxml_run(text)
        )
        paragraphs.append(f'<w:p><w:pPr><w:pStyle w:val="{SIGNATORY_STYLE}"/></w:pPr>{runs}</w:p>')
    return "\n".join(paragraphs)


def _openxml_run(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{html.escape(text, quote=False)}</w:t></w:r>'


_TYPST_LINE_START_MARKUP = re.compile(r"[=+\-/]|\d+\.")


def protect_typst_line_starts(blocks: list) -> list:
    """Escape Typst markup that a list item's first word would otherwise start.

    pandoc escapes "=", "+", "-", "/" and "1." at the start of a paragraph, but not
    at the start of a list item, so a signatory called "+" or "= Foundation" would
    become a nested list or a heading in the PDF.
    """

    def protect_items(items: list) -> list:
        protected = []
        for item in items:
            if item and item[0]["t"] in ("Plain", "Para"):
                item = [{**item[0], "c": escape_leading_markup(item[0]["c"])}, *item[1:]]
            protected.append(protect_typst_line_starts(item))
        return protected

    result = []
    for block in blocks:
        kind = block["t"]
        if kind == "BulletList":
            block = {"t": kind, "c": protect_items(block["c"])}
        elif kind == "OrderedList":
            block = {"t": kind, "c": [block["c"][0], protect_items(block["c"][1])]}
        elif kind == "Div":
            block = {"t": kind, "c": [block["c"][0], protect_typst_line_starts(block["c"][1])]}
        elif kind == "BlockQuote":
            block = {"t": kind, "c": protect_typst_line_starts(block["c"])}
        result.append(block)
    return result


def escape_leading_markup(inlines: list) -> list:
    """The inlines with a markup-starting first character escaped, looking into spans."""
    if not inlines:
        return inlines
    first = inlines[0]
    if first["t"] == "Str" and _TYPST_LINE_START_MARKUP.match(first["c"]):
        escaped = [{"t": "RawInline", "c": ["typst", "\\" + first["c"][0]]}]
        if first["c"][1:]:
            escaped.append({"t": "Str", "c": first["c"][1:]})
        return escaped + inlines[1:]
    if first["t"] in ("Emph", "Strong", "Underline", "SmallCaps", "Strikeout"):
        return [{"t": first["t"], "c": escape_leading_markup(first["c"])}, *inlines[1:]]
    if first["t"] in ("Span", "Link"):
        content = list(first["c"])
        content[1] = escape_leading_markup(content[1])
        return [{"t": first["t"], "c": content}, *inlines[1:]]
    return inlines


# Typst shorthands pandoc's Typst writer does not escape in text: "-1" (a minus
# sign, also after a sign such as ":" or "("; escaped everywhere, as "\-" prints "-"),
# "..." (an ellipsis) and "-?" (a soft hyphen). Found by the property test.
_TYPST_SHORTHAND = re.compile(r"-(?=\d)|\.(?=\.\.)|-(?=\?)")


def typst_inlines(blocks: list) -> list:
    """The inlines as the Typst writer must get them, in one rebuild of the tree: literal text kept
    literal (`_shorthands_escaped`), each formula with its alternative text (`_with_alt_text`)."""

    def fixed(node: dict, _in_note: bool) -> list | None:
        kind = node["t"]
        if kind == "Str":
            return _shorthands_escaped(node["c"])
        if kind == "Math":
            return _with_alt_text(node)
        return None

    return replace_inlines(blocks, fixed)


def _shorthands_escaped(text: str) -> list | None:
    """The text with the first character of each shorthand escaped; None when it has none."""
    if not _TYPST_SHORTHAND.search(text):
        return None
    pieces: list[dict] = []
    position = 0
    for match in _TYPST_SHORTHAND.finditer(text):
        if match.start() > position:
            pieces.append({"t": "Str", "c": text[position : match.start()]})
        pieces.append({"t": "RawInline", "c": ["typst", "\\" + text[match.start()]]})
        position = match.start() + 1
    if position < len(text):
        pieces.append({"t": "Str", "c": text[position:]})
    return pieces


def annex_as_term_items(blocks: list) -> list:
    """The annex entries as Typst term items, for the PDF: its structure tree then holds a list (L, LI)
    whose items are labelled by author and year (Lbl "Ayvazyan, K. (2019).", LBody the rest), as the web
    page's annex is a list. The entry's anchor labels its item, where citations link to.

    A raw call, since pandoc's own term lists put each description in a block, on a line of its own.
    """

    def as_item(block: dict) -> dict:
        if block["t"] != "Div" or "reference" not in block["c"][0][1]:
            return block
        identifier, inlines = block["c"][0][0], block["c"][1][0]["c"]
        first = inlines[0] if inlines else {"t": "Space"}
        if first["t"] == "Span" and ANNEX_LABEL in first["c"][0][1] and len(inlines) > 2:
            label, rest = first["c"][1], inlines[2:]
        else:
            label, rest = inlines, []  # without a label the entry labels itself: never an empty Lbl
        return ast.plain([_raw_typst("#terms.item["), *label, _raw_typst("]["), *rest, _raw_typst(f"] <{identifier}>")])

    return [
        {"t": "Div", "c": [block["c"][0], [as_item(child) for child in block["c"][1]]]}
        if block["t"] == "Div" and "references" in block["c"][0][1]
        else block
        for block in blocks
    ]


def _raw_typst(markup: str) -> dict:
    return {"t": "RawInline", "c": ["typst", markup]}


def _with_alt_text(formula: dict) -> list:
    """The formula with its source as alternative text, which PDF/UA requires of every formula.

    Typst has no alt text in `$...$` syntax, so a scoped set rule carries it:
    `#[#set math.equation(alt: "x^2");$x^2$]`.
    """
    alt = formula["c"][1].replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "")
    return [
        {"t": "RawInline", "c": ["typst", f'#[#set math.equation(alt: "{alt}");']},
        formula,
        {"t": "RawInline", "c": ["typst", "]"]},
    ]


def signatory_data(blocks: list) -> tuple[int, int, dict[str, object]]:
    """Where the signatory section stands among the top-level blocks, and what the Typst template reads of it.

    The section is its heading followed by a heading and a Div for each list.
    Returns (start, end, data), data holding plain strings: the section's title
    and, for each list, its kind, title and names. (0, 0, ...) when there is none,
    or when a name holds more than text (a redline's marks): then pandoc's Typst
    writer prints the lists as it prints any list.
    """
    headings = [i for i, block in enumerate(blocks) if block["t"] == "Header" and block["c"][1][0] == SIGNATORY_SECTION]
    if not headings:
        return 0, 0, {"title": "", "lists": []}
    start = headings[0]
    lists = []
    end = start + 1
    while end + 1 < len(blocks) and _is_headed_signatory_list(blocks[end], blocks[end + 1]):
        heading, div = blocks[end], blocks[end + 1]
        items = next(block["c"] for block in div["c"][1] if block["t"] == "BulletList")
        if any(_plain_item(item) is None for item in items):
            return 0, 0, {"title": "", "lists": []}
        kind = next(c for c in div["c"][0][1] if c != SIGNATORY_LIST)
        lists.append({"kind": kind, "title": stringify(heading), "names": [stringify(item) for item in items]})
        end += 2
    return start, end, {"title": stringify(blocks[start]), "lists": lists}


def _is_headed_signatory_list(heading: dict, div: dict) -> bool:
    return heading["t"] == "Header" and is_signatory_list(div)


def typst_markup(document: dict, section: tuple[int, int, dict[str, object]] | None = None) -> str:
    """The Typst markup of the print edition, by pandoc, the signatory section left to the template.

    The template's `signatory-section()` stands for the section and lays out its
    lists from data (`document_inputs`): 100,000 names never pass through pandoc's
    Typst writer or its escaping.
    """
    blocks = list(document["blocks"])
    start, end, _lists = section or signatory_data(blocks)
    if end:
        blocks[start:end] = [raw_block("typst", "#signatory-section()")]
    blocks = typst_inlines(protect_typst_line_starts(annex_as_term_items(blocks)))
    document = {**document, "blocks": blocks}
    template = template_path("declaration.typ")
    return pandoc.write_format(
        document,
        "typst",
        "writing Typst markup",
        args=("--standalone", "--template", str(template), "--wrap=none"),
        remember_as="typst",
        reads=(template,),
    ).decode("utf-8")


def render_pdf(document: dict, output: Path, markup_output: Path | None = None) -> None:
    """The print PDF; `markup_output` also keeps the Typst markup, for previews and debugging.

    Typst runs in this process: what it needs is taken from the document first,
    so that a caller that keeps no reference of its own lets the document go
    (some 400 MB at 100,000 signatories) before Typst lays out the pages.
    """
    remove_stale_partials(output)
    section = signatory_data(document["blocks"])  # once, for the markup and the inputs
    markup = typst_markup(document, section)
    # One JSON text: the names' small strings go with the document (90 MB less at 100,000 names).
    epoch, inputs = document_epoch(document), json.dumps(document_inputs(document, section), ensure_ascii=False)
    del section
    del document
    pdf = compile_typst(markup, "pdf", f"{output}: Typst could not compile the PDF", timestamp=epoch, inputs=inputs)
    if markup_output is not None:
        write_atomically(markup_output, markup.encode("utf-8"))
    write_atomically(output, pdf)


def document_inputs(document: dict, section: tuple[int, int, dict[str, object]] | None = None) -> dict[str, object]:
    """What the Typst template reads through sys.inputs: plain strings, never markup."""
    meta = document["meta"]
    language, region = language_and_region(meta_text(meta, "lang") or DEFAULT_LANG)
    return {
        "author": [meta_text(meta, "author")] if meta_text(meta, "author") else [],
        "keywords": [k.strip() for k in (meta_text(meta, "keywords") or "").split(",") if k.strip()],
        "lang": language,
        **({"region": region} if region else {}),
        "signatories": with_estimated_widths((section or signatory_data(document["blocks"]))[2]),
    }


# The size of the signatory lists' text in print (the template's signatory-section() sets it from here).
SIGNATORY_TEXT_SIZE = 10


def with_estimated_widths(section: dict) -> dict:
    """The section's data with, for each name, a bound on its width in print, in points.

    The bound is the sum of each character's width alone (Typst measures every
    distinct character once): ligatures and most kerning narrow a name, and the
    little kerning that widens one stays far inside the 2 em the template keeps
    from a column's edge (tests/test_signatory_writers.py). With it come the
    names in order of it, widest first. The template takes a name well inside
    its column for one line without laying it out: at 100,000 names that saves
    Typst 300 MB and the time of 100,000 layouts. For scripts whose letters
    change shape together (Arabic, Hebrew, Indic marks) and invisible format
    characters there is no bound (None): the template measures those names.
    """
    lists = section["lists"]
    characters = {c for listed in lists for name in listed["names"] for c in name}
    widths = character_widths({c for c in characters if not _shaped_together(c)}, SIGNATORY_TEXT_SIZE)

    def bound(name: str) -> float | None:
        try:
            return round(sum(widths[c] for c in name), 2)
        except KeyError:
            return None

    def with_bounds(listed: dict) -> dict:
        bounds = [bound(name) for name in listed["names"]]
        # Widest first, those without a bound before all: the template stops at the first that fits.
        order = sorted(range(len(bounds)), key=lambda i: -(bounds[i] if bounds[i] is not None else float("inf")))
        return {**listed, "widths": bounds, "widest-first": order}

    return {**section, "size": SIGNATORY_TEXT_SIZE, "lists": [with_bounds(listed) for listed in lists]}


def _shaped_together(character: str) -> bool:
    category = unicodedata.category(character)
    return category[0] == "M" or category == "Cf" or unicodedata.bidirectional(character) in ("R", "AL", "AN")


def render_output(
    output_format: str,
    document: dict,
    output: Path,
    markup_output: Path | None = None,
    docx_reference: Path | None = None,
) -> None:
    """Write one output with its writer; the doit tasks and `doit serve` both come through here.

    `markup_output`: where the PDF's Typst markup is kept too; `docx_reference`: the DOCX's reference document.
    """
    if output_format == "pdf":
        # Handed over, not kept in this frame, so that render_pdf can let it go before Typst runs.
        handed_over = [document]
        del document
        render_pdf(handed_over.pop(), output, markup_output)
    elif output_format == "docx":
        render_docx(document, output, docx_reference)
    elif output_format == "html":
        render_html(document, output)
    else:
        raise ValueError(f"no writer for {output_format!r}")
