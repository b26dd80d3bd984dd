"""Shared fixtures: a built copy of the project, and the golden-file switch."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# Every test's project would leave a build server behind (declaration_pipeline/build_server.py):
# test_build_server.py turns it on where it tests it.
os.environ["DECLARATION_BUILD_SERVER"] = "0"
# pyproject.toml installs the build lock into doit's commands.
PROJECT_FILES = ("dodo.py", "pyproject.toml", "declaration.md", "references.bib", "signatories.yaml")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        help="rewrite tests/cases/*/expected.txt from the current diagnostics",
    )


@pytest.fixture(scope="session")
def update_golden(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-golden"))


def copy_project(destination: Path) -> Path:
    """The project as a fresh checkout would have it, without build outputs or doit state."""
    destination.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, destination / name)
    shutil.copytree(ROOT / "src", destination / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return destination


def run_doit(
    project: Path, *args: str, environment: dict[str, str] | None = None, timeout: float | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "doit", *args],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
        env={**project_environment(project), **(environment or {})},
    )


def start_doit(project: Path, environment: dict[str, str] | None = None, **popen: object) -> subprocess.Popen[str]:
    """A `doit` in the project, in a session of its own (the tests signal its group, as a terminal would);
    its output discarded unless `popen` says otherwise. A `preexec_fn` in `popen` runs after the stopping
    signals are set as a terminal sets them, whatever the tests were started with: under `nohup` the `doit`
    would ignore SIGHUP, and its build in the server would run on after the `doit` was killed."""
    streams: dict[str, object] = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    then = popen.pop("preexec_fn", None)

    def as_from_a_terminal() -> None:
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGQUIT):
            signal.signal(number, signal.SIG_DFL)
        if callable(then):
            then()

    return subprocess.Popen(  # type: ignore[call-overload]
        [sys.executable, "-m", "doit"],
        cwd=project,
        start_new_session=True,
        env={**project_environment(project), **(environment or {})},
        preexec_fn=as_from_a_terminal,
        **{**streams, **popen},
    )


def project_environment(project: Path) -> dict[str, str]:
    """The copy's own src/ first, as its own `pip install -e .` would put it.

    doit imports the package for its commands (pyproject.toml) before dodo.py
    puts src/ on the path, so without this a copy would run the installed code.
    """
    paths = [str(project / "src"), *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's own sources, built once with plain `doit` (and `doit preview`) in a temporary directory."""
    project = copy_project(tmp_path_factory.mktemp("built") / "project")
    for command in ((), ("preview",)):
        result = run_doit(project, *command)
        assert result.returncode == 0, result.stdout + result.stderr
    return project


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Debian's Chromium through Playwright, one per test module; a missing browser fails, never skips."""
    from declaration_pipeline.preview import find_chromium

    chromium = find_chromium()
    if chromium is None:
        pytest.fail("Chromium is not installed: apt-get install chromium (a missing browser is a failure)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        yield browser
        browser.close()
