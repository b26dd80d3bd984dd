"""`doit redline`: the issue's Done-when scenario, an edit in each part, and the edge cases.

The DOCX is held to Word's own reading: Accept All (done on its XML by
docx_readings.py) reads exactly like the new version's DOCX, Reject All like
the old one's, in the body and the footnotes. The HTML marks the changes with
<ins> and <del> and nothing else; the PDF shows both readings and stays tagged.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pypdfium2
import pytest
from conftest import copy_project, run_doit
from docx_readings import docx_text
from pypdf import PdfReader

from declaration_pipeline import pandoc_ast as ast
from declaration_pipeline.assemble import assemble_document
from declaration_pipeline.checks import check_sources
from declaration_pipeline.git_revision import default_base_ref
from declaration_pipeline.redline import DELETION, INSERTION, marks_author_and_date, redline_documents
from declaration_pipeline.redline_outputs import TYPST_CHANGE_BARS, TYPST_MARKS, typst_document, write_docx
from declaration_pipeline.render import render_docx

SENTENCE = " We cannot afford to work in silos, or to ignore the input of different sectors and constituencies."
NEW_PARAGRAPH = "The Alliance welcomes comments on this draft until the end of the month."
# The Done-when edits: a word changed, a sentence deleted, a paragraph
# added, a footnote edited, a signatory renamed.
DONE_WHEN = {
    "declaration.md": [
        ("The threat of organized crime", "The threat of organised crime"),
        (SENTENCE, ""),
        ("# PREAMBLE:\n", f"# PREAMBLE:\n\n{NEW_PARAGRAPH}\n"),
        ("The Global Organized Crime Index 2023.", "The Global Organized Crime Index 2025."),
    ],
    "signatories.yaml": [("  - Soroptimist International\n", "  - Soroptimist Internacional\n")],
}
# One edit in every other part: the date, a heading, a footnote added and one
# removed, an individual removed and one added, an annex entry.
EVERY_PART = {
    "declaration.md": [
        ("date: October 2024", "date: November 2024"),
        ("## 1. Situational Context and process", "## 1. Situational context and process"),
        ("partner in achieving these aims.", "partner in achieving these aims.[^new]\n\n[^new]: A new note, whole."),
        ("high criminality,[^oc-index]", "high criminality,"),
    ],
    "signatories.yaml": [("  - Edda Giuberti\n", ""), ("  - Richard Anthony\n", "  - Richard Anthony\n  - Li Wei\n")],
    "references.bib": [("a Report on Trends, Responses", "a Report on Trends and Responses")],
}


def _git(root: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t"}
    env["GIT_COMMITTER_EMAIL"] = "t@t"
    completed = subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True, env=env)
    return completed.stdout


def committed_project(destination: Path) -> Path:
    """The project in a git repository of its own, everything committed."""
    project = copy_project(destination)
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", ".")
    _git(project, "commit", "-q", "-m", "approved draft")
    return project


def edit(project: Path, edits: dict[str, list[tuple[str, str]]]) -> None:
    for name, replacements in edits.items():
        path = project / name
        text = path.read_text(encoding="utf-8")
        for old, new in replacements:
            assert old in text, old
            text = text.replace(old, new, 1)
        path.write_text(text, encoding="utf-8")


def version_docx(root: Path, output: Path) -> Path:
    """The plain DOCX of one version, written by the same writer."""
    sources, diagnostics = check_sources(root)
    assert not [d for d in diagnostics if d.severity == "error"], diagnostics
    render_docx(assemble_document(sources), output)
    return output


@pytest.fixture(scope="module")
def done_when(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("redline")
    project = committed_project(base / "project")
    version_docx(project, base / "old.docx")
    edit(project, DONE_WHEN)
    version_docx(project, base / "new.docx")
    result = run_doit(project, "redline")
    assert result.returncode == 0, result.stdout + result.stderr
    return project


def test_accept_all_gives_the_new_text_and_reject_all_the_old_one(done_when: Path) -> None:
    redline = done_when / "build" / "redline.docx"
    assert docx_text(redline, "accept") == docx_text(done_when.parent / "new.docx")
    assert docx_text(redline, "reject") == docx_text(done_when.parent / "old.docx")
    xml = zipfile_text(redline, "word/document.xml")
    assert "<w:delText" in xml and "<w:ins " in xml
    # The inserted paragraph's mark is tracked too, and every revision has its own id.
    assert re.search(r"<w:pPr><w:pStyle [^>]*/><w:rPr><w:ins ", xml)
    ids = re.findall(r'<w:(?:ins|del) w:id="(\d+)"', xml + zipfile_text(redline, "word/footnotes.xml"))
    assert len(ids) == len(set(ids))
    assert 'w:author="Alliance of NGOs on Crime Prevention and Criminal Justice"' in xml
    assert 'w:date="2024-10-01T00:00:00Z"' in xml


def test_the_html_marks_those_changes_and_nothing_else(done_when: Path) -> None:
    page = (done_when / "build" / "redline.html").read_text(encoding="utf-8")
    marks = [(tag, _plain(text)) for tag, text in re.findall(r"<(ins|del)>(.*?)</\1>", page, re.S)]
    assert marks == [
        ("del", "organized"),
        ("ins", "organised"),
        ("del", SENTENCE),
        ("ins", NEW_PARAGRAPH),
        ("del", "International"),
        ("ins", "Internacional"),
        ("del", "2023."),  # the footnotes close the page
        ("ins", "2025."),
    ]
    assert "3 paragraphs changed, 1 inserted and 0 deleted" in page
    summary = page[page.index('class="redline-summary"') : page.index('id="foreword')]
    for section in ("#preamble", "#organizations", "#civil-society-and-the-untoc-review-mechanism"):
        assert f'href="{section}"' in summary


def test_the_pdf_shows_both_readings_marked_and_stays_tagged(done_when: Path) -> None:
    pdf = done_when / "build" / "redline.pdf"
    text = " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in pypdfium2.PdfDocument(pdf))
    for both in ("organizedorganised", SENTENCE.strip(), NEW_PARAGRAPH, "Internacional", "International"):
        assert both in text.replace("\r", "").replace("- ", "-"), both
    assert "Inserted text is underlined, deleted text is struck through." in text
    reader = PdfReader(pdf)
    assert "/StructTreeRoot" in reader.trailer["/Root"]
    assert b"<pdfuaid:part>1</pdfuaid:part>" in reader.trailer["/Root"]["/Metadata"].get_object().get_data()


def test_a_rerun_is_byte_identical(done_when: Path, tmp_path: Path) -> None:
    before = {path.name: path.read_bytes() for path in (done_when / "build").glob("redline.*")}
    assert len(before) == 3
    project = tmp_path / "elsewhere"
    shutil.copytree(done_when, project)
    shutil.rmtree(project / "build")
    assert run_doit(project, "redline").returncode == 0
    assert {path.name: path.read_bytes() for path in (project / "build").glob("redline.*")} == before


def test_an_edit_in_every_part_survives_accept_and_reject(tmp_path: Path) -> None:
    project = committed_project(tmp_path / "project")
    old_docx = version_docx(project, tmp_path / "old.docx")
    old = assemble_document(check_sources(project)[0])
    edit(project, DONE_WHEN)
    edit(project, EVERY_PART)
    new_docx = version_docx(project, tmp_path / "new.docx")
    new = assemble_document(check_sources(project)[0])
    redline = redline_documents(old, new, *marks_author_and_date(new, None))
    assert {change.part for change in redline.changes} == {
        "front matter",
        "body",
        "footnote",
        "signatories",
        "annex",
    }
    assert {change.section_id for change in redline.changes} >= {"organizations", "individuals", "annex"}
    assert redline.author == "Alliance of NGOs on Crime Prevention and Criminal Justice"
    assert redline.date == "2024-11-01T00:00:00Z"  # the newer version's date
    # The PDF's markup: every mark underlined or struck through, a bar of its kind beside every changed paragraph.
    raw = [n["c"][1] for n in ast.walk(typst_document(redline, "HEAD")["blocks"]) if n["t"] == "RawInline"]
    spans = [n["c"][0][1] for n in ast.walk(redline.document["blocks"]) if n["t"] == "Span"]
    assert raw.count(TYPST_MARKS[INSERTION][0]) >= sum(INSERTION in classes for classes in spans) > 0
    assert raw.count(TYPST_MARKS[DELETION][0]) >= sum(DELETION in classes for classes in spans) > 0
    body_changes = [change for change in redline.changes if change.part != "front matter"]
    assert sorted(r for r in raw if r in TYPST_CHANGE_BARS.values()) == sorted(
        TYPST_CHANGE_BARS[change.kind] for change in body_changes
    )
    write_docx(redline, tmp_path / "redline.docx")
    assert docx_text(tmp_path / "redline.docx", "accept") == docx_text(new_docx)
    assert docx_text(tmp_path / "redline.docx", "reject") == docx_text(old_docx)


def test_no_change_is_said_plainly(tmp_path: Path) -> None:
    project = committed_project(tmp_path / "project")
    result = run_doit(project, "redline")
    assert result.returncode == 0, result.stderr
    assert "No changes." in result.stdout
    page = (project / "build" / "redline.html").read_text(encoding="utf-8")
    assert "No changes: the text is the same in both versions." in page
    assert "<ins>" not in page and "<del>" not in page
    assert "<w:ins " not in zipfile_text(project / "build" / "redline.docx", "word/document.xml")


def test_a_bad_ref_or_missing_sources_give_one_clear_line(tmp_path: Path) -> None:
    project = committed_project(tmp_path / "project")
    result = run_doit(project, "redline", "--ref", "no-such-branch")
    assert result.returncode != 0
    assert "redline: 'no-such-branch' is not a git revision in this repository" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr

    _git(project, "rm", "-q", "--cached", "references.bib")
    _git(project, "commit", "-q", "-m", "no references")
    result = run_doit(project, "redline", "--ref", "HEAD")
    assert result.returncode != 0
    assert "redline: HEAD: references.bib did not exist at this revision" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr

    elsewhere = copy_project(tmp_path / "not-a-checkout")
    result = run_doit(elsewhere, "redline")
    assert "is not a git checkout" in result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_sources_failing_the_checks_at_the_ref_are_named(tmp_path: Path) -> None:
    project = committed_project(tmp_path / "project")
    edit(project, {"declaration.md": [("@roepstorff2020", "@nobody2020")]})
    _git(project, "commit", "-q", "-am", "a broken citation")
    edit(project, {"declaration.md": [("@nobody2020", "@roepstorff2020")]})
    result = run_doit(project, "redline")
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert re.search(r"^HEAD:declaration\.md:\d+:\d+: error: unknown citation key \"nobody2020\"", output, re.M)
    assert "redline: the sources at HEAD do not pass the checks (1 error, 0 warnings)" in output
    assert "Traceback" not in output


def zipfile_text(path: Path, name: str) -> str:
    import zipfile

    with zipfile.ZipFile(path) as archive:
        return archive.read(name).decode("utf-8")


def _plain(fragment: str) -> str:
    """The text of an HTML fragment (tags dropped, entities read)."""
    return html.unescape(re.sub(r"<[^>]+>", "", fragment))


def test_the_job_summary_lists_the_changed_paragraphs_below_the_signatory_diff(done_when: Path) -> None:
    result = run_doit(done_when, "summary", "--ref", "HEAD", "--output", "build/summary.md")
    assert result.returncode == 0, result.stdout + result.stderr
    summary = (done_when / "build" / "summary.md").read_text(encoding="utf-8")
    assert summary.index("### Signatories since `HEAD`") < summary.index("### Text changes since `HEAD (")
    assert "<del>organized</del><ins>organised</ins> crime is more challenging than ever\\.<del> We cannot" in summary
    assert "constituencies\\.</del> We hope this" in summary
    assert f"<ins>{NEW_PARAGRAPH[:-1]}\\.</ins>" in summary
    assert "(signatories) — Soroptimist <del>International</del><ins>Internacional</ins>" in summary
    assert "(in a footnote) — The Global Organized Crime Index <del>2023\\.</del><ins>2025\\.</ins>" in summary


HOSTILE_NAMES = ["= Foundation", "- Dash", "+ Plus", "1. First", "#strong[x]", "]) Bracket [", "$x$ *a*", "<b>x</b>"]


def test_names_that_look_like_markup_print_literally_in_every_redline(tmp_path: Path) -> None:
    project = committed_project(tmp_path / "project")
    lines = "".join(f"  - {json.dumps(name)}\n" for name in HOSTILE_NAMES)
    edit(project, {"signatories.yaml": [("individuals:\n", lines + "individuals:\n")]})
    result = run_doit(project, "redline")
    assert result.returncode == 0, result.stdout + result.stderr
    pdf = pypdfium2.PdfDocument(project / "build" / "redline.pdf")
    pdf_text = "".join(page.get_textpage().get_text_range() for page in pdf)
    page = (project / "build" / "redline.html").read_text(encoding="utf-8")
    inserted = [_plain(text) for text in re.findall(r"<ins>(.*?)</ins>", page, re.S)]
    assert inserted == HOSTILE_NAMES
    accepted, _notes = docx_text(project / "build" / "redline.docx", "accept")
    for name in HOSTILE_NAMES:
        assert name in pdf_text.replace("\r\n", " ")
        assert name in accepted


def test_the_default_ref_is_the_pull_requests_base_in_ci_else_head() -> None:
    assert default_base_ref({"GITHUB_BASE_REF": "main"}) == "origin/main"
    assert default_base_ref({"GITHUB_BASE_REF": ""}) == "HEAD"
    assert default_base_ref({}) == "HEAD"


# The approved draft gives one signatory an affiliation; the new one changes it,
# adds a country and an honorific with an affiliation, and renames two.
SIGNATORY_BEFORE = {
    "signatories.yaml": [("  - Ugljesa Zvekic\n", "  - name: Ugljesa Zvekic\n    affiliation: UNODC\n")]
}
SIGNATORY_EDITS = {
    "signatories.yaml": [
        ("  - Rapha International\n", "  - name: Rapha International\n    country: Kenya\n"),
        ("  - Soroptimist International\n", "  - Soroptimist Internacional\n"),
        ("  - Centre for Governance Research\n", "  - Institute for Policy Studies\n"),
        ("  - Edda Giuberti\n", "  - name: Dr Edda Giuberti\n    affiliation: University of Padua\n"),
        ("    affiliation: UNODC\n", "    affiliation: UNICRI\n"),
    ]
}


def _marked_words(document: dict) -> list[tuple[str, str]]:
    spans = [n for n in ast.walk(document["blocks"]) if n["t"] == "Span"]
    return [(c, ast.stringify(n["c"][1])) for n in spans for c in (DELETION, INSERTION) if c in n["c"][0][1]]


def test_a_signatorys_details_are_marked_alone_and_a_rename_both_ways(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    edit(project, SIGNATORY_BEFORE)
    old_docx = version_docx(project, tmp_path / "old.docx")
    old = assemble_document(check_sources(project)[0])
    edit(project, SIGNATORY_EDITS)
    new_docx = version_docx(project, tmp_path / "new.docx")
    new = assemble_document(check_sources(project)[0])
    redline = redline_documents(old, new, *marks_author_and_date(new, None))
    assert _marked_words(redline.document) == [
        (INSERTION, " "),  # the space before the details, outside their span
        (INSERTION, "(Kenya)"),
        (DELETION, "International"),
        (INSERTION, "Internacional"),
        (DELETION, "Centre for Governance Research"),
        (INSERTION, "Institute for Policy Studies"),
        (INSERTION, "Dr "),
        (INSERTION, " "),
        (INSERTION, "(University of Padua)"),
        (DELETION, "(UNODC)"),
        (INSERTION, "(UNICRI)"),
    ]
    write_docx(redline, tmp_path / "redline.docx")
    assert docx_text(tmp_path / "redline.docx", "accept") == docx_text(new_docx)
    assert docx_text(tmp_path / "redline.docx", "reject") == docx_text(old_docx)
