"""Builds at once in one folder take turns (build/.lock), delete nothing of each other's, leave nothing behind."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import copy_project, run_doit

from declaration_pipeline import pandoc
from declaration_pipeline.atomic_files import remove_stale_partials, temporary_path
from declaration_pipeline.build_lock import HOLDER_ENVIRONMENT, LOCK_FILE, build_lock
from declaration_pipeline.diagnostics import PipelineError

OUTPUTS = ["declaration.docx", "declaration.html", "declaration.json", "declaration.pdf", "declaration.typ"]
# The environment of a process the lock holder did not start (a second terminal): it must wait.
UNRELATED = {key: value for key, value in os.environ.items() if key != HOLDER_ENVIRONMENT}
FAILURE_SIGNS = ("Traceback", "CallStack", "HasCallStack", "TaskFailed", "Error")


def doit(project: Path, *args: str, **kwargs) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "doit", *args],
        cwd=project,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def leftovers(project: Path) -> list[str]:
    """Everything in build/ that is not an output, the manifest, the checked sources, the DOCX's reference
    document or the lock."""
    expected = {
        *OUTPUTS,
        "manifest.json",
        "reference.docx",
        "checked-document.pickle",
        "checked-signatories.pickle",
        "pandoc-answers",
        LOCK_FILE.name,
    }
    return sorted(path.name for path in (project / "build").iterdir() if path.name not in expected)


@pytest.mark.parametrize("runs", [2, 3])
def test_doit_runs_started_at_once_all_end_well(tmp_path: Path, runs: int) -> None:
    project = copy_project(tmp_path / "project")
    started = [doit(project) for _ in range(runs)]
    results = [(build.wait(timeout=600), *build.communicate()) for build in started]
    for returncode, stdout, stderr in results:
        assert returncode == 0, stdout + stderr
        assert not any(sign in stdout + stderr for sign in FAILURE_SIGNS), stdout + stderr
    # One run built; each run after it waited, read the state the first one wrote, and found it up to date.
    assert sum(".  pdf" in stdout for _, stdout, _ in results) == 1, [stdout for _, stdout, _ in results]
    assert sum("-- pdf" in stdout for _, stdout, _ in results) == runs - 1
    assert leftovers(project) == []
    assert run_doit(project, "verify").returncode == 0


def test_a_second_doit_names_the_process_it_waits_for_and_builds_after_it(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    with build_lock(project):
        waiting = doit(project, env=UNRELATED)
        assert waiting.stderr is not None
        line = waiting.stderr.readline()  # blocks until doit says why it waits
        assert (
            line
            == f"build/.lock: process {os.getpid()} ({_own_command()}) is building in this folder; waiting for it\n"
        )
        assert waiting.poll() is None
        assert not (project / "build" / "declaration.json").exists()  # it has not started
    stdout, stderr = waiting.communicate(timeout=600)
    assert waiting.returncode == 0, stdout + stderr
    assert (project / "build" / "declaration.pdf").exists()


def _own_command() -> str:
    import shlex

    arguments = Path("/proc/self/cmdline").read_bytes().decode().split("\0")[:-1]
    return shlex.join([Path(arguments[0]).name, *arguments[1:]])[:200]


def test_commands_that_only_read_never_wait_for_the_lock(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    with build_lock(project):
        for command in (["list"], ["help", "check"], ["info", "pdf"], ["sigdiff", "--ref", "HEAD"]):
            # A command that waited would hang here until the timeout fails the test.
            result = subprocess.run(
                [sys.executable, "-m", "doit", *command],
                cwd=project,
                capture_output=True,
                text=True,
                timeout=120,
                env=UNRELATED,
            )
            assert "waiting for it" not in result.stderr, command
            assert "Traceback" not in result.stdout + result.stderr, command


def test_a_doit_started_by_the_lock_holder_builds_under_its_lock(tmp_path: Path) -> None:
    """As `doit watch` and any task that runs `doit` do: the child must not wait for its parent."""
    project = copy_project(tmp_path / "project")
    parent = textwrap.dedent(
        """
        import subprocess, sys
        from pathlib import Path
        from declaration_pipeline.build_lock import build_lock
        with build_lock(Path("."), announce=print):
            sys.exit(subprocess.run([sys.executable, "-m", "doit"]).returncode)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", parent], cwd=project, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "waiting for it" not in result.stdout + result.stderr


def test_the_lock_is_reentrant_in_a_process_and_exclusive_between_processes(tmp_path: Path) -> None:
    probe = "import fcntl, sys; f = open(sys.argv[1]); fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)"
    lock_file = str(tmp_path / LOCK_FILE)
    with build_lock(tmp_path):
        with build_lock(tmp_path):  # an in-process rebuild inside a locked run
            pass
        held = subprocess.run([sys.executable, "-c", probe, lock_file], capture_output=True, text=True)
        assert held.returncode != 0 and "BlockingIOError" in held.stderr  # still held after the inner block
    free = subprocess.run([sys.executable, "-c", probe, lock_file], capture_output=True, text=True)
    assert free.returncode == 0, free.stderr


def test_a_forked_worker_of_the_holder_shares_its_lock(tmp_path: Path) -> None:
    """doit's worker processes are forked from the locked run: an in-process rebuild there must not wait."""
    import multiprocessing

    def rebuild_in_worker() -> None:
        with build_lock(tmp_path, announce=lambda line: os._exit(3)):
            os._exit(0)

    with build_lock(tmp_path):
        worker = multiprocessing.get_context("fork").Process(target=rebuild_in_worker)
        worker.start()
        worker.join(timeout=60)
        assert worker.exitcode == 0


def test_doit_watch_holds_no_lock_while_it_waits_for_edits(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    watcher = doit(project, "watch", start_new_session=True)
    try:
        assert watcher.stdout is not None
        for line in watcher.stdout:  # its first rebuild, a `doit` started from inside the watch task
            if line.startswith("[watch]"):
                break
        assert "[watch]" in line and " built;" in line, line
        (project / "signatories.yaml").write_text(
            (project / "signatories.yaml").read_text() + "  - name: Beside The Watcher\n"
        )
        manual = run_doit(project)  # a manual doit beside the watcher, in a second terminal
        assert manual.returncode == 0, manual.stdout + manual.stderr
    finally:
        os.killpg(watcher.pid, 2)
        watcher.communicate(timeout=60)
    assert not (project / ".doit.json").read_text().count('"watch"')  # the unlocked run kept no state


def test_a_run_removes_only_the_temporary_files_of_processes_that_have_ended(tmp_path: Path) -> None:
    output = tmp_path / "build" / "declaration.pdf"
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = output.parent / f".declaration.pdf.{int(ended.stdout)}.x1y2.pdf.partial"
    with temporary_path(output, ".pdf") as running:
        dead.write_bytes(b"left by a killed build")
        remove_stale_partials(output)
        assert running.exists() and not dead.exists()
    assert list(output.parent.iterdir()) == []


def test_a_pandoc_failure_is_one_line_without_a_call_stack(tmp_path: Path) -> None:
    with pytest.raises(PipelineError) as failure:
        pandoc.write_format(
            {"pandoc-api-version": [1, 23, 1], "meta": {}, "blocks": []},
            "docx",
            "writing DOCX",
            args=("--reference-doc", str(tmp_path / "missing.docx"), "--output", "-"),
        )
    message = str(failure.value)
    assert "\n" not in message and "CallStack" not in message, message
    assert message.startswith("writing DOCX: pandoc failed (exit 1): ") and "missing.docx" in message
