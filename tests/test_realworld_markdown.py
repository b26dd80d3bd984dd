"""Real Markdown written by others: the check gives exactly the diagnostics its expected.txt justifies,
and once those are dealt with, what the check accepts builds and verifies.

Each folder under tests/realworld/ with a Markdown paper and its bibliography (see its
PROVENANCE.md) has expected-check.txt: each diagnostic line of `doit check`, followed
by an indented "because:" line saying why it is a true problem.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_check_means_build import build_and_verify

from declaration_pipeline.checks import check_sources

REALWORLD = Path(__file__).parent / "realworld"


def _markdown(folder: Path) -> Iterator[Path]:
    return (path for path in sorted(folder.glob("*.md")) if path.name != "PROVENANCE.md")


PAPERS = sorted(folder for folder in REALWORLD.iterdir() if (folder / "expected-check.txt").exists())
SIGNATORIES = "organizations:\n  - Alpha Foundation\nindividuals: []\n"


def as_project(folder: Path, destination: Path, markdown: str | None = None) -> Path:
    """The paper as the pipeline's three sources: its Markdown, its bibliography, one signatory."""
    destination.mkdir(parents=True)
    source = next(_markdown(folder))
    (destination / "declaration.md").write_text(markdown or source.read_text(encoding="utf-8"), encoding="utf-8")
    shutil.copy(next(folder.glob("*.bib")), destination / "references.bib")
    (destination / "signatories.yaml").write_text(SIGNATORIES, encoding="utf-8")
    return destination


def expected_lines(folder: Path) -> list[str]:
    lines = [line for line in (folder / "expected-check.txt").read_text(encoding="utf-8").splitlines() if line]
    diagnostics = [line for line in lines if not line.startswith(("#", " "))]
    reasons = [line for line in lines if line.startswith("  because: ") and line.removeprefix("  because: ").strip()]
    assert len(reasons) == len(diagnostics), "every diagnostic needs its own because: line"
    return diagnostics


@pytest.mark.parametrize("folder", PAPERS, ids=[folder.name for folder in PAPERS])
def test_the_check_gives_exactly_the_justified_diagnostics(folder: Path, tmp_path: Path) -> None:
    _sources, diagnostics = check_sources(as_project(folder, tmp_path / "project"))
    assert [str(diagnostic) for diagnostic in diagnostics] == expected_lines(folder)


def test_the_joss_paper_without_its_figures_builds_and_verifies(tmp_path: Path) -> None:
    """No lang:, display and inline math everywhere, in-text citations, a "References" heading."""
    folder = REALWORLD / "joss-gmr"
    without_figures = re.sub(r"^!\[.*$", "", (folder / "paper.md").read_text(encoding="utf-8"), flags=re.M)
    project = as_project(folder, tmp_path / "project", without_figures)
    assert build_and_verify(project) == ([], [])
    html = (project / "build" / "declaration.html").read_text(encoding="utf-8")
    assert 'lang="en"' in html and "Ghahramani &amp; Jordan (1994)" in html
