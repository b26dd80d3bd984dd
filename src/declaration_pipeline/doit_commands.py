"""doit's own commands, holding the build lock (build_lock.py); pyproject.toml's [tool.doit] installs them.

The lock is taken before doit reads its state file (.doit.json), so a run that
waited sees what the run before it built, and is held until doit has written
that file back. `run` takes it unless every task it is asked for says, with
`"meta": {"build_lock": False}`, that it locks by itself or writes nothing:
`doit watch` starts a locked `doit` per save and `doit serve` locks around each
rebuild, so neither holds the folder while it waits for edits. `clean`,
`forget`, `ignore` and `reset-dep` change outputs or doit's state: always
locked. `list`, `help`, `info` and `dumpdb` only read: never locked.

`doit` from the command line, in the project folder, runs in the project's
build server when one runs (build_server.py), and starts one after it has
built by itself: the server's process then goes through the same commands.

An unlocked run keeps no doit state: it neither reads nor writes .doit.json,
which the locked runs it starts or waits beside own (a `doit watch` stopped
after an hour would otherwise write back the state it read when it started).
"""

from __future__ import annotations

import functools
import inspect
import os
import sys
from collections import deque
from importlib.metadata import EntryPoints, entry_points
from pathlib import Path

import doit.plugin
from doit.cmd_clean import Clean
from doit.cmd_forget import Forget
from doit.cmd_ignore import Ignore
from doit.cmd_resetdep import ResetDep
from doit.cmd_run import Run
from doit.control import TaskControl, TaskDispatcher
from doit.dependency import Dependency, JsonDB

from . import build_server
from .build_lock import build_lock


def _announce(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


class _NoState(JsonDB):
    """doit's state for an unlocked run: empty at the start, and never written."""

    def __init__(self, name, codec, *, module_name=None):  # type: ignore[no-untyped-def]
        self.name, self.codec, self._db = name, codec, {}

    def dump(self) -> None:
        pass


@functools.cache
def _entry_points() -> object:
    return entry_points()


def installed_entry_points(**selection: str) -> EntryPoints:
    """importlib.metadata.entry_points(**selection), from one scan of the installed packages a process."""
    return _entry_points().select(**selection)  # type: ignore[attr-defined]


def find_plugins_once() -> None:
    """doit scans the installed packages for its plugins once per kind (its commands, backends and
    reporters: 5-10 ms each); one scan serves all. Installed packages cannot change while doit runs
    (nor while a build server runs: build_server.py stops it when they do)."""
    doit.plugin.entry_points_impl = lambda: installed_entry_points


class _Locked:
    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        find_plugins_once()  # before this command looks for doit's backends and reporters
        super().__init__(*args, **kwargs)

    def execute(self, params, args):  # type: ignore[no-untyped-def]
        self.loader.setup(params)  # changes into the dodo file's folder, the project root
        if not self.needs_lock(params, args):
            self.dep_manager = Dependency(_NoState, params["dep_file"])
            return super().execute(params, args)  # type: ignore[misc]
        with build_lock(Path.cwd(), announce=_announce):
            return super().execute(params, args)  # type: ignore[misc]

    def needs_lock(self, params, args) -> bool:  # type: ignore[no-untyped-def]
        return True


class _LongFirst(deque):
    """doit's queue of tasks ready to run, with the long ones ahead of the rest.

    doit hands out ready tasks in the order they became ready, and tasks that wait
    for the same task become ready in the order of a set (their memory addresses):
    at the repository's size the PDF, the longest writer, sometimes went to a
    worker after both others and started 0.2 s late, and its verification after
    the two short ones. A task marks itself long with `"meta": {"long": True}`.
    """

    def append(self, node) -> None:  # type: ignore[no-untyped-def]
        if (node.task.meta or {}).get("long"):
            self.appendleft(node)
        else:
            super().append(node)


def _hand_out_long_tasks_first() -> None:
    if getattr(TaskDispatcher.__init__, "long_first", False):
        return
    init = TaskDispatcher.__init__

    def long_first_init(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        init(self, *args, **kwargs)
        # A doit that no longer keeps its queue here must fail loudly, not run in another order.
        assert isinstance(self.ready, deque) and not self.ready, "doit's TaskDispatcher changed: see doit_commands.py"
        self.ready = _LongFirst()

    long_first_init.long_first = True  # type: ignore[attr-defined]
    TaskDispatcher.__init__ = long_first_init  # type: ignore[method-assign]


class LockedRun(_Locked, Run):
    name = "run"

    def execute(self, params, args):  # type: ignore[no-untyped-def]
        if not (build_server.wanted() and _in_the_project_folder(params)):
            return self._run_here(params, args)
        root = Path.cwd()
        code = build_server.forward(root, sys.argv[1:])
        if code is not None:
            # This process has done nothing but wait: no doit state to write, nothing to clean up.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        try:
            return self._run_here(params, args)
        finally:
            build_server.start(root)  # for the next `doit`

    def _run_here(self, params, args):  # type: ignore[no-untyped-def]
        _hand_out_long_tasks_first()
        return super().execute(params, args)

    def needs_lock(self, params, args) -> bool:  # type: ignore[no-untyped-def]
        selected = args or self.loader.load_doit_config().get("default_tasks")  # None: every task
        asked = _lock_asked_by_creators(self.loader.namespace, selected or [])
        if asked is not None:
            return asked
        control = TaskControl(self.loader.load_tasks(cmd=self, pos_args=args))
        control.process(selected)
        return any((control.tasks[name].meta or {}).get("build_lock", True) for name in control.selected_tasks)


def _lock_asked_by_creators(namespace: dict, names: list[str]) -> bool | None:
    """Whether tasks named plainly (`doit`, `doit check`, `doit html docx pdf`) take the lock, from their
    creators' own dicts; None when only doit's loading of every task can tell (options, targets,
    subtasks, a creator that takes parameters). doit loads the tasks anyway, after the lock: loading
    them here too took 0.015 s of each build, most of it finding each creator's line in dodo.py."""
    locks = []
    for name in names:
        creator = namespace.get(f"task_{name}")
        if not inspect.isfunction(creator) or inspect.signature(creator).parameters:
            return None
        made = creator()
        if isinstance(made, dict):
            locks.append((made.get("meta") or {}).get("build_lock", True))
            continue
        tasks = list(made)
        if not tasks or not all(isinstance(task, dict) and "name" in task for task in tasks):
            return None
        locks.append(True)  # a group: the task doit makes of it has no meta, and takes the lock
    return any(locks) if locks else None


def _in_the_project_folder(params) -> bool:  # type: ignore[no-untyped-def]
    # The build server serves the dodo.py of the folder `doit` runs in, as `doit` finds it by default.
    plain = params["dodoFile"] == "dodo.py" and not params["cwdPath"] and not params["seek_file"]
    return plain and Path("dodo.py").is_file()


class LockedClean(_Locked, Clean):
    name = "clean"


class LockedForget(_Locked, Forget):
    name = "forget"


class LockedIgnore(_Locked, Ignore):
    name = "ignore"


class LockedResetDep(_Locked, ResetDep):
    name = "reset-dep"
