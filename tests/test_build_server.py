"""The build server (declaration_pipeline/build_server.py): a later `doit` runs in it, and only the time tells."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import copy_project, project_environment, run_doit, start_doit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synthetic import signatories_yaml  # noqa: E402

OUTPUTS = ("declaration.pdf", "declaration.html", "declaration.docx", "declaration.json", "declaration.typ")
NEW_SIGNATORY = '  - "Served Test Organisation"\n'


def served_environment(project: Path) -> dict[str, str]:
    return {**project_environment(project), "DECLARATION_BUILD_SERVER": "1"}


def doit(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A server that holds the build up fails the test instead of hanging it.
    return run_doit(project, *args, environment={"DECLARATION_BUILD_SERVER": "1"}, timeout=300)


def server(project: Path, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "declaration_pipeline.build_server", command],
        cwd=project,
        capture_output=True,
        text=True,
        env=served_environment(project),
    )


def builds_served(project: Path) -> int | None:
    """How many builds this project's server has run; None when it has none."""
    found = re.search(r"(\d+) builds served", server(project, "status").stdout)
    return int(found.group(1)) if found else None


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.1)


def add_signatory(project: Path) -> None:
    path = project / "signatories.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("individuals:", NEW_SIGNATORY + "individuals:", 1))


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A built project whose server runs: its first `doit` built it here and started the server."""
    project = copy_project(tmp_path_factory.mktemp("served") / "project")
    first = doit(project)
    assert first.returncode == 0, first.stderr
    wait_for(lambda: builds_served(project) == 0, "the server to start")
    yield project
    server(project, "stop")


def test_a_later_doit_builds_in_the_server_and_gives_the_outputs_a_doit_of_its_own_gives(
    served: Path, tmp_path: Path
) -> None:
    before = builds_served(served)
    assert before is not None
    add_signatory(served)
    build = doit(served)
    assert build.returncode == 0, build.stderr
    assert builds_served(served) == before + 1

    alone = copy_project(tmp_path / "alone")
    (alone / "signatories.yaml").write_bytes((served / "signatories.yaml").read_bytes())
    assert run_doit(alone).returncode == 0  # conftest turns the server off
    for name in OUTPUTS:
        assert (served / "build" / name).read_bytes() == (alone / "build" / name).read_bytes(), name


def test_problems_and_the_exit_code_come_back_as_from_a_doit_of_its_own(served: Path, tmp_path: Path) -> None:
    path = served / "signatories.yaml"
    good = path.read_text(encoding="utf-8")
    first = re.search(r'^  - "[^"\n]+"\n', good, re.MULTILINE)
    assert first
    bad = good.replace("individuals:", first.group(0) + "individuals:", 1)  # an organization listed twice
    alone = copy_project(tmp_path / "alone")
    (alone / "signatories.yaml").write_text(bad, encoding="utf-8")
    before = builds_served(served)
    pdf = (served / "build" / "declaration.pdf").read_bytes()
    try:
        path.write_text(bad, encoding="utf-8")
        build = doit(served)
    finally:
        path.write_text(good, encoding="utf-8")
    expected = run_doit(alone)
    assert builds_served(served) == before + 1
    assert build.returncode == expected.returncode == 1
    errors = [line for line in build.stderr.splitlines() if ": error: " in line]
    assert errors == [line for line in expected.stderr.splitlines() if ": error: " in line]
    assert len(errors) == 1 and errors[0].startswith("signatories.yaml:") and "[signatory-duplicate]" in errors[0]
    assert (served / "build" / "declaration.pdf").read_bytes() == pdf
    assert doit(served).returncode == 0


def test_ctrl_c_in_the_terminal_stops_the_build_the_server_runs(served: Path) -> None:
    log = served.parent / "serve.log"
    before = builds_served(served)
    with log.open("w") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "doit", "serve", "--port", "0"],
            cwd=served,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group, which the test interrupts as a terminal would
            env=served_environment(served),
        )
    try:
        wait_for(lambda: "PDF and DOCX updated" in log.read_text() or process.poll() is not None, "the preview")
        assert process.poll() is None, log.read_text()
        assert builds_served(served) == before + 1
        url = re.search(r"http://127\.0\.0\.1:\d+", log.read_text())
        assert url, log.read_text()
        with urllib.request.urlopen(url.group(0)) as page:
            assert page.status == 200
        os.killpg(process.pid, signal.SIGINT)
        assert process.wait(timeout=30) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
    # The preview, in the server's process, has stopped too.
    with pytest.raises(OSError):
        urllib.request.urlopen(url.group(0), timeout=5)
    assert "Traceback" not in log.read_text()


def processes_in(folder: Path) -> set[int]:
    """The processes working in `folder` (their current directory)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if Path(os.readlink(entry / "cwd")) == folder:
                    found.add(int(entry.name))
            except OSError:
                continue
    return found


def start_a_long_build(project: Path, **popen: object) -> subprocess.Popen[str]:
    """A `doit` in the server, two seconds into a build of 20,000 signatories (whose PDF alone takes seconds)."""
    idle = processes_in(project)
    (project / "signatories.yaml").write_text(signatories_yaml(20_000), encoding="utf-8")
    build = start_doit(project, {"DECLARATION_BUILD_SERVER": "1"}, **popen)
    wait_for(lambda: len(processes_in(project) - idle - {build.pid}) >= 2, "the build and its workers")
    time.sleep(2)
    return build


@pytest.mark.parametrize(
    ("stop", "signal_number"),
    [
        ("Ctrl-C in its terminal", signal.SIGINT),
        ("timeout or kill", signal.SIGTERM),
        ("the doit killed outright", signal.SIGKILL),
    ],
)
def test_stopping_a_doit_during_a_build_in_the_server_stops_all_of_it_and_keeps_the_last_outputs(
    served: Path, stop: str, signal_number: int
) -> None:
    outputs = {name: (served / "build" / name).read_bytes() for name in OUTPUTS}
    good = (served / "signatories.yaml").read_text(encoding="utf-8")
    idle = processes_in(served)  # the server itself
    before = builds_served(served)
    try:
        build = start_a_long_build(served)
        assert builds_served(served) == before + 1
        assert processes_in(served) - idle - {build.pid}  # the server's build, with its workers and tools
        os.killpg(build.pid, signal_number)
        build.communicate(timeout=60)
        assert build.returncode == -signal_number  # it ended by that signal, as a doit of its own does
        # SIGKILL is not passed on: the build stops because its doit has gone.
        wait_for(lambda: processes_in(served) <= idle, "the build's processes to end", seconds=30)
    finally:
        (served / "signatories.yaml").write_text(good, encoding="utf-8")
    # The writers that had finished replaced their outputs whole; the PDF, interrupted, is the last good one.
    for name in ("declaration.pdf", "declaration.typ"):
        assert (served / "build" / name).read_bytes() == outputs[name], name
    assert doit(served).returncode == 0


def test_a_signal_the_doit_ignores_does_not_stop_its_build_in_the_server(served: Path) -> None:
    """As for a doit of its own started with Ctrl-C ignored (a background job of a script, nohup for SIGHUP)."""
    good = (served / "signatories.yaml").read_text(encoding="utf-8")
    pdf = (served / "build" / "declaration.pdf").read_bytes()
    try:
        build = start_a_long_build(served, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_IGN))
        os.killpg(build.pid, signal.SIGINT)
        build.communicate(timeout=300)
        assert build.returncode == 0
        assert (served / "build" / "declaration.pdf").read_bytes() != pdf  # the 20,000 names, built
    finally:
        (served / "signatories.yaml").write_text(good, encoding="utf-8")
        assert doit(served).returncode == 0


def server_pid(project: Path) -> int | None:
    found = re.search(r"build server (\d+)", server(project, "status").stdout)
    return int(found.group(1)) if found else None


def ended(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_a_change_to_the_pipeline_stops_the_server_and_the_next_doit_starts_a_new_one(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    try:
        assert doit(project).returncode == 0
        wait_for(lambda: builds_served(project) == 0, "the server to start")
        old = server_pid(project)
        assert old is not None
        # An edit of the same size, copied with the old file's time (cp -p, rsync -t): its content counts.
        module = project / "src" / "declaration_pipeline" / "verify.py"
        stat, text = module.stat(), module.read_text(encoding="utf-8")
        first = text.index('"""') + 3
        module.write_text(text[:first] + text[first].swapcase() + text[first + 1 :], encoding="utf-8")
        os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns))
        assert module.stat().st_size == stat.st_size
        wait_for(lambda: ended(old), "the server of the old code to stop", seconds=30)
        add_signatory(project)
        assert doit(project).returncode == 0  # built by itself, by the new code
        wait_for(lambda: builds_served(project) == 0, "a new server")
        assert server_pid(project) != old
    finally:
        server(project, "stop")
    assert builds_served(project) is None


def test_no_server_is_used_or_started_when_turned_off_or_in_ci(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    for switch in ({"DECLARATION_BUILD_SERVER": "0"}, {"DECLARATION_BUILD_SERVER": "off"}, {"CI": "true"}):
        environment = {**served_environment(project), **switch}
        if "CI" in switch:
            del environment["DECLARATION_BUILD_SERVER"]
        built = subprocess.run([sys.executable, "-m", "doit"], cwd=project, env=environment, capture_output=True)
        assert built.returncode == 0
        # A server, had one been started, would be running in the folder by now: doit starts it before it ends.
        assert processes_in(project) == set(), switch
        assert builds_served(project) is None


def test_a_doit_started_inside_a_locked_build_builds_in_its_own_process(served: Path) -> None:
    """Forwarded to the server, it would wait for the lock of the build that started it, for ever."""
    before = builds_served(served)
    environment = {**served_environment(served), "DECLARATION_BUILD_LOCK": f"{os.getpid()} {served}/build/.lock"}
    built = subprocess.run(
        [sys.executable, "-m", "doit", "list"], cwd=served, env=environment, capture_output=True, timeout=120
    )
    assert built.returncode == 0
    assert builds_served(served) == before


def connect_as_doit_would(project: Path, monkeypatch: pytest.MonkeyPatch) -> socket.socket | None:
    """build_server._connect from this process, seen as the project's own `doit` (its package and path)."""
    from declaration_pipeline import build_server

    with monkeypatch.context() as patched:
        patched.setenv("PYTHONPATH", served_environment(project)["PYTHONPATH"])
        patched.setattr(build_server, "_PACKAGE", project / "src" / "declaration_pipeline")
        return build_server._connect(project)


def test_a_server_of_another_user_is_never_used(served: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from declaration_pipeline import build_server

    connection = connect_as_doit_would(served, monkeypatch)
    assert connection is not None  # this user's server, found
    connection.close()
    another = os.getuid() + 1
    monkeypatch.setattr(build_server.os, "getuid", lambda: another)
    assert connect_as_doit_would(served, monkeypatch) is None


def test_the_server_imports_every_module_it_names(tmp_path: Path) -> None:
    """Its imports never fail a build (a build imports what it needs itself): a wrong name would go unseen."""
    code = (
        "import sys\n"
        "from declaration_pipeline import build_server, checks, idle_imports\n"
        "build_server._warm_up()\n"
        "import pkgutil\n"
        "named = [*build_server.PRELOAD, *idle_imports.MODULES]\n"
        "named += [f'declaration_pipeline.checks.{m.name}' for m in pkgutil.iter_modules(checks.__path__)]\n"
        "missing = [name for name in named if name not in sys.modules]\n"
        "assert len(named) > 20 and not missing, missing\n"
    )
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).returncode == 0


def test_a_connection_that_says_nothing_holds_up_no_build(served: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = builds_served(served)
    silent = connect_as_doit_would(served, monkeypatch)
    assert silent is not None and before is not None
    try:
        assert doit(served, "check").returncode == 0
    finally:
        silent.close()
    assert builds_served(served) == before + 1
