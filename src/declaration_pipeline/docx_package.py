"""The Word package: the reference document pandoc styles the DOCX from, and what pandoc leaves to finish.

The reference document is pandoc's own, changed to look like the print
edition: A4, a widely available serif, the print's accent colour, underlined links and page
numbers in the footer. After pandoc, the package gets the document's own date
in its core properties and the title block in the print's order. Both steps
are pure (bytes in, bytes out) and deterministic.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from datetime import datetime, timezone
from functools import cache

from lxml import etree

from . import pandoc

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_W = f"{{{W_NS}}}"
_NS = {"w": W_NS}

ACCENT = "1F3A5F"  # the print edition's accent (templates/declaration.typ): 11.5:1 on white
FOOTER_GREY = "595959"  # 7.0:1 on white
# The print's Libertinus Serif cannot travel with the file: Typst has it built in
# (no font file to embed), its releases are CFF OpenType, which Word does not
# embed, and a missing font named in a DOCX falls back to a sans in LibreOffice
# (DejaVu Sans, tried). Times New Roman is on every Word installation, and
# LibreOffice substitutes the metric-compatible Liberation Serif for it.
TEXT_FONT = "Times New Roman"

# A4 in twentieths of a point, with 25 mm margins; the schema wants these after footnotePr.
_A4_PAGE = (
    '<w:footerReference w:type="default" r:id="rIdPageNumbers"/>',
    '<w:pgSz w:w="11906" w:h="16838"/>',
    '<w:pgMar w:top="1418" w:right="1418" w:bottom="1418" w:left="1418" w:header="709" w:footer="709" w:gutter="0"/>',
)
FOOTER_PART = "word/footer-page-numbers.xml"
# "3 / 8" centred at the foot of every page, as in the PDF.
_FOOTER = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:ftr xmlns:w="{W_NS}"><w:p><w:pPr><w:pStyle w:val="Footer"/><w:jc w:val="center"/></w:pPr>\
<w:fldSimple w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>\
<w:r><w:t xml:space="preserve"> / </w:t></w:r>\
<w:fldSimple w:instr=" NUMPAGES "><w:r><w:t>1</w:t></w:r></w:fldSimple></w:p></w:ftr>
""".encode()
_FOOTER_RELATIONSHIP = (
    f'<Relationship Type="{R_NS}/footer" Id="rIdPageNumbers" Target="{FOOTER_PART.removeprefix("word/")}" />'
).encode()
_FOOTER_CONTENT_TYPE = (
    f'<Override PartName="/{FOOTER_PART}" '
    'ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml" />'
).encode()

# (style id, paragraph properties, run properties): what the print's look asks of each Word style.
_STYLES: tuple[tuple[str, str, str], ...] = (
    ("Normal", "", '<w:sz w:val="22"/><w:szCs w:val="22"/>'),
    ("BodyText", '<w:spacing w:before="0" w:after="160"/><w:jc w:val="both"/>', ""),
    ("Title", '<w:spacing w:after="240"/><w:jc w:val="left"/>', f'<w:b/><w:color w:val="{ACCENT}"/><w:sz w:val="40"/>'),
    # Subtitle and Date are based on Title: they undo its bold and colour where the print does.
    (
        "Subtitle",
        '<w:spacing w:after="440"/>',
        '<w:b w:val="0"/><w:i/><w:iCs/><w:color w:val="000000"/><w:spacing w:val="0"/><w:sz w:val="23"/>',
    ),
    (
        "Date",
        '<w:spacing w:after="120"/>',
        f'<w:b w:val="0"/><w:color w:val="{ACCENT}"/><w:spacing w:val="8"/><w:sz w:val="21"/>',
    ),
    ("Heading1", "", f'<w:b/><w:color w:val="{ACCENT}"/><w:sz w:val="28"/><w:szCs w:val="28"/>'),
    ("Heading2", "", f'<w:b/><w:color w:val="{ACCENT}"/><w:sz w:val="23"/><w:szCs w:val="23"/>'),
    ("Bibliography", '<w:spacing w:after="120"/><w:ind w:left="720" w:hanging="720"/>', '<w:sz w:val="20"/>'),
    ("Hyperlink", "", f'<w:color w:val="{ACCENT}"/><w:u w:val="single"/>'),
    ("FootnoteText", "", '<w:sz w:val="18"/><w:szCs w:val="18"/>'),
)
_FOOTER_STYLE = f"""<w:style xmlns:w="{W_NS}" w:type="paragraph" w:styleId="Footer"><w:name w:val="footer"/>\
<w:basedOn w:val="Normal"/><w:pPr><w:spacing w:after="0"/></w:pPr>\
<w:rPr><w:color w:val="{FOOTER_GREY}"/><w:sz w:val="17"/><w:szCs w:val="17"/></w:rPr></w:style>"""
# A signatory's name, as in print: wrapped lines indented 1 em under the first, more space between
# names than within one, never split across pages (render.py writes these paragraphs).
SIGNATORY_STYLE = "Signatory"
_SIGNATORY_STYLE = f"""<w:style xmlns:w="{W_NS}" w:type="paragraph" w:customStyle="1" w:styleId="{SIGNATORY_STYLE}">\
<w:name w:val="{SIGNATORY_STYLE}"/><w:basedOn w:val="Normal"/><w:qFormat/>\
<w:pPr><w:keepLines/><w:spacing w:before="0" w:after="80"/><w:ind w:left="220" w:hanging="220"/></w:pPr></w:style>"""
# Properties the schema (CT_PPr, CT_RPr) wants in this order; a style's own ones are merged into it.
_PPR_ORDER = ("keepNext", "keepLines", "numPr", "spacing", "ind", "contextualSpacing", "jc", "outlineLvl")
_RPR_ORDER = ("rFonts", "b", "bCs", "i", "iCs", "color", "spacing", "sz", "szCs", "u", "vertAlign", "lang")


@cache
def reference_docx() -> bytes:
    """pandoc's own reference.docx, restyled after the print edition (see the module docstring).

    pandoc stamps the default reference.docx with the current time, and some of
    its parts reach the output as they are: every entry gets a fixed date here.
    """
    original = zipfile.ZipFile(io.BytesIO(pandoc.default_data_file("reference.docx")))
    parts = {info.filename: original.read(info) for info in original.infolist()}
    parts["word/document.xml"] = _a4_with_page_numbers(parts["word/document.xml"])
    parts["word/styles.xml"] = _restyled(parts["word/styles.xml"])
    parts["word/theme/theme1.xml"] = _serif_theme(parts["word/theme/theme1.xml"])
    parts["word/_rels/document.xml.rels"] = parts["word/_rels/document.xml.rels"].replace(
        b"</Relationships>", _FOOTER_RELATIONSHIP + b"</Relationships>"
    )
    parts["[Content_Types].xml"] = parts["[Content_Types].xml"].replace(b"</Types>", _FOOTER_CONTENT_TYPE + b"</Types>")
    parts[FOOTER_PART] = _FOOTER
    return _zip(parts.items())


def finish_docx(package: bytes, epoch: int, finish_document_xml: Callable[[bytes], bytes] = lambda xml: xml) -> bytes:
    """pandoc's DOCX with its core dates set to the document's date, the title block in the print's order,
    and what `finish_document_xml` does to word/document.xml last (render.py puts the signatory lists in).

    pandoc --sandbox writes 1970-01-01 into the core properties whatever
    SOURCE_DATE_EPOCH says; it puts the date after the title and adds an author
    line the print does not have.
    """
    original = zipfile.ZipFile(io.BytesIO(package))
    parts = [(info, original.read(info)) for info in original.infolist()]
    finished = []
    for info, data in parts:
        if info.filename == "docProps/core.xml":
            data = _dated(data, epoch)
        elif info.filename == "word/document.xml":
            data = finish_document_xml(_print_title_block(data))
        finished.append((info, data))
    return _zip(finished)


def _zip(parts) -> bytes:  # type: ignore[no-untyped-def]
    """A zip with fixed entry dates and modes, whatever the clock and the umask."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as package:
        for name, data in parts:
            entry = zipfile.ZipInfo(getattr(name, "filename", name), date_time=(1980, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            package.writestr(entry, data)
    return buffer.getvalue()


def _xml(data: bytes) -> etree._Element:
    return etree.fromstring(data, etree.XMLParser(remove_blank_text=False, resolve_entities=False))


def _serialised(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _fragment(xml: str) -> list[etree._Element]:
    return list(_xml(f'<w:x xmlns:w="{W_NS}" xmlns:r="{R_NS}">{xml}</w:x>'.encode()))


def _a4_with_page_numbers(document: bytes) -> bytes:
    root = _xml(document)
    section = root.find("w:body/w:sectPr", _NS)
    assert section is not None, "pandoc's reference.docx changed: no section properties"
    for old in section.findall("w:pgSz", _NS) + section.findall("w:pgMar", _NS):
        section.remove(old)
    footer, size, margins = _fragment("".join(_A4_PAGE))
    section.insert(0, footer)  # a footerReference comes first in sectPr
    section.extend([size, margins])
    return _serialised(root)


def _restyled(styles: bytes) -> bytes:
    root = _xml(styles)
    for style_id, paragraph, run in _STYLES:
        style = root.find(f"w:style[@w:styleId='{style_id}']", _NS)
        assert style is not None, f"pandoc's reference.docx changed: no {style_id} style"
        if paragraph:
            _merge_properties(style, "pPr", _fragment(paragraph), _PPR_ORDER)
        _merge_properties(style, "rPr", _fragment(run), _RPR_ORDER)
    root.append(_xml(_FOOTER_STYLE.encode()))
    root.append(_xml(_SIGNATORY_STYLE.encode()))
    return _serialised(root)


def _merge_properties(style: etree._Element, kind: str, new: list[etree._Element], order: tuple[str, ...]) -> None:
    """Set each of `new` in the style's pPr or rPr, replacing one of the same name, in schema order."""
    properties = style.find(f"w:{kind}", _NS)
    if properties is None:
        properties = etree.SubElement(style, f"{_W}{kind}")
    for element in new:
        for old in properties.findall(element.tag):
            properties.remove(old)
        properties.append(element)
    known = [child for child in properties if etree.QName(child).localname in order]
    for child in known:
        properties.remove(child)
    known.sort(key=lambda child: order.index(etree.QName(child).localname))
    for position, child in enumerate(known):
        properties.insert(position, child)


def _serif_theme(theme: bytes) -> bytes:
    """Text and headings in the print's serif: the theme's Latin fonts are what pandoc's styles name."""
    root = _xml(theme)
    latin = root.findall(".//{http://schemas.openxmlformats.org/drawingml/2006/main}latin")
    assert len(latin) >= 2, "pandoc's reference.docx changed: no theme fonts"
    for font in latin[:2]:  # majorFont, then minorFont
        font.set("typeface", TEXT_FONT)
        font.attrib.pop("panose", None)
    return _serialised(root)


_DC_TERMS = "http://purl.org/dc/terms/"


def _dated(core: bytes, epoch: int) -> bytes:
    root = _xml(core)
    stamp = datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    for name in ("created", "modified"):
        element = root.find(f"{{{_DC_TERMS}}}{name}")
        assert element is not None, f"pandoc wrote no dcterms:{name}"
        element.text = stamp
    return _serialised(root)


def _print_title_block(document: bytes) -> bytes:
    """Date, title, subtitle, as the PDF has them; the author stays in the core properties only."""
    root = _xml(document)
    body = root.find("w:body", _NS)
    assert body is not None, "pandoc wrote no document body"
    block = {}
    for paragraph in body.findall("w:p", _NS)[:4]:
        style = paragraph.find("w:pPr/w:pStyle", _NS)
        if style is not None and style.get(f"{_W}val") in ("Title", "Subtitle", "Author", "Date"):
            block[style.get(f"{_W}val")] = paragraph
    if "Author" in block:
        body.remove(block["Author"])
    if "Date" in block and "Title" in block:
        block["Title"].addprevious(block["Date"])
    return _serialised(root)
