"""What `doit check` accepts, `doit` builds and verifies.

Declarations are generated from Markdown features that real editors use (code
that shows syntax, notes in block quotes, headings with any text, math,
comments, annex entries longer than a page, names with "@" and brackets), and
each one that passes the check is built and verified in process, with the same
stage functions that the doit tasks call.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import html5lib
import pytest
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader

from declaration_pipeline import render
from declaration_pipeline.assemble import assemble_document
from declaration_pipeline.checks import check_sources
from declaration_pipeline.diagnostics import PipelineError
from declaration_pipeline.verify import verify_output

CASES = Path(__file__).parent / "cases"
FORMATS = ("html", "docx", "pdf")
WRITERS = {"html": render.render_html, "docx": render.render_docx, "pdf": render.render_pdf}


def build_and_verify(project: Path) -> tuple[list[str], list[str]]:
    """(the check's errors, the build's and verification's problems), as `doit` would print them."""
    sources, diagnostics = check_sources(project)
    errors = [str(d) for d in diagnostics if d.severity == "error"]
    if errors:
        return errors, []
    problems = []
    document = assemble_document(sources)
    for fmt in FORMATS:
        output = project / "build" / f"declaration.{fmt}"
        try:
            WRITERS[fmt](document, output)
        except PipelineError as exc:
            problems.append(str(exc))
            continue
        problems += [str(d) for d in verify_output(fmt, project, document, output)]
    return errors, problems


ACCEPTED_CASES = sorted(
    case for case in CASES.iterdir() if case.is_dir() and "error:" not in (case / "expected.txt").read_text()
)


@pytest.mark.parametrize("case", ACCEPTED_CASES, ids=[case.name for case in ACCEPTED_CASES])
def test_every_scenario_the_check_accepts_builds_and_verifies(case: Path, tmp_path: Path) -> None:
    project = shutil.copytree(case, tmp_path / case.name)
    assert build_and_verify(project) == ([], [])


def test_editors_comments_reach_no_output_and_inject_nothing(tmp_path: Path) -> None:
    project = shutil.copytree(CASES / "comments", tmp_path / "comments")
    assert build_and_verify(project) == ([], [])
    html = (project / "build" / "declaration.html").read_bytes()
    tree = html5lib.parse(html, namespaceHTMLElements=False)
    body_text = "".join(tree.find("body").itertext())
    assert not list(tree.iter("script")) and not list(tree.iter("b"))
    assert b"EDITORNOTE" not in html and b"<!--" not in html.split(b"<body")[1]
    assert "<!-- kept -->" in body_text and "<b>HTML</b>" in body_text
    pdf_text = "\n".join(page.extract_text() for page in PdfReader(project / "build" / "declaration.pdf").pages)
    assert "EDITORNOTE" not in pdf_text and "<!-- kept -->" in pdf_text
    assert b"EDITORNOTE" not in _docx_xml(project / "build" / "declaration.docx")


def _docx_xml(path: Path) -> bytes:
    import zipfile

    with zipfile.ZipFile(path) as package:
        return b"".join(package.read(name) for name in package.namelist() if name.endswith(".xml"))


def test_an_annex_entry_breaking_across_pages_verifies(tmp_path: Path) -> None:
    project = shutil.copytree(CASES / "annex-page-break", tmp_path / "annex")
    assert build_and_verify(project) == ([], [])
    pages = [page.extract_text() for page in PdfReader(project / "build" / "declaration.pdf").pages]
    first = next(number for number, text in enumerate(pages) if "part1 " in text)
    last = next(number for number, text in enumerate(pages) if "part1000" in text)
    assert last > first  # the entry does break, with a page number between its halves
    assert f"{first + 1} / {len(pages)}" in pages[first]


def test_headings_named_like_the_notes_section_keep_their_own_ids(tmp_path: Path) -> None:
    project = shutil.copytree(CASES / "heading-ids", tmp_path / "ids")
    assert build_and_verify(project) == ([], [])
    tree = html5lib.parse((project / "build" / "declaration.html").read_bytes(), namespaceHTMLElements=False)
    ids = [element.get("id") for element in tree.iter() if element.get("id")]
    assert len(ids) == len(set(ids))
    link = next(a for a in tree.iter("a") if "notes heading" in "".join(a.itertext()))
    assert link.get("href") == "#footnotes-1"


# ---------------------------------------------------------------- the property

KEYS = ("smith2020", "doe2019")
WORDS = st.sampled_from(["civil", "society", "matters", "Rule", "17", "UNTOC", "(i)", "e.g.", "—", "Ünïcode"])
SYNTAX = st.sampled_from(
    ["@smith2020", "[@doe2019]", "[^a]", "[^zz]", "<!-- x -->", "$x$", "*", "_", "#", "\\", "{#id}"]
)
FORMULAS = st.sampled_from(["x^2", "\\alpha + \\beta", "\\frac{a}{b}", 'E = mc^2 \\text{"q"}', "a_{i} \\leq 1"])
HEADING_TEXT = st.one_of(
    st.sampled_from(["Footnotes", "Notes", "References", "Signatories", "Annex", "Refs", "fn1", "Title block header"]),
    st.text(alphabet=st.sampled_from(list("abcXYZ019 .,:;!?'\"()-&/@[]^$*_<>#éß王")), min_size=1, max_size=20).filter(
        lambda text: text.strip() != ""
    ),
)


@st.composite
def sentence(draw: st.DrawFn, notes: list[str] | None = None) -> str:
    """Words and inline features; a note reference only when `notes` collects the labels to define."""
    parts = draw(st.lists(WORDS, min_size=1, max_size=5))
    for _ in range(draw(st.integers(0, 2))):
        kind = draw(st.sampled_from(["cite", "intext", "code", "math", "comment", "note"]))
        if kind == "note" and notes is None:
            kind = "code"
        if kind == "cite":
            parts.append(f"[@{draw(st.sampled_from(KEYS))}]")
        elif kind == "intext":
            parts.append(f"@{draw(st.sampled_from(KEYS))}")
        elif kind == "code":
            parts.append("`" + draw(SYNTAX) + "`")
        elif kind == "math":
            parts.append("$" + draw(FORMULAS) + "$")
        elif kind == "comment":
            parts.append(f"<!-- EDITORNOTE {draw(SYNTAX)} -->")
        elif notes is not None:
            label = f"n{len(notes)}"
            notes.append(label)
            parts[-1] += f"[^{label}]"
    return " ".join(parts) + "."


@st.composite
def declarations(draw: st.DrawFn) -> str:
    notes: list[str] = []
    blocks = []
    level = 0
    for number in range(draw(st.integers(1, 5))):
        kind = draw(st.sampled_from(["heading", "para", "quote", "codeblock", "display", "comment", "list"]))
        if kind == "heading":
            level = draw(st.integers(1, min(level + 1, 3)))
            blocks.append("#" * level + " " + draw(HEADING_TEXT))
        elif kind == "para":
            blocks.append(draw(sentence(notes)))
        elif kind == "quote":
            label = f"q{number}"
            blocks.append(f"> {draw(sentence())}[^{label}]\n>\n> [^{label}]: {draw(sentence())}")
        elif kind == "codeblock":
            blocks.append("```\n" + " ".join(draw(st.lists(SYNTAX, min_size=1, max_size=4))) + "\n```")
        elif kind == "display":
            blocks.append("$$" + draw(FORMULAS) + "$$")
        elif kind == "comment":
            blocks.append(f"<!-- EDITORNOTE\n{draw(SYNTAX)}\n\n{draw(SYNTAX)} -->")
        else:
            blocks.append("\n".join(f"- {draw(sentence(notes))}" for _ in range(draw(st.integers(1, 3)))))
    definitions = [f"[^{label}]: {draw(sentence())}" for label in notes]
    lang = draw(st.sampled_from(["", "lang: en\n", "lang: fr\n", "lang: en-GB\n", "lang: de\n", "lang: zh-Hant-TW\n"]))
    return f"---\ntitle: Generated\n{lang}---\n\n" + "\n\n".join(blocks + definitions) + "\n"


NAMES = st.sampled_from(
    ["@smith2020 Collective", "Friends of [^a] and [Brackets]", "J. Doe [@doe2019]", "Alliance @ Home", "[^n0]"]
)
LONG_TITLE = st.sampled_from([0, 300, 1000]).map(lambda words: " ".join(f"w{i}" for i in range(words)))


def _write_project(project: Path, markdown: str, names: list[str], long_title: str) -> None:
    project.mkdir(parents=True)
    (project / "declaration.md").write_text(markdown, encoding="utf-8")
    bib = (CASES / "clean" / "references.bib").read_text()
    if long_title:
        bib += f"\n@report{{long2001,\n  author = {{Long, A.}},\n  title = {{Long {long_title}}},\n"
        bib += "  institution = {An Institute},\n  year = {2001},\n}\n"
    (project / "references.bib").write_text(bib, encoding="utf-8")
    organizations = "".join(f"  - {json.dumps(name)}\n" for name in ["Alpha Foundation", *names])
    (project / "signatories.yaml").write_text(f"organizations:\n{organizations}individuals:\n  - Ana Gómez\n")


@settings(
    max_examples=200,
    deadline=None,
    phases=(Phase.explicit, Phase.reuse, Phase.generate, Phase.shrink),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(markdown=declarations(), names=st.lists(NAMES, max_size=2, unique=True), long_title=LONG_TITLE)
def test_what_the_check_accepts_builds_and_verifies(
    markdown: str, names: list[str], long_title: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    project = tmp_path_factory.mktemp("generated") / "project"
    _write_project(project, markdown, names, long_title)
    errors, problems = build_and_verify(project)
    assume(not errors)
    assert problems == []
    assert b"EDITORNOTE" not in (project / "build" / "declaration.html").read_bytes()
    assert b"EDITORNOTE" not in _docx_xml(project / "build" / "declaration.docx")
