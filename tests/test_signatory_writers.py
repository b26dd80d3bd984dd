"""The signatory lists we write as raw HTML and OpenXML (render.signatory_lists_as_raw) say what pandoc's
writers say of the same lists: for any name Hypothesis can think of, the HTML is byte for byte pandoc's."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from declaration_pipeline import pandoc
from declaration_pipeline.assemble import signatory_section
from declaration_pipeline.docx_package import SIGNATORY_STYLE
from declaration_pipeline.render import _html_list, _openxml_list, signatory_lists_as_raw
from declaration_pipeline.signatories import Signatory

TITLES = {"signatories-title": "Signatories", "organizations-title": "Organizations", "individuals-title": "People"}
NAMES = st.text(
    st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("<>&\"' \u00ad\u00a0\u200b-@*_[]"), min_size=1
).filter(lambda name: name.replace("\u00ad", "").strip())
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# 1,986 names signed by real people (tests/realworld/rms-open-letter/PROVENANCE.md)
REAL_LETTER = Path(__file__).parent / "realworld" / "rms-open-letter" / "signatories.yaml"


def _document(names: list[str], details: list[str | None]) -> dict:
    signatories = tuple(
        Signatory(" ".join(name.split()), "organization" if line % 2 else "individual", line, 5, country=country)
        for line, (name, country) in enumerate(zip(names, details, strict=False), 1)
    )
    blocks = signatory_section(signatories, TITLES)
    return {"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": blocks}


def _lists(document: dict) -> list[list]:
    return [
        child["c"]
        for block in document["blocks"]
        if block["t"] == "Div"
        for child in block["c"][1]
        if child["t"] == "BulletList"
    ]


@settings(max_examples=40, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=6), st.lists(st.none() | NAMES, min_size=6, max_size=6))
def test_html_lists_are_what_pandoc_writes(names: list[str], details: list[str | None]) -> None:
    document = _document(names, details)
    by_pandoc = pandoc.write_format(document, "html5", "test", args=("--wrap=none",)).decode()
    raw = signatory_lists_as_raw(document, "html", _html_list)
    assert not _lists(raw), "every list of plain names is written by us"
    assert pandoc.write_format(raw, "html5", "test", args=("--wrap=none",)).decode() == by_pandoc


@settings(max_examples=40, deadline=None)
@given(st.lists(NAMES, min_size=1, max_size=6), st.lists(st.none() | NAMES, min_size=6, max_size=6))
def test_word_paragraphs_hold_each_name_as_pandoc_would(names: list[str], details: list[str | None]) -> None:
    document = _document(names, details)

    def paragraphs(doc: dict, style: str | None) -> list[str]:
        package = zipfile.ZipFile(io.BytesIO(pandoc.write_format(doc, "docx", "test")))
        body = etree.fromstring(package.read("word/document.xml"))
        found = []
        for paragraph in body.iter(f"{W}p"):
            style_element = paragraph.find(f"{W}pPr/{W}pStyle")
            if style is None or (style_element is not None and style_element.get(f"{W}val") == style):
                pieces = paragraph.iter(f"{W}t", f"{W}softHyphen")
                found.append("".join(p.text or "" if p.tag == f"{W}t" else "\u00ad" for p in pieces))
        return found

    # Soft hyphens aside: where pandoc keeps one at a word's edge varies, and a reader never sees it.
    def visible(texts: list[str]) -> list[str]:
        return [text.replace("\u00ad", "") for text in texts]

    raw = signatory_lists_as_raw(document, "openxml", _openxml_list)
    assert visible(paragraphs(raw, SIGNATORY_STYLE)) == visible(paragraphs(document, "Compact"))


def test_a_soft_hyphen_inside_a_name_is_a_place_word_may_break() -> None:
    items = _lists(_document(["Inter\u00adnational Alli\u00ad\u00adance\u00ad"], [None]))[0]
    openxml = _openxml_list([item[0]["c"] for item in items])
    assert openxml.count("<w:softHyphen/>") == 2 and "\u00ad" not in openxml


def test_a_list_with_more_than_text_is_left_to_pandoc() -> None:
    document = _document(["Ana Lima", "Ben Okri"], [None, None])
    marked = _lists(document)[0][0][0]["c"]
    marked[0] = {"t": "Strikeout", "c": [marked[0]]}  # a redline's deletion
    raw = signatory_lists_as_raw(document, "html", _html_list)
    assert len(_lists(raw)) == 1 and _lists(raw)[0][0][0]["c"][0]["t"] == "Strikeout"


def test_a_names_width_bound_is_never_below_its_width_in_print() -> None:
    """The template takes a name whose bound is 2 em inside its column for one line unseen: a name is
    never wider than its bound by more than a fraction of that, kerning ("AVAV", "Wa", "ód"), ligatures
    ("ffi") and other scripts included."""

    from declaration_pipeline.render import SIGNATORY_TEXT_SIZE, with_estimated_widths
    from declaration_pipeline.signatories import load_signatory_file
    from declaration_pipeline.typst import query_metadata

    real, _problems = load_signatory_file(REAL_LETTER, "signatories.yaml")
    names = [s.name for s in real.signatories] + [
        "AVAV Tower Watch",
        "Office of Affiliated Fjords",
        "Łódź Żółć Ærø Ångström",
        "王伟 and 田中 Association",
        "Terra-1530 🌍 Network",
        "Yves T. Wayfarer, L.L.C.",
        "جمعية حقوق الإنسان",
    ]
    section = with_estimated_widths({"title": "", "lists": [{"kind": "organizations", "title": "", "names": names}]})
    bounds = section["lists"][0]["widths"]
    probe = (
        f"#set text(font: json(bytes(sys.inputs.metadata)).fonts, size: {SIGNATORY_TEXT_SIZE}pt)\n"
        "#context [#metadata(json(bytes(sys.inputs.metadata)).names.map(n => measure(n).width.pt())) <w>]\n"
    )
    measured = query_metadata(probe, "<w>", "measuring names", {"names": names})
    for name, bound, width in zip(names, bounds, measured, strict=True):
        assert bound is None or width <= bound + 1.0, (name, bound, width)  # 1 pt against the template's 20
    assert bounds[-1] is None, "Arabic letters change shape together: no bound"
    order = section["lists"][0]["widest-first"]
    assert order[0] == len(names) - 1 and [bounds[i] for i in order[1:]] == sorted(bounds[:-1], reverse=True)
