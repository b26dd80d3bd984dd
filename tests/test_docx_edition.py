"""The Word file as a reader gets it: the print's title block, and LibreOffice's rendering of it.

LibreOffice (Debian's `libreoffice-writer`, `soffice`) renders the DOCX to
PDF, as a partner without Word would see it. A missing LibreOffice fails these
tests; it never skips them.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader


@pytest.fixture(scope="module")
def rendered_by_libreoffice(built_project: Path, tmp_path_factory: pytest.TempPathFactory) -> PdfReader:
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail("LibreOffice is not installed: tools/setup-tests installs it (a missing tool is a failure)")
    directory = tmp_path_factory.mktemp("libreoffice")
    # A profile of its own: another LibreOffice running on the machine cannot block this one.
    profile = (directory / "profile").as_uri()
    subprocess.run(
        [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir", str(directory)]
        + [str(built_project / "build" / "declaration.docx")],
        check=True,
        capture_output=True,
        timeout=300,
    )
    return PdfReader(directory / "declaration.pdf")


def test_the_title_block_is_in_the_prints_order_without_an_author_line(built_project: Path) -> None:
    word = docx.Document(str(built_project / "build" / "declaration.docx"))
    first = [(p.style.name, p.text[:30]) for p in word.paragraphs[:4]]
    assert [style for style, _ in first] == ["Date", "Title", "Subtitle", "Heading 1"]
    assert first[0][1] == "October 2024" and first[1][1].startswith("A Civil Society Declaration")
    assert word.core_properties.author == "Alliance of NGOs on Crime Prevention and Criminal Justice"
    assert word.core_properties.created.isoformat() == "2024-10-01T00:00:00+00:00"


def test_libreoffice_prints_page_numbers_on_every_page(rendered_by_libreoffice: PdfReader) -> None:
    pages = rendered_by_libreoffice.pages
    assert len(pages) > 3
    for number, page in enumerate(pages, 1):
        lines = [line.strip() for line in page.extract_text().splitlines() if line.strip()]
        assert f"{number} / {len(pages)}" in lines, f"page {number}: no page number"


def test_libreoffice_sets_the_text_in_a_serif_and_the_date_first(rendered_by_libreoffice: PdfReader) -> None:
    fonts = set()
    for page in rendered_by_libreoffice.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(re.sub(r"^[A-Z]{6}\+", "", str(font.get_object()["/BaseFont"]).lstrip("/")))
    text_fonts = fonts - {"OpenSymbol"}  # the bullets
    assert text_fonts and all("Serif" in font or "Times" in font for font in text_fonts), fonts
    first_lines = rendered_by_libreoffice.pages[0].extract_text().splitlines()
    assert first_lines[0].strip() == "October 2024"
    assert first_lines[1].startswith("A Civil Society Declaration")
