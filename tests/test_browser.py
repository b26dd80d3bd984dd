"""The web page in a real browser: Debian's Chromium, driven by Playwright.

A missing browser fails these tests; it never skips them. Install it with
`apt-get install chromium` (tools/setup-tests does).
"""

from __future__ import annotations

import io
from itertools import pairwise
from pathlib import Path

import pytest
from pypdf import PdfReader

from declaration_pipeline.signatories import load_signatories

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def open_page(browser, built_project: Path):  # type: ignore[no-untyped-def]
    pages = []

    def open_(width: int = 1200, height: int = 900):  # type: ignore[no-untyped-def]
        page = browser.new_page(viewport={"width": width, "height": height})
        page.console_errors = []
        page.requests = []
        page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
        page.on("pageerror", lambda exc: page.console_errors.append(str(exc)))
        page.on("request", lambda request: page.requests.append(request.url))
        page.goto((built_project / "build" / "declaration.html").as_uri())
        pages.append(page)
        return page

    yield open_
    for page in pages:
        page.close()


def _in_viewport(page, selector: str) -> bool:  # type: ignore[no-untyped-def]
    return page.evaluate(
        """(selector) => {
            const box = document.querySelector(selector).getBoundingClientRect();
            return box.bottom > 0 && box.top < window.innerHeight;
        }""",
        selector,
    )


def test_the_page_loads_without_errors_or_network_requests(open_page, built_project: Path) -> None:  # type: ignore[no-untyped-def]
    page = open_page()
    assert page.console_errors == []
    assert page.requests == [(built_project / "build" / "declaration.html").as_uri()]
    assert page.evaluate("document.documentElement.lang") == "en"


def test_a_footnote_reference_leads_to_the_note_and_back(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page()
    page.click("a#fnref1")
    assert page.evaluate("location.hash") == "#fn1"
    assert _in_viewport(page, "#fn1")
    page.click("#fn1 a.footnote-back")
    assert page.evaluate("location.hash") == "#fnref1"
    assert _in_viewport(page, "#fnref1")


def test_a_citation_leads_to_its_annex_entry(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page()
    page.click('#fn1 a[href="#ref-roggeband2021"]')
    assert page.evaluate("location.hash") == "#ref-roggeband2021"
    assert _in_viewport(page, "#ref-roggeband2021")
    assert "Roggeband, C., & Krizsán, A. (2021)" in page.inner_text("#ref-roggeband2021")


def _column_positions(page) -> set[int]:  # type: ignore[no-untyped-def]
    return set(
        page.evaluate(
            "[...document.querySelectorAll('.organizations li')].map(li => Math.round(li.getBoundingClientRect().left))"
        )
    )


def test_signatory_columns_reflow_on_a_phone_without_horizontal_scrolling(open_page) -> None:  # type: ignore[no-untyped-def]
    desktop = open_page(1200, 900)
    assert len(_column_positions(desktop)) >= 2
    phone = open_page(375, 800)
    assert len(_column_positions(phone)) == 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_printing_from_the_browser_gives_a_readable_a4_document(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page()
    reader = PdfReader(io.BytesIO(page.pdf(format="A4")))
    assert len(reader.pages) > 3
    box = reader.pages[0].mediabox
    # Chromium rounds A4 to whole CSS pixels: 794 x 1123 px = 595.5 x 842.25 pt.
    assert abs(float(box.width) - 595.28) < 1.5 and abs(float(box.height) - 841.89) < 1.5
    text = " ".join(p.extract_text() for p in reader.pages)
    assert "A Civil Society Declaration" in text
    signatories, _ = load_signatories(ROOT / "signatories.yaml", "signatories.yaml")
    assert all(" ".join(s.name.split()) in " ".join(text.split()) for s in signatories[:10])


def test_previews_hold_one_png_per_pdf_page_and_the_web_page(built_project: Path) -> None:
    preview = built_project / "build" / "preview"
    pages = len(PdfReader(built_project / "build" / "declaration.pdf").pages)
    pngs = sorted(p.name for p in preview.glob("page-*.png"))
    assert len(pngs) == pages
    assert all((preview / name).read_bytes().startswith(b"\x89PNG") for name in pngs)
    assert (preview / "html.png").exists() and (preview / "html-phone.png").exists()


# ---------------------------------------------------------------- accessibility and the annex, measured in Chromium

AXE = ROOT / "tools" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_22_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def axe_violations(page) -> list[dict]:  # type: ignore[no-untyped-def]
    """axe-core's WCAG 2.2 A and AA violations on the open page."""
    if not AXE.exists():
        pytest.fail("axe-core needs Node.js and `npm ci --prefix tools` (tools/setup-tests does both)")
    page.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_22_A_AA)
    return [
        {"rule": v["id"], "impact": v["impact"], "where": [node["html"][:120] for node in v["nodes"]]}
        for v in result["violations"]
    ]


@pytest.mark.parametrize("width", [375, 1280])
def test_axe_core_finds_no_wcag_22_a_or_aa_violation(open_page, width: int) -> None:  # type: ignore[no-untyped-def]
    assert axe_violations(open_page(width, 800)) == []


def test_axe_core_does_catch_links_told_from_text_by_colour_alone(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(1280, 800)
    page.add_style_tag(content="a { text-decoration: none !important; }")
    assert "link-in-text-block" in {v["rule"] for v in axe_violations(page)}


def test_every_link_is_underlined(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page()
    decorations = page.evaluate(
        "[...document.querySelectorAll('main a')].map(a => getComputedStyle(a).textDecorationLine)"
    )
    assert decorations and all("underline" in d for d in decorations)


def test_the_notes_have_a_visible_heading_of_their_own_and_named_back_links(open_page) -> None:  # type: ignore[no-untyped-def]
    page = open_page(375, 800)
    # What heading navigation finds last before the first note: the notes' own heading, not the annex.
    heading = page.evaluate(
        """() => {
            const note = document.getElementById('fn1');
            const headings = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
                .filter(h => h.compareDocumentPosition(note) & Node.DOCUMENT_POSITION_FOLLOWING);
            const last = headings[headings.length - 1];
            const box = last.getBoundingClientRect();
            return {tag: last.tagName, text: last.textContent, visible: box.width > 0 && box.height > 0};
        }"""
    )
    assert heading == {"tag": "H2", "text": "Notes", "visible": True}
    assert page.get_by_label("Back to note 1").get_attribute("href") == "#fnref1"
    assert page.get_by_label("Back to note 2").get_attribute("href") == "#fnref2"


def _annex_line_boxes(page) -> list[list[dict]]:  # type: ignore[no-untyped-def]
    """Per annex entry, the line boxes its text is laid out in (left and top, in CSS px)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('#refs .reference')].map(entry => {
            const range = document.createRange();
            range.selectNodeContents(entry);
            const lines = [];
            for (const rect of range.getClientRects()) {
                if (rect.width === 0) continue;
                const line = lines.find(l => Math.abs(l.top - rect.top) < rect.height / 2);
                if (!line) { lines.push({top: rect.top, bottom: rect.bottom, left: rect.left}); continue; }
                line.left = Math.min(line.left, rect.left);
                line.bottom = Math.max(line.bottom, rect.bottom);
            }
            return lines.sort((a, b) => a.top - b.top);
        })"""
    )


@pytest.mark.parametrize("width", [375, 1280])
def test_annex_entries_hang_and_stand_apart(open_page, width: int) -> None:  # type: ignore[no-untyped-def]
    entries = _annex_line_boxes(open_page(width, 800))
    assert len(entries) == 13
    font_size = 17 * 0.95
    wrapped = [lines for lines in entries if len(lines) > 1]
    assert wrapped, "no annex entry wraps: nothing to measure"
    for lines in wrapped:
        # Every continuation line starts about 2 rem right of the entry's first line.
        assert all(line["left"] - lines[0]["left"] >= font_size for line in lines[1:])
    # The gap between two entries is clearly larger than between two lines of one entry.
    within = max(b["top"] - a["bottom"] for lines in entries for a, b in pairwise(lines))
    between = min(b[0]["top"] - a[-1]["bottom"] for a, b in pairwise(entries))
    assert between >= within + 0.5 * font_size
