"""The project's build lock: one build at a time in a folder.

Two builds in one folder (a `doit watch` beside a manual `doit`, two
terminals) would read and write the same outputs, temporary files and doit
state. Whoever builds holds an exclusive `flock` on build/.lock; the next one
announces, in one line, which process it waits for, and waits. The kernel
drops the lock when its holder exits, even when killed, so a stale lock cannot
exist.

The lock is reentrant, so that nothing deadlocks on itself:
- in one thread, a nested `build_lock` (an in-process rebuild inside a locked
  doit run) holds it already;
- doit's worker processes are forked from the run that took it and share it;
- a process started by the holder (a `doit` run from inside a locked task)
  sees the holder's pid in its environment and in the lock file, and builds
  under its parent's lock instead of waiting for it.
"""

from __future__ import annotations

import fcntl
import os
import shlex
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .atomic_files import remove_stale_partials_in

LOCK_FILE = Path("build") / ".lock"
# "pid path" of the lock this process holds, inherited by the processes it starts.
HOLDER_ENVIRONMENT = "DECLARATION_BUILD_LOCK"

_held = threading.local()  # the lock paths this thread holds, with their depth


@contextmanager
def build_lock(root: Path, *, announce: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold `root`'s build lock for the duration; if another process holds it, announce one line and wait."""
    path = (root / LOCK_FILE).absolute()
    depths: dict[Path, int] = _held.__dict__.setdefault("depths", {})
    if depths.get(path) or _held_by_an_ancestor(path):
        depths[path] = depths.get(path, 0) + 1
        try:
            yield
        finally:
            depths[path] -= 1
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        _acquire(descriptor, path, root, announce)
        remove_stale_partials_in(path.parent)  # no build runs here but this one
        previous = os.environ.get(HOLDER_ENVIRONMENT)
        os.environ[HOLDER_ENVIRONMENT] = f"{os.getpid()} {path}"
        depths[path] = 1
        try:
            yield
        finally:
            depths[path] = 0
            _restore_environment(previous)
            os.ftruncate(descriptor, 0)
    finally:
        os.close(descriptor)  # releases the lock (once forked workers have exited too)


def _acquire(descriptor: int, path: Path, root: Path, announce: Callable[[str], None] | None) -> None:
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        if announce is not None:
            announce(f"{_display(path, root)}: {describe_holder(path)} is building in this folder; waiting for it")
        fcntl.flock(descriptor, fcntl.LOCK_EX)
    os.ftruncate(descriptor, 0)
    os.pwrite(descriptor, f"{os.getpid()} {_command_line()}\n".encode(), 0)


def describe_holder(path: Path) -> str:
    """'process 1234 (python -m doit pdf)', from what the holder wrote into the lock file."""
    pid, command = _read_holder(path)
    if pid is None:
        return "another process"
    return f"process {pid} ({command})" if command else f"process {pid}"


def _read_holder(path: Path) -> tuple[int | None, str]:
    try:
        first_line = path.read_text(encoding="utf-8", errors="replace").partition("\n")[0]
    except OSError:
        return None, ""
    pid, _, command = first_line.partition(" ")
    return (int(pid), command) if pid.isdigit() else (None, "")


def _held_by_an_ancestor(path: Path) -> bool:
    """True in a process started (directly or not) by the one that holds `path` right now."""
    pid, _, held_path = os.environ.get(HOLDER_ENVIRONMENT, "").partition(" ")
    if not pid.isdigit() or held_path != str(path) or int(pid) == os.getpid():
        return False
    return _read_holder(path)[0] == int(pid) and int(pid) in _ancestors()


def _ancestors() -> set[int]:
    found: set[int] = set()
    pid = os.getppid()
    while pid > 1 and pid not in found:
        found.add(pid)
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            break
        pid = int(stat.rpartition(")")[2].split()[1])  # the field after the state is the parent's pid
    return found


_described_as: list[str] | None = None  # the command line this process runs for, if not its own


def describe_this_process_as(arguments: list[str]) -> None:
    """Name another command line as this process's in the lock (the build server's build: its `doit`'s)."""
    global _described_as
    _described_as = arguments


def own_command_line() -> list[str]:
    """This process's command line as it was started ("python -m doit", not doit's __main__.py)."""
    try:
        return Path("/proc/self/cmdline").read_bytes().decode("utf-8", "replace").split("\0")[:-1]
    except OSError:
        return [sys.executable, *sys.argv]


def _command_line() -> str:
    arguments = own_command_line() if _described_as is None else _described_as
    if not arguments:
        return ""
    return shlex.join([Path(arguments[0]).name, *arguments[1:]])[:200]


def _display(path: Path, root: Path) -> str:
    try:
        return str(path.relative_to(root.absolute()))
    except ValueError:
        return str(path)


def _restore_environment(previous: str | None) -> None:
    if previous is None:
        os.environ.pop(HOLDER_ENVIRONMENT, None)
    else:
        os.environ[HOLDER_ENVIRONMENT] = previous
