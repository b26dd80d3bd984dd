"""End to end: the repository's own sources, built with plain `doit` in a temporary directory."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import html5lib
import pytest
from conftest import copy_project, run_doit
from lxml import etree
from pypdf import PdfReader

from declaration_pipeline import pandoc
from declaration_pipeline.bibliography import load_bibliography
from declaration_pipeline.pandoc_ast import stringify
from declaration_pipeline.signatories import load_signatories
from declaration_pipeline.verify import squash

ROOT = Path(__file__).resolve().parent.parent
OUTPUTS = ("declaration.pdf", "declaration.docx", "declaration.html")
FOOTNOTE_1 = "Ayvazyan, 2019; Roepstorff, 2020; Roggeband & Krizsán, 2021; Strachwitz & Hummel, 2023."
BAKKE = (
    "Bakke, K. M., Mitchell, N. J., & Smidt, H. M. (2020). When States Crack Down on Human "
    "Rights Defenders. International Studies Quarterly, 64(1), 85-96."
)


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def docx_text(path: Path) -> str:
    with zipfile.ZipFile(path) as package:
        parts = [etree.fromstring(package.read(f"word/{part}.xml")) for part in ("document", "footnotes")]
    return "\n".join("".join(t.text or "" for t in p.iter(f"{W}t")) for part in parts for p in part.iter(f"{W}p"))


def html_text(path: Path) -> str:
    tree = html5lib.parse(path.read_bytes(), namespaceHTMLElements=False)
    return " ".join("".join(tree.find("body").itertext()).split())


EXTRACT = {"declaration.pdf": pdf_text, "declaration.docx": docx_text, "declaration.html": html_text}


@pytest.fixture(scope="module")
def texts(built_project: Path) -> dict[str, str]:
    return {name: EXTRACT[name](built_project / "build" / name) for name in OUTPUTS}


def test_the_sources_hold_the_seeds_signatories_each_once() -> None:
    signatories, problems = load_signatories(ROOT / "signatories.yaml", "signatories.yaml")
    assert problems == []
    kinds = [s.kind for s in signatories]
    assert kinds.count("organization") == 86
    assert kinds.count("individual") == 19
    bibliography, problems = load_bibliography(ROOT / "references.bib", "references.bib")
    assert problems == [] and len(bibliography.references) == 13


@pytest.mark.parametrize("output", OUTPUTS)
def test_every_output_has_each_signatory_exactly_once(texts: dict[str, str], output: str) -> None:
    signatories, _ = load_signatories(ROOT / "signatories.yaml", "signatories.yaml")
    names = [squash(s.name) for s in signatories]
    text = squash(texts[output])
    for signatory, name in zip(signatories, names, strict=True):
        # A name that is part of a longer one ("Centre for Human Rights") is counted there too.
        inside_others = sum(other.count(name) for other in names if other != name)
        assert text.count(name) == 1 + inside_others, signatory.name


@pytest.mark.parametrize("output", OUTPUTS)
def test_every_output_has_headings_footnotes_and_annex(texts: dict[str, str], output: str) -> None:
    text = texts[output]
    for heading in (
        "Foreword from the Board",
        "PREAMBLE:",
        "1. Situational Context and process",
        "DECLARATION:",
        "8. Accelerate progress and enhance transparency",
        "Signatories",
        "Organizations",
        "Individuals",
        "Annex: Relevant reading",
    ):
        assert squash(heading) in squash(text), heading
    assert squash(FOOTNOTE_1) in squash(text)
    assert squash("The Global Organized Crime Index 2023. https://ocindex.net/2023/") in squash(text)
    assert squash(BAKKE) in squash(text)
    bibliography, _ = load_bibliography(ROOT / "references.bib", "references.bib")
    for reference in bibliography.references:
        assert squash(reference.entry.fields["title"]) in squash(text), reference.key
    for leftover in ("[@", "[^", "@ayvazyan2019", "@roepstorff2020"):
        assert leftover not in text


def test_the_pdf_follows_the_declaration_word_for_word(texts: dict[str, str]) -> None:
    """Every stretch of text between footnote markers appears in the PDF, in the source's order."""
    source = (ROOT / "declaration.md").read_text(encoding="utf-8")
    blocks = pandoc.markdown_to_ast(source, "declaration.md")["blocks"]
    # Page footers and footnote text interrupt the running text where a page breaks.
    lines = [line for line in texts["declaration.pdf"].splitlines() if not re.fullmatch(r"\d+ / \d+", line)]
    pdf = squash("\n".join(lines))
    for number, note in enumerate((FOOTNOTE_1, "The Global Organized Crime Index 2023. https://ocindex.net/2023/"), 1):
        assert squash(f"{number}{note}") in pdf
        pdf = pdf.replace(squash(f"{number}{note}"), "")
    position = 0
    for block in blocks:
        for segment in _segments_between_notes(block):
            found = pdf.find(squash(segment), position)
            assert found >= 0, f"not found in order: {segment[:80]!r}"
            position = found + len(squash(segment))


def _segments_between_notes(block: dict) -> list[str]:
    """Text of a block, cut where a footnote marker interrupts it (citations live in the notes)."""
    if block["t"] in ("BulletList", "OrderedList"):
        items = block["c"] if block["t"] == "BulletList" else block["c"][1]
        return [segment for item in items for inner in item for segment in _segments_between_notes(inner)]
    if block["t"] not in ("Para", "Plain", "Header"):
        return []
    inlines = block["c"][2] if block["t"] == "Header" else block["c"]
    segments, current = [], []
    for inline in inlines:
        if inline["t"] == "Note":
            segments.append(current)
            current = []
        else:
            current.append(inline)
    segments.append(current)
    return [text for text in (stringify(segment).strip() for segment in segments) if text]


def test_docx_has_word_footnotes_headings_a4_and_title(built_project: Path) -> None:
    path = built_project / "build" / "declaration.docx"
    document = docx.Document(str(path))
    assert document.core_properties.title.startswith("A Civil Society Declaration")
    assert round(document.sections[0].page_width.mm) == 210
    assert round(document.sections[0].page_height.mm) == 297
    styles = {p.style.name for p in document.paragraphs if p.text.startswith(("PREAMBLE", "1. Situational"))}
    assert styles == {"Heading 1", "Heading 2"}
    with zipfile.ZipFile(path) as package:
        footnotes = etree.fromstring(package.read("word/footnotes.xml"))
        styles = etree.fromstring(package.read("word/styles.xml"))
    bibliography = styles.find(f"{W}style[@{W}styleId='Bibliography']")
    assert bibliography.find(f"{W}pPr/{W}ind").get(f"{W}hanging") == "720"  # annex: hanging indent
    annex_styles = {p.style.name for p in document.paragraphs if p.text.startswith("Bakke, K. M.")}
    assert annex_styles == {"Bibliography"}
    assert FOOTNOTE_1 in "".join(t.text or "" for t in footnotes.iter(f"{W}t"))


def test_pdf_is_a4_with_metadata_outline_and_embedded_fonts(built_project: Path) -> None:
    reader = PdfReader(built_project / "build" / "declaration.pdf")
    assert all(round(float(p.mediabox.width)) == 595 and round(float(p.mediabox.height)) == 842 for p in reader.pages)
    assert reader.metadata.title.startswith("A Civil Society Declaration")
    assert reader.trailer["/Root"]["/Lang"] == "en"
    top_level = [item.title for item in reader.outline if not isinstance(item, list)]
    assert top_level == [
        "Foreword from the Board of the Alliance of NGOs on Crime Prevention and Criminal Justice",
        "PREAMBLE:",
        "DECLARATION:",
        "Signatories",
        "Annex: Relevant reading",
    ]
    fonts = {
        str(font.get_object()["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()
    }
    assert fonts and all("Libertinus" in font for font in fonts)


def test_html_is_self_contained_with_lang_and_footnote_backlinks(built_project: Path) -> None:
    html = (built_project / "build" / "declaration.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html
    assert not re.search(r"<(link|script|img)\b", html)
    assert html.count('class="footnote-back"') == 2
    assert 'href="#ref-ayvazyan2019"' in html and 'id="ref-ayvazyan2019"' in html


def test_a_second_doit_runs_no_task(built_project: Path) -> None:
    result = run_doit(built_project)
    assert result.returncode == 0
    ran = [line for line in result.stdout.splitlines() if line.startswith(". ")]
    assert ran == [], result.stdout


def test_two_clean_builds_in_different_directories_are_byte_identical(built_project: Path, tmp_path: Path) -> None:
    other = copy_project(tmp_path / "elsewhere" / "checkout")
    assert run_doit(other).returncode == 0
    for name in OUTPUTS:
        first = hashlib.sha256((built_project / "build" / name).read_bytes()).hexdigest()
        second = hashlib.sha256((other / "build" / name).read_bytes()).hexdigest()
        assert first == second, name


def test_a_failed_build_keeps_the_last_good_outputs_and_the_sources(built_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(built_project, project)
    before = {name: (project / "build" / name).read_bytes() for name in OUTPUTS}
    broken = (project / "declaration.md").read_text(encoding="utf-8").replace("@roepstorff2020", "@roepstorf2020")
    (project / "declaration.md").write_text(broken, encoding="utf-8")
    sources = {name: (project / name).read_bytes() for name in ("declaration.md", "references.bib", "signatories.yaml")}

    result = run_doit(project)

    assert result.returncode != 0
    assert (
        'declaration.md:25:38: error: unknown citation key "roepstorf2020"; '
        'did you mean "roepstorff2020"? [citation-unknown]' in result.stderr
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert {name: (project / "build" / name).read_bytes() for name in OUTPUTS} == before
    assert {name: (project / name).read_bytes() for name in sources} == sources


CHECKS = {"sources:document", "sources:signatories", "check"}
OUTPUT_TASKS = {"assemble", "html", "docx", "pdf", "verify:html", "verify:docx", "verify:pdf", "manifest"}
EVERYTHING = CHECKS | OUTPUT_TASKS | {"docx_reference"}


def _ran(result) -> set[str]:  # type: ignore[no-untyped-def]
    return {line[3:].strip() for line in result.stdout.splitlines() if line.startswith(".  ")}


def test_a_change_rebuilds_exactly_what_depends_on_it(built_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(built_project, project)
    template = project / "src" / "declaration_pipeline" / "templates" / "declaration.html"
    template.write_text(template.read_text() + "<!-- changed -->\n")
    assert _ran(run_doit(project)) == {"html", "verify:html", "manifest"}

    # Code is one dependency of every task (dodo.py globs the package, as doit's own does):
    # a change to any module, a leaf such as verify.py too, reruns everything.
    for module in ("typst.py", "verify.py", "checks/signatories.py"):
        code = project / "src" / "declaration_pipeline" / module
        code.write_text(code.read_text() + "\n# changed\n")
        assert _ran(run_doit(project)) == EVERYTHING, module

    # pandoc never sees the names (they reach Typst as data, and are spliced into its HTML and DOCX):
    # a new signatory is built without asking pandoc anything, as no kept answer is written again.
    answers = project / "build" / "pandoc-answers"
    kept = {path.name: path.stat().st_mtime_ns for path in answers.iterdir()}
    assert set(kept) == {"markdown", "typst", "html", "docx", "version"}
    # An edit to the list checks the list again, not the Markdown and the bibliography.
    signatories = project / "signatories.yaml"
    signatories.write_text(signatories.read_text().replace("individuals:", "  - Newly Signed Trust\nindividuals:"))
    assert _ran(run_doit(project)) == {"sources:signatories", "check"} | OUTPUT_TASKS
    assert {path.name: path.stat().st_mtime_ns for path in answers.iterdir()} == kept
    assert "Newly Signed Trust" in (project / "build" / "declaration.html").read_text(encoding="utf-8")
    assert run_doit(project).stdout.count(".  ") == 0


def test_the_pinned_pandoc_runs_even_with_a_newer_one_on_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pypandoc would pick the newest pandoc it finds; the outputs' bytes depend on the pinned one."""
    impostor = tmp_path / "pandoc"
    impostor.write_text('#!/bin/sh\necho "pandoc 99.0"\n', encoding="utf-8")
    impostor.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    pandoc.pandoc_executable.cache_clear()
    pandoc.pandoc_version.cache_clear()
    try:
        assert Path(pandoc.pandoc_executable()).parent.name == "files"
        assert pandoc.pandoc_version() != "99.0"
        assert pandoc.markdown_to_ast("Hello", "x.md")["blocks"][0]["t"] == "Para"
    finally:
        pandoc.pandoc_executable.cache_clear()
        pandoc.pandoc_version.cache_clear()


def test_pandoc_answers_are_kept_only_for_the_same_question(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    template = tmp_path / "template.typ"
    template.write_text("$body$\n", encoding="utf-8")
    document = pandoc.markdown_to_ast("Hello *world*", "x.md")

    def typst() -> bytes:
        args = ("--template", str(template))
        return pandoc.write_format(document, "typst", "t", args=args, remember_as="t", reads=(template,))

    first_reading = pandoc.read_markdown("Hello *world*", "x.md")
    with pandoc.answers_kept_in(tmp_path / "answers"):
        assert pandoc.read_markdown("Hello *world*", "x.md") == first_reading  # asked, and kept
        first_markup = typst()
        runs: list[list[str]] = []
        real_run = subprocess.run

        def counted(command, **kwargs):  # type: ignore[no-untyped-def]
            runs.append(command)
            return real_run(command, **kwargs)

        monkeypatch.setattr(subprocess, "run", counted)
        assert pandoc.read_markdown("Hello *world*", "x.md") == first_reading
        assert typst() == first_markup
        assert runs == []  # both answered from what was kept
        assert pandoc.read_markdown("Hello *there*", "x.md") != first_reading
        template.write_text("= $body$\n", encoding="utf-8")
        assert typst() == first_markup.replace(b"Hello", b"= Hello", 1)
        assert len(runs) == 2  # a new text, a changed template file: pandoc asked again
        (tmp_path / "answers" / "markdown").write_bytes(b"truncated")
        assert pandoc.read_markdown("Hello *world*", "x.md") == first_reading
    runs.clear()
    assert pandoc.read_markdown("Hello *world*", "x.md") == first_reading
    assert len(runs) == 1  # outside answers_kept_in, pandoc is asked every time


def test_a_replaced_font_rebuilds_what_uses_the_fonts(built_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(built_project, project)
    font = project / "src" / "declaration_pipeline" / "fonts" / "NotoSansThai-Regular.ttf"
    font.write_bytes(font.read_bytes())  # the same font written again: a new modification time
    # The tasks that read the fonts run again; the same bytes come out, so nothing after them does.
    assert _ran(run_doit(project)) == {"sources:document", "sources:signatories", "pdf"}
