"""The printed signatory lists: every name reads as one, columns are balanced where a list ends.

Built from the repository's sources with 80-character names added to both
lists, so that names wrap in either column width. What is checked is the PDF's
own geometry: where PDFium finds each line's first glyph.
"""

from __future__ import annotations

import shutil
from collections import defaultdict
from pathlib import Path

import pikepdf
import pytest

from declaration_pipeline import render
from declaration_pipeline.assemble import assemble_document
from declaration_pipeline.checks import check_sources
from declaration_pipeline.pdf_structure import read_structure_tree
from declaration_pipeline.signatories import SignatoryFile
from declaration_pipeline.verify import MIN_HANGING_INDENT, _page_content, item_key, verify_output

ROOT = Path(__file__).resolve().parent.parent
LONG_ORGANIZATIONS = [
    "International Network of Community Organisations for Justice, Peace and Dignity.",
    "Coalition of Women Lawyers Against Trafficking in Persons and Forced Labour Asia",
]
LONG_INDIVIDUALS = [
    "Maria Fernanda Alvarez de la Torre Gonzalez-Villanueva y Rodriguez-Santamaria Da",
    "Oluwaseun Adebayo-Okonkwo Chukwuemeka Nnamdi Obi-Ezekwesili Adeyemi-Babatunde Jr",
]
LONG_NAMES = LONG_ORGANIZATIONS + LONG_INDIVIDUALS


def _project(directory: Path) -> Path:
    for name in ("declaration.md", "references.bib"):
        shutil.copy2(ROOT / name, directory / name)
    text = (ROOT / "signatories.yaml").read_text(encoding="utf-8")
    organizations = "".join(f"  - {name}\n" for name in LONG_ORGANIZATIONS)
    individuals = "".join(f"  - {name}\n" for name in LONG_INDIVIDUALS)
    assert "\nindividuals:\n" in text
    text = text.replace("\nindividuals:\n", "\n" + organizations + "individuals:\n", 1)
    text += individuals  # the file ends with the individuals' list
    (directory / "signatories.yaml").write_text(text, encoding="utf-8")
    return directory


def name_lines(pdf: Path, names: list[str]) -> dict[str, list[tuple[int, float, float]]]:
    """For each of `names`, the (page, x, baseline) where each of its text objects starts."""
    with pikepdf.open(pdf) as document:
        page_numbers = {page.objgen[0]: number for number, page in enumerate(document.pages, 1)}
        content = _page_content(pdf, list(page_numbers))
        paragraphs = read_structure_tree(document.Root.StructTreeRoot, ("/P",)).content["/P"]
    assert content is not None
    wanted = {item_key(name): name for name in names}
    found = {}
    for parts in paragraphs:
        name = wanted.get(item_key(content.text_of(parts)))
        if name is not None:
            found[name] = [(page_numbers[page], x, y) for page, mcid in parts for x, y, _ in content.marked[page, mcid]]
    return found


@pytest.fixture(scope="module")
def long_names_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, SignatoryFile]:
    directory = _project(tmp_path_factory.mktemp("long-names"))
    sources, diagnostics = check_sources(directory)
    assert [str(d) for d in diagnostics if d.severity == "error"] == []
    document = assemble_document(sources)
    for fmt in ("pdf", "docx", "html"):
        render.render_output(fmt, document, directory / "build" / f"declaration.{fmt}")
    return directory, document, SignatoryFile(sources.signatories, sources.withdrawn, sources.order)


def test_the_long_names_are_in_both_lists_and_every_output_verifies(long_names_build) -> None:  # type: ignore[no-untyped-def]
    directory, document, loaded = long_names_build
    kinds = {s.name: s.kind for s in loaded.signatories}
    assert [kinds[name] for name in LONG_NAMES] == ["organization"] * 2 + ["individual"] * 2
    assert all(len(name) == 80 for name in LONG_NAMES)
    for fmt in ("pdf", "docx", "html"):
        assert verify_output(fmt, directory, document, directory / "build" / f"declaration.{fmt}", loaded) == []


def test_every_wrapped_line_of_a_long_name_starts_right_of_where_names_start(long_names_build) -> None:  # type: ignore[no-untyped-def]
    directory, _document, _loaded = long_names_build
    lines = name_lines(directory / "build" / "declaration.pdf", LONG_NAMES)
    assert set(lines) == set(LONG_NAMES)
    for name, starts in lines.items():
        _page, first_x, first_y = starts[0]
        continuations = [x for _page, x, y in starts if abs(y - first_y) > 1]
        assert continuations, f"{name} was expected to wrap"
        assert all(x >= first_x + MIN_HANGING_INDENT for x in continuations), (name, starts)


def test_names_are_paragraphs_without_list_labels(long_names_build) -> None:  # type: ignore[no-untyped-def]
    directory, _document, _loaded = long_names_build
    with pikepdf.open(directory / "build" / "declaration.pdf") as pdf:
        tree = read_structure_tree(pdf.Root.StructTreeRoot, ("/Lbl",))
    assert [parts for parts in tree.content["/Lbl"] if not parts] == []


def test_columns_are_balanced_on_the_page_where_each_list_ends(long_names_build) -> None:  # type: ignore[no-untyped-def]
    directory, document, _loaded = long_names_build
    for listed in render.signatory_data(document["blocks"])[2]["lists"]:
        lines = name_lines(directory / "build" / "declaration.pdf", listed["names"])
        last_page = max(page for starts in lines.values() for page, _x, _y in starts)
        # a column's bottom: the lowest baseline of the names in it; a name's height: its first to last baseline
        bottoms: dict[float, float] = defaultdict(lambda: float("inf"))
        tallest = 0.0
        for starts in lines.values():
            if starts[0][0] != last_page:
                continue
            column = round(starts[0][1])
            bottoms[column] = min(bottoms[column], min(y for _page, _x, y in starts))
            tallest = max(tallest, starts[0][2] - min(y for _page, _x, y in starts))
        pitch = 16.5  # from one name's first baseline to the next name's: 10.5 pt line + 6 pt gap
        assert len(bottoms) > 1, listed["kind"]
        assert max(bottoms.values()) - min(bottoms.values()) <= tallest + pitch + 0.5, (listed["kind"], bottoms)


def test_a_build_whose_wrapped_names_are_not_indented_fails_verification(
    long_names_build, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    directory, document, loaded = long_names_build
    templates = tmp_path / "templates"
    shutil.copytree(render.template_path("declaration.typ").parent, templates)
    template = templates / "declaration.typ"
    text = template.read_text(encoding="utf-8")
    assert "  indent: 1em," in text
    template.write_text(text.replace("  indent: 1em,", "  indent: 0em,"), encoding="utf-8")
    monkeypatch.setattr(render, "TEMPLATES", templates)
    output = tmp_path / "declaration.pdf"
    render.render_pdf(document, output)
    problems = verify_output("pdf", directory, document, output, loaded)
    assert {d.code for d in problems} == {"verify-pdf-hanging-indent"}
    # every name that wraps, the repository's own long names as well as the added ones
    assert set(LONG_NAMES) <= {d.message.split('"')[1] for d in problems}
