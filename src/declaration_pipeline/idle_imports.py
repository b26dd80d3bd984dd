"""doit's worker processes import the pipeline while they wait for a task.

`doit` runs tasks in worker processes forked before any task starts, and hands
each task to whichever worker is free, so consecutive tasks alternate between
them: every task paid for its imports in a worker that had not needed them yet
(pybtex, PyYAML, pikepdf, PDFium: 0.1-0.2 s a task at the repository's size, on
the critical path). A worker now imports them in a thread while it has nothing
to do: one module at a time, none started while a task runs or waits, so a task
waits at most for the one import in progress (most often one it needs).

Only for workers: dodo.py calls `in_every_forked_worker`, so that the thread
starts in each process forked after that. A process that forks nothing (`doit
serve`, `doit -n 0`, a start method other than fork) never starts it, and a
process a running task forks (verify.py's second PDF reader) is not idle.
"""

from __future__ import annotations

import importlib
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

# In the order the tasks come after the sources' two parts (which come first, before an idle
# worker has had time to import anything, and import what each needs): the verifications' readers last.
MODULES = (
    "declaration_pipeline.tasks",
    "declaration_pipeline.atomic_files",
    "declaration_pipeline.assemble",
    "declaration_pipeline.render",
    "declaration_pipeline.verify",
    "lxml.etree",
    "pikepdf",
    "pypdfium2",
    "declaration_pipeline.manifest",
)

_state = threading.Condition()
_tasks = 0  # running, or waiting for the import in progress
_importing = False
_registered = False


def in_every_forked_worker() -> None:
    """Start the idle imports in every process forked from now on (once, however often dodo.py is loaded)."""
    global _registered
    if not _registered:
        os.register_at_fork(after_in_child=_start)
        _registered = True


def _start() -> None:
    if _tasks:
        return  # forked by a running task: a helper of that task, not an idle worker
    threading.Thread(target=_import_modules, name="import-while-idle", daemon=True).start()


def _import_modules() -> None:
    global _importing
    for name in MODULES:
        with _state:
            _state.wait_for(lambda: _tasks == 0)
            _importing = True
        try:
            importlib.import_module(name)
        except Exception:  # the task that needs it imports it again, and reports what is wrong
            return
        finally:
            with _state:
                _importing = False
                _state.notify_all()


@contextmanager
def task_running() -> Iterator[None]:
    """Hold the idle imports back while a task runs (other tasks, in threads, run as they would)."""
    global _tasks
    with _state:
        _tasks += 1
        _state.wait_for(lambda: not _importing)
    try:
        yield
    finally:
        with _state:
            _tasks -= 1
            _state.notify_all()
