"""A killed or failed build loses nothing; the build writes only under build/; huge inputs are refused fast."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from conftest import copy_project, run_doit, start_doit
from pypdf import PdfReader

from declaration_pipeline.checks import check_sources

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synthetic import signatories_yaml  # noqa: E402


def snapshot(project: Path) -> dict[str, str]:
    return {
        str(path.relative_to(project)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(project.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


def test_the_build_writes_only_under_build_and_its_state_file(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    before = snapshot(project)
    assert run_doit(project).returncode == 0
    after = snapshot(project)
    new = {name for name in after if name not in before}
    assert all(name.startswith("build/") or name == ".doit.json" for name in new), new
    assert {name: after[name] for name in before} == before  # sources and code untouched


def test_a_build_killed_during_the_pdf_step_leaves_no_truncated_output(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    assert run_doit(project).returncode == 0
    good_pdf = (project / "build" / "declaration.pdf").read_bytes()

    # Enough signatories that the PDF step takes seconds, then kill it mid-way.
    (project / "signatories.yaml").write_text(signatories_yaml(20_000), encoding="utf-8")
    build = start_doit(project, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert build.stdout is not None
    for line in build.stdout:
        if line.startswith(".  pdf"):
            break
    time.sleep(1.0)
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()

    pdf = (project / "build" / "declaration.pdf").read_bytes()
    # Either the last good PDF, or (had Typst already finished) a complete new one.
    assert pdf == good_pdf or len(PdfReader(project / "build" / "declaration.pdf").pages) > 100

    recovered = run_doit(project)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert len(PdfReader(project / "build" / "declaration.pdf").pages) > 100
    assert not list((project / "build").glob(".*.partial"))


def test_a_50_mb_markdown_file_is_refused_at_once(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    with (project / "declaration.md").open("a") as handle:
        handle.write(("Lorem ipsum dolor sit amet. " * 40 + "\n\n") * 45_000)
    assert (project / "declaration.md").stat().st_size > 50_000_000
    _sources, diagnostics = check_sources(project)
    assert [d.code for d in diagnostics] == ["source-too-large"]
    assert str(diagnostics[0]).startswith("declaration.md:1:1: error: file is 5")


def test_a_million_signatories_are_refused_before_parsing(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "signatories.yaml").write_text(
        "organizations:\n" + "".join(f"  - O{n}\n" for n in range(1_000_000)), encoding="utf-8"
    )
    _sources, diagnostics = check_sources(project)
    assert [d.code for d in diagnostics] == ["signatories-too-many"]
    assert "the limit is 200,000 signatories" in diagnostics[0].message


def test_taking_the_build_lock_removes_what_dead_builds_left_and_only_that(tmp_path: Path) -> None:
    from declaration_pipeline.build_lock import build_lock

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    build = tmp_path / "build"
    build.mkdir()
    (build / "pandoc-answers").mkdir()
    left = build / f".declaration.docx.{dead.stdout.strip()}.k3j9.reference.docx.partial"
    left_below = build / "pandoc-answers" / f".typst.{dead.stdout.strip()}.a1b2.partial"
    running = build / f".declaration.pdf.{os.getpid()}.x1y2.pdf.partial"
    for partial in (left, left_below, running):
        partial.write_bytes(b"half")
    with build_lock(tmp_path):
        assert not left.exists() and not left_below.exists() and running.exists()


def test_a_build_killed_after_it_rewrote_a_checked_file_then_the_source_put_back_builds_from_the_source(
    tmp_path: Path,
) -> None:
    """doit saves its state when a run ends: the killed run's checked list must not outlive it."""
    project = copy_project(tmp_path / "project")
    assert run_doit(project).returncode == 0
    good = (project / "signatories.yaml").read_bytes()
    checked = project / "build" / "checked-signatories.pickle"
    before = checked.stat().st_mtime_ns
    (project / "signatories.yaml").write_text(signatories_yaml(20_000), encoding="utf-8")
    build = start_doit(project)
    deadline = time.monotonic() + 120
    while checked.stat().st_mtime_ns == before and build.poll() is None and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(build.pid, signal.SIGKILL)
    build.wait()
    (project / "signatories.yaml").write_bytes(good)

    assert run_doit(project).returncode == 0
    fresh = copy_project(tmp_path / "fresh")
    assert run_doit(fresh).returncode == 0
    for name in ("declaration.json", "declaration.pdf", "declaration.html", "declaration.docx"):
        assert (project / "build" / name).read_bytes() == (fresh / "build" / name).read_bytes(), name
