"""Bibliographies written by others (tests/realworld/*/, see each PROVENANCE.md) load and check as expected.

Each folder's expected.txt lists every diagnostic its file still gives, each
followed by an indented line that says why it is a true problem. Regenerate
with `pytest tests/test_realworld_bibliographies.py --update-golden`: known
reasons are kept, a new diagnostic gets "because: TODO", which fails until a
person writes the reason.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import copy_project, run_doit
from test_build import EXTRACT

from declaration_pipeline import pandoc_ast as ast
from declaration_pipeline.assemble import assemble_document
from declaration_pipeline.bibliography import load_bibliography
from declaration_pipeline.checks import check_sources
from declaration_pipeline.checks.bibliography import check_bibliography
from declaration_pipeline.citation_style import citation_names, format_annex

REALWORLD = Path(__file__).parent / "realworld"
BIB_FILES = sorted(REALWORLD.glob("*/*.bib"))
# What TeX or BibTeX syntax looks like when it reaches an output (addresses aside, where ~ is a character).
RAW_TEX = re.compile(r"[\\{}$]|&[a-z]+;|~(?!\S*/)")


def _diagnostics(bib_file: Path) -> list[str]:
    bibliography, diagnostics = load_bibliography(bib_file, "references.bib")
    diagnostics += check_bibliography(bibliography)
    return [str(diagnostic) for diagnostic in sorted(set(diagnostics))]  # in check_sources' order


def _read_expected(path: Path) -> dict[str, str]:
    """diagnostic line -> the reason given under it."""
    expected: dict[str, str] = {}
    last = None
    for line in path.read_text(encoding="utf-8").splitlines() if path.exists() else []:
        if line.startswith("  because: ") and last is not None:
            expected[last] = line.removeprefix("  because: ").strip()
        elif line.strip() and not line.startswith("#"):
            last = line
            expected[line] = ""
    return expected


@pytest.mark.parametrize("bib_file", BIB_FILES, ids=[path.parent.name for path in BIB_FILES])
def test_every_remaining_diagnostic_is_expected_and_justified(bib_file: Path, update_golden: bool) -> None:
    assert (bib_file.parent / "PROVENANCE.md").exists()
    lines = _diagnostics(bib_file)
    expected_file = bib_file.parent / "expected.txt"
    expected = _read_expected(expected_file)
    if update_golden:
        text = "# Every diagnostic this file gives, and why it is a true problem.\n"
        text += "".join(f"{line}\n  because: {expected.get(line) or 'TODO'}\n" for line in lines)
        expected_file.write_text(text, encoding="utf-8")
        expected = _read_expected(expected_file)
    assert lines == list(expected)
    unjustified = [line for line, reason in expected.items() if not reason or reason == "TODO"]
    assert unjustified == []


@pytest.mark.parametrize("bib_file", BIB_FILES, ids=[path.parent.name for path in BIB_FILES])
def test_no_tex_from_a_valid_entry_reaches_the_annex_or_the_citations(bib_file: Path) -> None:
    bibliography, _ = load_bibliography(bib_file, "references.bib")
    flagged = {line.split(": ")[2] for line in _diagnostics(bib_file) if ": " in line}
    valid = {reference.key for reference in bibliography.references if reference.key not in flagged}
    assert valid, "the file should have entries without any diagnostic"
    for key, inlines in format_annex(bibliography):
        if key in valid:
            text = ast.stringify(inlines)
            assert not RAW_TEX.search(text), (key, text)
    for reference in bibliography.references:
        if reference.key in valid:
            assert not RAW_TEX.search(citation_names(reference)), reference.key


def test_a_biblatex_project_assembles_without_tex_and_sorts_by_text() -> None:
    """The whole path, on a project of biblatex entries: check, then the assembled annex and citations."""
    sources, diagnostics = check_sources(Path(__file__).parent / "cases" / "biblatex")
    assert diagnostics == []
    document = assemble_document(sources)
    annex = next(node for node in ast.walk(document["blocks"]) if node["t"] == "Div" and node["c"][0][0] == "refs")
    entries = [ast.stringify(node) for node in ast.walk(annex) if node["t"] == "Div" and "csl-entry" in node["c"][0][1]]
    citations = [ast.stringify(node) for node in ast.walk(document["blocks"]) if node["t"] == "Span"]
    for text in entries + citations:
        assert not RAW_TEX.search(text), text
    assert entries[0].startswith("Aksın, Ö., & Türkmen, H. (2006).")
    # "{CHEN Jun}" prints and sorts as "CHEN Jun", between "Almendro" and "de Geer"; "and others" is "et al."
    firsts = [entry.split(" (")[0] for entry in entries]
    assert firsts.index("CHEN Jun, LIU Danping, et al.") == firsts.index("Almendro, J. L.") + 1
    assert any("CHEN Jun et al., 2020" in citation for citation in citations)


def _without_entries(text: str, keys: set[str]) -> str:
    """The file without the entries of `keys` (each entry starts a line)."""
    starts = [match.start() for match in re.finditer(r"^[ \t]*@", text, re.M)] + [len(text)]
    kept = [text[: starts[0]]]
    for start, end in zip(starts, starts[1:], strict=False):
        key = re.match(r"\s*@\w+\s*[{(]\s*([^,\s]+),", text[start:end])
        if not (key and key.group(1) in keys):
            kept.append(text[start:end])
    return "".join(kept)


def test_the_real_bibliographies_build_and_no_tex_reaches_any_output(tmp_path: Path) -> None:
    """Check => build on real files: every entry without an error, in one project, builds, verifies, prints no TeX."""
    project = copy_project(tmp_path / "project")
    parts = [(project / "references.bib").read_text(encoding="utf-8")]
    for bib_file in BIB_FILES:
        erroneous = {line.split(": ")[2] for line in _diagnostics(bib_file) if ": error: " in line}
        parts.append(_without_entries(bib_file.read_text(encoding="utf-8"), erroneous))
    (project / "references.bib").write_text("\n".join(parts), encoding="utf-8")
    result = run_doit(project)
    assert result.returncode == 0, result.stdout + result.stderr
    for name, extract in EXTRACT.items():
        text = extract(project / "build" / name)
        annex = text[text.rindex("Annex: Relevant reading") :]
        assert "Molière" in annex and "Kermaïdic" in annex and "CHEN Jun" in annex, name
        leftovers = RAW_TEX.findall(re.sub(r"https?://\S+", "", annex))
        assert leftovers == [], (name, leftovers)
