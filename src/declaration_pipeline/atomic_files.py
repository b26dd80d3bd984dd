"""Files written whole or not at all.

Every output is written to a temporary file beside its target and renamed
into place, so a failed or killed build never leaves a half-written file under
the final name and the last good output survives.

A temporary file's name carries the id of the process writing it: a later run
removes those of processes that no longer exist (a killed build), never those
of a run still going.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def write_atomically(output: Path, data: bytes) -> None:
    with temporary_path(output, output.suffix) as partial:
        partial.write_bytes(data)
        replace_into_place(partial, output)


@contextmanager
def temporary_path(output: Path, suffix: str) -> Iterator[Path]:
    """A fresh temporary file next to `output`, removed afterwards unless renamed."""
    output.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(
        prefix=f".{output.name}.{os.getpid()}.", suffix=suffix + ".partial", dir=output.parent
    )
    os.close(handle)
    path = Path(name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def replace_into_place(partial: Path, output: Path) -> None:
    os.chmod(partial, 0o644)
    os.replace(partial, output)


def remove_stale_partials(output: Path) -> None:
    """Remove the temporary files that builds which no longer run left beside `output`."""
    prefix = f".{output.name}."
    for partial in output.parent.glob(f"{prefix}*.partial"):
        writer = partial.name[len(prefix) :].partition(".")[0]
        if writer.isdigit() and not process_exists(int(writer)):
            partial.unlink(missing_ok=True)


# ".declaration.docx.4242.k3j9.reference.docx.partial": the output's name, the writer's pid, the rest.
_PARTIAL = re.compile(r"\.(?P<output>.+?)\.(?P<writer>\d+)\..*\.partial")


def remove_stale_partials_in(folder: Path) -> None:
    """Remove every temporary file in `folder` and below (build/pandoc-answers/) whose writer no longer runs:
    called by whoever takes the build lock, so that a killed build's leftovers go even when the task that wrote
    them has nothing to redo."""
    for partial in folder.rglob(".*.partial"):
        match = _PARTIAL.fullmatch(partial.name)
        if match and not process_exists(int(match["writer"])):
            partial.unlink(missing_ok=True)


def process_exists(pid: int) -> bool:
    """Whether process `pid` runs (or has ended but not yet been waited for)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True
