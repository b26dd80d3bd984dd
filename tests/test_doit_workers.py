"""How doit's workers are used: long tasks handed out first, idle workers importing the pipeline."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import threading
import time
from pathlib import Path

from doit.control import ExecNode, TaskControl
from doit.task import Task

from declaration_pipeline import doit_commands, idle_imports

ROOT = Path(__file__).resolve().parent.parent


def _task(name: str, *, long: bool = False) -> Task:
    return Task(name, [], meta={"long": long})


def test_a_long_task_is_handed_out_before_the_short_ones_that_became_ready_with_it() -> None:
    doit_commands._hand_out_long_tasks_first()
    tasks = [_task("html"), _task("docx"), _task("pdf", long=True), _task("verify:pdf", long=True)]
    control = TaskControl(tasks)
    control.process([task.name for task in tasks])
    ready = control.task_dispatcher().ready
    for task in tasks:
        ready.append(ExecNode(task, None))
    assert [ready.popleft().task.name for _ in tasks] == ["verify:pdf", "pdf", "html", "docx"]


def test_dodo_marks_the_pdf_and_its_verification_long() -> None:
    # In a process of its own: loading dodo.py starts the idle imports in every later fork.
    probe = (
        "import dodo\n"
        "from doit.loader import load_tasks\n"
        "print(sorted(t.name for t in load_tasks(vars(dodo)) if (t.meta or {}).get('long')))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "['pdf', 'verify:pdf']"


def _imported_while_idle(hold_a_task: bool, modules: tuple[str, ...], answer) -> None:  # type: ignore[no-untyped-def]
    idle_imports.MODULES = modules
    if hold_a_task:
        with idle_imports.task_running():
            threads = threading.active_count()
            idle_imports._start()  # as a fork made by this task would
            helper_left_alone = threading.active_count() == threads
            threading.Thread(target=idle_imports._import_modules, daemon=True).start()
            time.sleep(0.5)
            held_back = helper_left_alone and not any(name in sys.modules for name in modules)
    else:
        held_back = True
        idle_imports._start()
    deadline = time.monotonic() + 30
    while not all(name in sys.modules for name in modules) and time.monotonic() < deadline:
        time.sleep(0.01)
    answer.send((held_back, all(name in sys.modules for name in modules)))


def _in_a_forked_worker(hold_a_task: bool) -> tuple[bool, bool]:
    # Modules nothing in the test process has imported.
    modules = ("colorsys", "wave")
    assert not any(name in sys.modules for name in modules)
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    worker = context.Process(target=_imported_while_idle, args=(hold_a_task, modules, send))
    worker.start()
    result = receive.recv()
    worker.join()
    return result


def test_an_idle_worker_imports_the_modules() -> None:
    assert _in_a_forked_worker(hold_a_task=False) == (True, True)


def test_a_running_task_holds_the_imports_back_until_it_ends_and_its_own_forks_import_nothing() -> None:
    assert _in_a_forked_worker(hold_a_task=True) == (True, True)


def test_tasks_in_threads_do_not_wait_for_each_other() -> None:
    """`doit -P thread` runs tasks side by side in one process: the idle imports must not serialise them."""
    inside = threading.Barrier(2, timeout=10)

    def task() -> None:
        with idle_imports.task_running():
            inside.wait()  # both tasks at once, or a BrokenBarrierError

    threads = [threading.Thread(target=task) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not inside.broken


def test_the_idle_imports_name_modules_that_exist() -> None:
    import importlib.util

    assert all(importlib.util.find_spec(name) is not None for name in idle_imports.MODULES)


def test_one_scan_of_the_installed_packages_finds_every_kind_of_doit_plugin(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """doit asks for each kind of plugin (commands, backends, reporters) once a run; one scan answers all."""
    from importlib.metadata import entry_points

    import doit.plugin

    scans = []
    monkeypatch.setattr(doit_commands, "entry_points", lambda: scans.append(1) or entry_points())
    monkeypatch.setattr(doit.plugin, "entry_points_impl", doit.plugin.entry_points_impl)  # put back afterwards
    doit_commands._entry_points.cache_clear()
    doit_commands.find_plugins_once()
    for kind in ("COMMAND", "BACKEND", "REPORTER", "LOADER"):
        group = f"doit.{kind}"
        assert [p.name for p in doit.plugin.entry_points_impl()(group=group)] == [
            p.name for p in entry_points(group=group)
        ]
    assert len(scans) == 1
    doit_commands._entry_points.cache_clear()


def test_the_lock_asked_of_the_task_creators_alone_is_the_lock_doit_s_loading_finds() -> None:
    """LockedRun asks the named tasks' creators whether to lock, and loads every task only when they
    cannot tell: both must agree for every task dodo.py defines, and for the default ones."""
    # In a process of its own: loading dodo.py starts the idle imports in every later fork.
    probe = (
        "import json, dodo\n"
        "from doit.control import TaskControl\n"
        "from doit.loader import load_tasks\n"
        "from declaration_pipeline.doit_commands import _lock_asked_by_creators as asked\n"
        "tasks = load_tasks(vars(dodo))\n"
        "def by_doit(names):\n"
        "    control = TaskControl(tasks)\n"
        "    control.process(names)\n"
        "    return any((control.tasks[n].meta or {}).get('build_lock', True) for n in control.selected_tasks)\n"
        "named = [[n.removeprefix('task_')] for n in vars(dodo) if n.startswith('task_')]\n"
        "named += [dodo.DOIT_CONFIG['default_tasks'], ['html', 'docx', 'pdf']]\n"
        "print(json.dumps([[names, asked(vars(dodo), names), by_doit(names)] for names in named]))\n"
        "print(json.dumps([asked(vars(dodo), [n]) for n in ('sources:document', 'build/declaration.pdf')]))\n"
    )
    completed = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True)
    answers, unanswered = (json.loads(line) for line in completed.stdout.splitlines())
    assert [names for names, quick, full in answers if quick != full] == []
    assert {quick for _names, quick, _full in answers} == {True, False}  # serve and watch lock by themselves
    assert unanswered == [None, None]  # a subtask, a target: doit's loading tells
