"""`doit check` as editors and CI run it: exit status, strict mode, GitHub annotations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import copy_project

CASES = Path(__file__).parent / "cases"


def project_from_case(tmp_path: Path, case: str) -> Path:
    project = copy_project(tmp_path / case)
    for name in ("declaration.md", "references.bib", "signatories.yaml"):
        (project / name).write_bytes((CASES / case / name).read_bytes())
    return project


def check(project: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k not in ("GITHUB_ACTIONS", "DECLARATION_STRICT")}
    return subprocess.run(
        [sys.executable, "-m", "doit", "check", *args],
        cwd=project,
        capture_output=True,
        text=True,
        env={**environment, **env},
        check=False,
    )


def test_errors_fail_and_every_problem_is_printed_with_a_summary(tmp_path: Path) -> None:
    result = check(project_from_case(tmp_path, "citations"))
    assert result.returncode != 0
    expected = (CASES / "citations" / "expected.txt").read_text().splitlines()
    assert [line for line in result.stderr.splitlines() if line.startswith("declaration.md:")] == expected
    assert f"check: {len(expected)} errors, 0 warnings" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_warnings_alone_pass_unless_strict(tmp_path: Path) -> None:
    project = project_from_case(tmp_path, "frontmatter-unknown-key")
    assert check(project).returncode == 0
    assert check(project, "--strict").returncode != 0
    assert check(project, DECLARATION_STRICT="1").returncode != 0


def test_github_actions_gets_annotations(tmp_path: Path) -> None:
    result = check(project_from_case(tmp_path, "footnotes"), GITHUB_ACTIONS="true")
    assert "::error file=declaration.md,line=8,col=27,title=footnote-undefined::" in result.stdout
    assert "::warning file=declaration.md,line=13,col=1,title=footnote-unused::" in result.stdout


def test_the_repository_sources_check_clean() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "doit", "-f", "dodo.py", "check"],
        cwd=Path(__file__).parent.parent,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "error" not in result.stderr and "warning" not in result.stderr


def test_problems_in_both_parts_are_printed_together_and_fail_once(tmp_path: Path) -> None:
    project = project_from_case(tmp_path, "citations")
    signatories = project / "signatories.yaml"
    first = next(line for line in signatories.read_text().splitlines() if line.startswith("  - "))
    signatories.write_text(signatories.read_text().replace("individuals:", f"{first}\nindividuals:", 1))
    result = check(project)
    problems = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert result.returncode != 0
    assert problems == sorted(problems, key=lambda line: line.split(":")[0])  # one report, file by file
    assert {line.split(":")[0] for line in problems} == {"declaration.md", "signatories.yaml"}
    assert result.stdout.count("TaskFailed") == 1 and result.stdout.count("check failed") == 1
    # The parts are not checked again, and what they found is printed again, until it is fixed.
    again = check(project)
    assert again.stdout.count(".  sources:") == 0 and again.stderr == result.stderr
    signatories.write_text(signatories.read_text().replace(f"{first}\nindividuals:", "individuals:", 1))
    fixed = check(project)
    assert ".  sources:signatories" in fixed.stdout and ".  sources:document" not in fixed.stdout
    assert "signatories.yaml:" not in fixed.stderr and "declaration.md:" in fixed.stderr


def test_assemble_alone_refuses_sources_that_check_failed(tmp_path: Path) -> None:
    project = project_from_case(tmp_path, "citations")
    assert check(project).returncode != 0
    alone = subprocess.run(
        [sys.executable, "-m", "doit", "-s", "assemble"], cwd=project, capture_output=True, text=True, check=False
    )
    assert alone.returncode != 0 and "the sources have errors: run doit check" in alone.stdout
    assert "Traceback" not in alone.stdout + alone.stderr
    assert not (project / "build" / "declaration.json").exists()


def test_a_damaged_file_of_the_build_is_one_line_with_what_to_do(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    assert check(project).returncode == 0
    kept = project / "build" / "checked-signatories.pickle"
    whole = kept.read_bytes()
    # Changed since its task wrote it: that part is checked again, and the file is whole again.
    kept.write_bytes(b"not a pickle")
    assert check(project).returncode == 0 and kept.read_bytes() == whole
    # Read as it is by a task run alone (`doit -s`): one line, and what to do.
    for damaged, command in ((b"not a pickle", ["-s", "check"]), (whole[:40], ["-s", "assemble"])):  # cut records
        kept.write_bytes(damaged)
        result = subprocess.run([sys.executable, "-m", "doit", *command], cwd=project, capture_output=True, text=True)
        assert result.returncode != 0 and "Traceback" not in result.stdout + result.stderr
        assert "checked-signatories.pickle: the checked sources cannot be read" in result.stdout
        assert "run `doit forget sources` and build again" in result.stdout
    subprocess.run([sys.executable, "-m", "doit", "forget", "sources"], cwd=project, capture_output=True, check=True)
    assert check(project).returncode == 0 and kept.read_bytes() == whole
