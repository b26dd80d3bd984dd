"""Watch mode for editors: rebuild on every save, print the diagnostics, keep watching.

Each rebuild is a plain `doit` run in a subprocess, so it has the same
dependencies, the same checks and the same write-then-rename safety as a build
by hand: a bad save prints its errors and leaves the last good outputs alone.
Built on watchdog (inotify where available); `doit serve` (live_build.py)
uses the same watcher, with a warm process instead of a subprocess.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from .sources import SOURCE_FILES

# Editors save in bursts (write a temporary file, rename, touch): wait for quiet.
SETTLE_SECONDS = 0.3


@contextmanager
def source_changes(root: Path) -> Iterator[threading.Event]:
    """An event that is set whenever one of the three sources is written, renamed or removed."""
    from watchdog.events import EVENT_TYPE_CLOSED_NO_WRITE, EVENT_TYPE_OPENED, FileSystemEvent, FileSystemEventHandler
    from watchdog.observers import Observer

    changed = threading.Event()
    watched = {(root / name).resolve() for name in SOURCE_FILES}

    class SourceChanged(FileSystemEventHandler):
        def on_any_event(self, event: FileSystemEvent) -> None:
            if event.event_type in (EVENT_TYPE_OPENED, EVENT_TYPE_CLOSED_NO_WRITE):
                return  # reading a source (the build itself does) is no change
            paths = {Path(str(event.src_path)).resolve()}
            if getattr(event, "dest_path", None):
                paths.add(Path(str(event.dest_path)).resolve())
            if paths & watched:
                changed.set()

    observer = Observer()
    observer.schedule(SourceChanged(), str(root), recursive=False)
    observer.start()
    try:
        yield changed
    finally:
        observer.stop()
        observer.join()


def wait_for_quiet(changed: threading.Event, settle: float) -> None:
    """Return once no change has come for `settle` seconds: one save is one rebuild."""
    while changed.is_set():
        changed.clear()
        time.sleep(settle)


def rebuild(root: Path) -> int:
    completed = subprocess.run([sys.executable, "-m", "doit"], cwd=root, check=False)
    status = "built" if completed.returncode == 0 else "build failed; the last good outputs are kept"
    print(f"[watch] {time.strftime('%H:%M:%S')} {status}; watching {', '.join(SOURCE_FILES)}", flush=True)
    return completed.returncode


def watch_and_rebuild(root: Path, stop: threading.Event | None = None) -> None:
    stop = stop or threading.Event()
    try:
        with source_changes(root) as changed:
            rebuild(root)
            while not stop.is_set():
                if not changed.wait(timeout=0.2):
                    continue
                wait_for_quiet(changed, SETTLE_SECONDS)
                rebuild(root)
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    watch_and_rebuild(Path(sys.argv[1] if len(sys.argv) > 1 else "."))
