"""Each verification must fail on a sabotaged output, and pass on the real one."""

from __future__ import annotations

import copy
import json
import os
import re
import unicodedata
import zipfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter
from pypdf.generic import NameObject

from declaration_pipeline import forked, render, verify
from declaration_pipeline.pandoc_ast import replace_inlines, stringify, text_inlines
from declaration_pipeline.pdf_structure import structure_elements
from declaration_pipeline.verify import _MAYBE_COMPLEX, STRAIGHT_QUOTES, read_pdf, squash, verify_output

FORMATS = ("html", "docx", "pdf")
RENDER = {"html": render.render_html, "docx": render.render_docx, "pdf": render.render_pdf}


@pytest.fixture(scope="module")
def document(built_project: Path) -> dict:
    return json.loads((built_project / "build" / "declaration.json").read_text(encoding="utf-8"))


def codes(built_project: Path, fmt: str, document: dict, output: Path) -> set[str]:
    return {d.code for d in verify_output(fmt, built_project, document, output)}


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_real_outputs_verify_clean(built_project: Path, document: dict, fmt: str) -> None:
    assert verify_output(fmt, built_project, document, built_project / "build" / f"declaration.{fmt}") == []


def _without_first_organization(document: dict) -> dict:
    sabotaged = copy.deepcopy(document)
    for block in sabotaged["blocks"]:
        if block["t"] == "Div" and "organizations" in block["c"][0][1]:
            bullet_list = next(b for b in block["c"][1] if b["t"] == "BulletList")
            bullet_list["c"].pop(0)
            return sabotaged
    raise AssertionError("no organization list")


def _footnotes_as_plain_text(document: dict) -> dict:
    blocks = replace_inlines(
        document["blocks"],
        lambda node, _in_note: text_inlines(" " + stringify(node["c"])) if node["t"] == "Note" else None,
    )
    return {**document, "blocks": blocks}


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_removed_signatory_is_caught(built_project: Path, document: dict, fmt: str, tmp_path: Path) -> None:
    output = tmp_path / f"declaration.{fmt}"
    RENDER[fmt](_without_first_organization(document), output)
    assert "verify-signatory" in codes(built_project, fmt, document, output)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_footnote_turned_into_plain_text_is_caught(
    built_project: Path, document: dict, fmt: str, tmp_path: Path
) -> None:
    output = tmp_path / f"declaration.{fmt}"
    RENDER[fmt](_footnotes_as_plain_text(document), output)
    assert "verify-footnote" in codes(built_project, fmt, document, output)


def test_an_unembedded_font_is_caught(built_project: Path, document: dict, tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=PdfReader(built_project / "build" / "declaration.pdf"))
    for page in writer.pages:
        for font in page["/Resources"]["/Font"].values():
            for face in font.get_object().get("/DescendantFonts", [font]):
                descriptor = face.get_object()["/FontDescriptor"].get_object()
                for key in ("/FontFile", "/FontFile2", "/FontFile3"):
                    descriptor.pop(key, None)
    output = tmp_path / "declaration.pdf"
    with output.open("wb") as handle:
        writer.write(handle)
    assert "verify-font-embedded" in codes(built_project, "pdf", document, output)


def _sabotaged_html(built_project: Path, tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    html = (built_project / "build" / "declaration.html").read_text(encoding="utf-8")
    output = tmp_path / "declaration.html"
    output.write_text(change(html), encoding="utf-8")
    return output


def test_an_external_stylesheet_is_caught(built_project: Path, document: dict, tmp_path: Path) -> None:
    output = _sabotaged_html(
        built_project,
        tmp_path,
        lambda html: html.replace("</head>", '<link rel="stylesheet" href="https://cdn.example.org/x.css">\n</head>'),
    )
    assert "verify-external-resource" in codes(built_project, "html", document, output)


def test_a_broken_internal_link_is_caught(built_project: Path, document: dict, tmp_path: Path) -> None:
    output = _sabotaged_html(
        built_project, tmp_path, lambda html: html.replace('href="#ref-ayvazyan2019"', 'href="#ref-nowhere"', 1)
    )
    assert "verify-links" in codes(built_project, "html", document, output)


@pytest.mark.parametrize(
    ("sabotage", "message"),
    [
        (lambda html: html.replace("</h1>", "</h1></section>", 1), "Unexpected end tag"),
        (lambda html: re.sub(r"^<!DOCTYPE html>", "", html), "<!DOCTYPE html>"),
        (lambda html: html.replace('id="fnref1"', 'id="fn1"', 1), 'id "fn1" is used 2 times'),
    ],
)
def test_html_that_is_not_well_formed_is_caught(
    built_project: Path, document: dict, tmp_path: Path, sabotage, message: str
) -> None:  # type: ignore[no-untyped-def]
    assert (built_project / "build" / "declaration.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    output = _sabotaged_html(built_project, tmp_path, sabotage)
    problems = [d for d in verify_output("html", built_project, document, output) if d.code == "verify-html-parse"]
    assert any(message in d.message for d in problems), problems


def test_a_missing_footnote_backlink_is_caught(built_project: Path, document: dict, tmp_path: Path) -> None:
    output = _sabotaged_html(
        built_project, tmp_path, lambda html: re.sub(r'<a href="#fnref1"[^>]*>.*?</a>', "", html, count=1)
    )
    assert "verify-footnote" in codes(built_project, "html", document, output)


def test_a_docx_without_its_footnotes_part_is_caught(built_project: Path, document: dict, tmp_path: Path) -> None:
    output = tmp_path / "declaration.docx"
    with (
        zipfile.ZipFile(built_project / "build" / "declaration.docx") as original,
        zipfile.ZipFile(output, "w") as copy_,
    ):
        for item in original.infolist():
            if item.filename != "word/footnotes.xml":
                copy_.writestr(item, original.read(item))
    found = codes(built_project, "docx", document, output)
    assert found & {"verify-docx-footnotes", "verify-docx-unreadable"}
    assert "verify-footnote" in found or "verify-docx-unreadable" in found


def _sabotaged_docx(built_project: Path, tmp_path: Path, part: str, change) -> Path:  # type: ignore[no-untyped-def]
    output = tmp_path / "declaration.docx"
    with (
        zipfile.ZipFile(built_project / "build" / "declaration.docx") as original,
        zipfile.ZipFile(output, "w") as copy_,
    ):
        for item in original.infolist():
            data = original.read(item)
            copy_.writestr(item, change(data.decode("utf-8")).encode("utf-8") if item.filename == part else data)
    return output


def test_a_docx_dated_1970_is_caught(built_project: Path, document: dict, tmp_path: Path) -> None:
    output = _sabotaged_docx(
        built_project,
        tmp_path,
        "docProps/core.xml",
        lambda xml: xml.replace("2024-10-01T00:00:00Z", "1970-01-01T00:00:00Z"),
    )
    assert "verify-docx-date" in codes(built_project, "docx", document, output)


def test_a_docx_without_page_numbers_is_caught(built_project: Path, document: dict, tmp_path: Path) -> None:
    output = _sabotaged_docx(
        built_project, tmp_path, "word/document.xml", lambda xml: re.sub(r"<w:footerReference [^>]*/>", "", xml)
    )
    assert "verify-docx-page-numbers" in codes(built_project, "docx", document, output)


def test_docx_links_in_pandocs_colour_without_underline_are_caught(
    built_project: Path, document: dict, tmp_path: Path
) -> None:
    def pandoc_default(xml: str) -> str:
        return re.sub(
            r'(w:styleId="Hyperlink"[^>]*>.*?<w:rPr>).*?(</w:rPr>)',
            r'\1<w:color w:val="4F81BD"/>\2',
            xml,
            count=1,
            flags=re.S,
        )

    output = _sabotaged_docx(built_project, tmp_path, "word/styles.xml", pandoc_default)
    problems = [
        d.message for d in verify_output("docx", built_project, document, output) if d.code == "verify-docx-links"
    ]
    assert len(problems) == 2 and "4.03:1" in problems[0]


def _sabotaged_pdf(built_project: Path, tmp_path: Path, change) -> Path:  # type: ignore[no-untyped-def]
    writer = PdfWriter(clone_from=PdfReader(built_project / "build" / "declaration.pdf"))
    change(writer)
    output = tmp_path / "declaration.pdf"
    with output.open("wb") as handle:
        writer.write(handle)
    return output


def _retag_first(tag: str, new_tag: str):  # type: ignore[no-untyped-def]
    def change(writer: PdfWriter) -> None:
        root = writer.root_object["/StructTreeRoot"]
        element = next(e for e in structure_elements(root) if e["/S"] == tag)
        element[NameObject("/S")] = NameObject(new_tag)

    return change


@pytest.mark.parametrize(
    ("tag", "new_tag", "code"),
    [
        ("/H2", "/H3", "verify-pdf-headings"),
        ("/Link", "/Span", "verify-pdf-link-tags"),
        ("/Note", "/Span", "verify-footnote"),
    ],
)
def test_a_pdf_structure_element_retagged_is_caught(
    built_project: Path, document: dict, tmp_path: Path, tag: str, new_tag: str, code: str
) -> None:
    output = _sabotaged_pdf(built_project, tmp_path, _retag_first(tag, new_tag))
    assert code in codes(built_project, "pdf", document, output)


def test_a_pdf_link_without_a_description_is_caught(built_project: Path, document: dict, tmp_path: Path) -> None:
    def undescribed(writer: PdfWriter) -> None:
        annotation = writer.pages[0]["/Annots"][0].get_object()
        del annotation["/Contents"]

    output = _sabotaged_pdf(built_project, tmp_path, undescribed)
    assert "verify-pdf-link-tags" in codes(built_project, "pdf", document, output)


def test_page_numbers_read_as_text_are_caught(built_project: Path, document: dict, tmp_path: Path) -> None:
    def furniture_as_text(writer: PdfWriter) -> None:
        for page in writer.pages:
            contents = page.get_contents()
            contents.set_data(contents.get_data().replace(b"/Artifact", b"/Span"))
            page.replace_contents(contents)

    output = _sabotaged_pdf(built_project, tmp_path, furniture_as_text)
    messages = [
        d.message for d in verify_output("pdf", built_project, document, output) if d.code == "verify-pdf-artifact"
    ]
    assert any("footer is read as text" in message for message in messages)


def test_an_annex_that_is_not_a_list_in_the_pdf_is_caught(
    built_project: Path, document: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(render, "annex_as_term_items", lambda blocks: blocks)  # entries as plain blocks, as before
    output = tmp_path / "declaration.pdf"
    render.render_pdf(document, output)
    messages = [d.message for d in verify_output("pdf", built_project, document, output) if d.code == "verify-annex"]
    assert len(messages) == 13 and all("is not a list item" in message for message in messages)


def test_a_structure_tree_with_more_elements_than_pypdfs_default_limit_is_read(tmp_path: Path) -> None:
    """At 100,000 signatories one array of the structure tree holds every name: pypdf refuses that by default."""
    from pypdf.generic import ArrayObject, DictionaryObject, NameObject, NumberObject

    from declaration_pipeline.verify import read_pdf

    writer = PdfWriter()
    writer.add_blank_page(595.28, 841.89)
    # one paragraph, then 100,000 more marked-content ids than pypdf's default allows in one array
    paragraph = writer._add_object(DictionaryObject({NameObject("/S"): NameObject("/P")}))
    tree = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/StructTreeRoot"),
            NameObject("/K"): ArrayObject([paragraph] + [NumberObject(0)] * 100_001),
        }
    )
    writer._root_object[NameObject("/StructTreeRoot")] = writer._add_object(tree)
    pdf = tmp_path / "many.pdf"
    with pdf.open("wb") as handle:
        writer.write(handle)
    extracted = read_pdf(pdf, {"meta": {}, "blocks": []})
    assert "verify-pdf-unreadable" not in {d.code for d in extracted.problems}
    assert len(extracted.blocks) == 1


def test_the_quick_test_for_complex_text_misses_no_right_to_left_or_indic_letter() -> None:
    missed = [
        hex(ord(c))
        for c in map(chr, range(0x110000))
        if (unicodedata.bidirectional(c) in ("R", "AL") or "\u0900" <= c <= "\u0dff") and not _MAYBE_COMPLEX.search(c)
    ]
    assert missed == []


def _squash_by_every_character(text: str) -> str:
    """squash as first written: every character's category asked."""
    kept = "".join(c for c in unicodedata.normalize("NFKC", text) if unicodedata.category(c) not in ("Cf", "Cc"))
    return re.sub(r"[\s\-\u2010\u2011\u00a0\ufffe]+", "", kept.translate(STRAIGHT_QUOTES))


@given(st.text())
def test_squash_with_its_fast_path_removes_what_it_removed_before(text: str) -> None:
    assert squash(text) == _squash_by_every_character(text)


def _pages_read_by(monkeypatch: pytest.MonkeyPatch, record: Path) -> None:
    """Record which process reads which pages: "pid first-page" per reading."""
    reading = verify._page_content

    def recorded(path, page_numbers, indices=None):  # type: ignore[no-untyped-def]
        with record.open("a") as file:
            file.write(f"{os.getpid()} {indices.start if indices else 0}\n")
        return reading(path, page_numbers, indices)

    monkeypatch.setattr(verify, "_page_content", recorded)


def _readings(record: Path) -> list[tuple[int, int]]:
    """(first page, pid) of each reading, in page order."""
    return sorted((int(start), int(pid)) for pid, start in (line.split() for line in record.read_text().splitlines()))


def test_a_long_pdf_read_in_two_processes_reads_as_in_one(
    built_project: Path, document: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(verify, "PAGES_FOR_A_SECOND_PROCESS", 2)  # the repository's PDF is short
    pdf = built_project / "build" / "declaration.pdf"
    alone = read_pdf(pdf, document, processes=1)
    _pages_read_by(monkeypatch, tmp_path / "readings")
    shared = read_pdf(pdf, document, processes=2)
    assert shared == alone
    assert len(alone.text) > 10_000 and alone.blocks and not alone.problems
    (first, here), (later, there) = _readings(tmp_path / "readings")
    assert first == 0 and here == os.getpid()
    assert later > 0 and there != os.getpid()  # the later pages, in the second process


def test_the_later_pages_are_read_here_if_the_second_process_dies(
    built_project: Path, document: dict, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(verify, "PAGES_FOR_A_SECOND_PROCESS", 2)
    pdf = built_project / "build" / "declaration.pdf"
    alone = read_pdf(pdf, document, processes=1)
    monkeypatch.setattr(forked.Forked, "_compute", lambda self, sending: os._exit(1))
    _pages_read_by(monkeypatch, tmp_path / "readings")
    assert read_pdf(pdf, document, processes=2) == alone
    (first, here), (later, also_here) = _readings(tmp_path / "readings")
    assert first == 0 and later > 0 and here == also_here == os.getpid()
