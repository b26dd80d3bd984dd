"""Accept All and Reject All, done on a DOCX's own XML as Word does them, and the text that remains.

A test helper: the redline's DOCX, accepted, must read exactly like the new
version's DOCX, and rejected like the old one's. Text is compared paragraph
by paragraph: the body's, then each footnote's in the order the body cites them.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Literal

from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
Reading = Literal["accept", "reject", "as is"]


def _tag(name: str) -> str:
    return f"{{{W}}}{name}"


def docx_text(path: Path, reading: Reading = "as is") -> tuple[list[str], list[list[str]]]:
    """(body paragraphs, each cited footnote's paragraphs) after accepting or rejecting every change."""
    with zipfile.ZipFile(path) as archive:
        body = etree.fromstring(archive.read("word/document.xml")).find("w:body", NS)
        notes_xml = archive.read("word/footnotes.xml") if "word/footnotes.xml" in archive.namelist() else None
    notes = {}
    if notes_xml is not None:
        for note in etree.fromstring(notes_xml).findall("w:footnote", NS):
            notes[note.get(_tag("id"))] = note
    if reading != "as is":
        for container in [body, *notes.values()]:
            _apply(container, reading)
    cited = [ref.get(_tag("id")) for ref in body.iter(_tag("footnoteReference"))]
    return _paragraphs(body), [_paragraphs(notes[i]) for i in cited]


def _apply(container: etree._Element, reading: Reading) -> None:
    removed, kept = ("del", "ins") if reading == "accept" else ("ins", "del")
    # Paragraph marks first: a removed mark joins its paragraph to the next one.
    paragraphs = container.findall("w:p", NS)
    for paragraph in paragraphs:
        for mark in paragraph.findall(f"w:pPr/w:rPr/w:{removed}", NS):
            mark.getparent().remove(mark)
            paragraph.set("joins-next", "yes")
        for mark in paragraph.findall(f"w:pPr/w:rPr/w:{kept}", NS):
            mark.getparent().remove(mark)
    for element in list(container.iter(_tag(removed))):
        element.getparent().remove(element)
    for element in list(container.iter(_tag(kept))):
        parent = element.getparent()
        index = parent.index(element)
        for child in reversed(list(element)):
            parent.insert(index, child)
        parent.remove(element)
    for deleted_text in container.iter(_tag("delText")):
        deleted_text.tag = _tag("t")


def _paragraphs(container: etree._Element) -> list[str]:
    texts, pending = [], ""
    for paragraph in container.findall("w:p", NS):
        text = pending + _text(paragraph)
        if paragraph.get("joins-next") == "yes":
            pending = text
            continue
        texts.append(text)
        pending = ""
    if pending:
        texts.append(pending)
    return texts


def _text(paragraph: etree._Element) -> str:
    parts = []
    for element in paragraph.iter():
        if element.tag == _tag("t"):
            parts.append(element.text or "")
        elif element.tag == _tag("delText"):
            parts.append(element.text or "")
        elif element.tag == _tag("tab"):
            parts.append("\t")
        elif element.tag == _tag("br"):
            parts.append("\n")
        elif element.tag == _tag("footnoteReference"):
            parts.append("[note]")
    return "".join(parts)
