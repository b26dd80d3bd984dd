"""The one place that runs pandoc.

pypandoc-binary ships (and so pins) the pandoc executable; we run that one
ourselves, with an argument list (never a shell string), a controlled
environment and `--sandbox`, so that a document cannot make pandoc read files
or fetch URLs. Failures become `PipelineError`s that say which file was being
processed.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from .atomic_files import write_atomically
from .diagnostics import PipelineError

# Raw TeX and raw blocks for other formats are off. Raw HTML is read, but only
# so that pandoc itself says what an HTML comment is: the loader drops comments
# and turns every other piece of HTML back into text (declaration.py), so a
# "<script>" someone pasted prints as written. HTML never becomes a div or span.
MARKDOWN_FORMAT = "markdown-implicit_figures-raw_tex-raw_attribute-native_divs-native_spans"


@cache
def pandoc_executable() -> str:
    """pypandoc-binary's own pandoc, found without importing pypandoc.

    pypandoc.get_pandoc_path() would take a newer pandoc from PATH instead (and so
    break the pin), after running every candidate's `--version` to compare them.
    """
    spec = importlib.util.find_spec("pypandoc")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        included = Path(folder) / "files" / ("pandoc.exe" if os.name == "nt" else "pandoc")
        if included.is_file():
            return str(included)
    raise PipelineError("pandoc: the pandoc inside pypandoc-binary is missing (run: pip install -e .)")


# pandoc's last answer to each kind of question, kept between builds in the folder
# the doit tasks name (build/pandoc-answers/, see tasks.py). pandoc's output depends
# on nothing but its executable, arguments, input and the files it is told to read
# (--sandbox), so an answer stands while all of those are the same: a build in which
# declaration.md did not change reads it without pandoc, and one in which only
# signatories changed writes the Typst markup, HTML and DOCX without it (the names
# never reach pandoc). Outside `answers_kept_in` nothing is kept.
_answers: Path | None = None


@contextmanager
def answers_kept_in(directory: Path) -> Iterator[None]:
    global _answers
    previous, _answers = _answers, directory
    try:
        yield
    finally:
        _answers = previous


# A larger allocation area for pandoc's garbage collector than its 4 MB: it collects less often, and
# reading declaration.md takes 0.12 s instead of 0.155 s. What pandoc writes does not change.
_RUNTIME_OPTIONS = ("+RTS", "-A16m", "-RTS")


def _run(
    args: list[str],
    stdin: bytes,
    what: str,
    source_date_epoch: int | None = None,
    remember_as: str | None = None,
    reads: tuple[Path, ...] = (),
) -> tuple[bytes, bytes]:
    """pandoc's (stdout, stderr); `remember_as` names the slot its answer is kept in, `reads` the files it reads."""
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "TMPDIR")}
    env["LANG"] = env["LC_ALL"] = "C.UTF-8"
    if source_date_epoch is not None:
        env["SOURCE_DATE_EPOCH"] = str(source_date_epoch)
    slot = _answers / remember_as if _answers is not None and remember_as else None
    if slot is not None:
        question = _question(args, stdin, source_date_epoch, reads)
        answer = _recall(slot, question)
        if answer is not None:
            return answer
    try:
        completed = subprocess.run(
            [pandoc_executable(), *_RUNTIME_OPTIONS, "--sandbox", *args],
            input=stdin,
            capture_output=True,
            env=env,
            check=False,
        )
    except OSError as exc:
        raise PipelineError(f"{what}: cannot run pandoc: {exc}") from exc
    if completed.returncode != 0:
        message = pandoc_error_line(completed.stderr.decode("utf-8", "replace"))
        raise PipelineError(f"{what}: pandoc failed (exit {completed.returncode}): {message}")
    if slot is not None:
        _remember(slot, question, completed.stdout, completed.stderr)
    return completed.stdout, completed.stderr


def _question(args: list[str], stdin: bytes, source_date_epoch: int | None, reads: tuple[Path, ...]) -> bytes:
    executable = Path(pandoc_executable())
    status = executable.stat()
    digest = hashlib.sha256()
    # A file pandoc reads counts by its content, not its (perhaps temporary) name.
    named = {str(path): f"<file {number}>" for number, path in enumerate(reads)}
    asked = (str(executable), str(status.st_size), str(status.st_mtime_ns), str(source_date_epoch))
    for part in (*asked, *(named.get(arg, arg) for arg in args)):
        digest.update(part.encode("utf-8") + b"\0")
    for path in reads:
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    digest.update(stdin)
    return digest.digest()


def _recall(slot: Path, question: bytes) -> tuple[bytes, bytes] | None:
    try:
        kept = slot.read_bytes()
    except OSError:
        return None
    if not kept.startswith(question) or len(kept) < len(question) + 8:
        return None
    length = int.from_bytes(kept[len(question) : len(question) + 8], "big")
    body = kept[len(question) + 8 :]
    return (body[:length], body[length:]) if length <= len(body) else None


def _remember(slot: Path, question: bytes, stdout: bytes, stderr: bytes) -> None:
    write_atomically(slot, question + len(stdout).to_bytes(8, "big") + stdout + stderr)


# pandoc ends some errors with the Haskell call stack that raised them: of no use to an editor.
_CALL_STACK = re.compile(r"^\s*(CallStack \(from HasCallStack\)|HasCallStack backtrace)", re.M)


def pandoc_error_line(stderr: str) -> str:
    """pandoc's error message on one line, without the call stack that may follow it."""
    message = _CALL_STACK.split(stderr, maxsplit=1)[0]
    message = " ".join(line.strip() for line in message.splitlines() if line.strip())
    return message.removeprefix("pandoc: ") or "no message"


def markdown_to_ast(text: str, display_path: str) -> dict:
    """Parse Markdown (front matter included) into pandoc's JSON AST."""
    return read_markdown(text, display_path)[0]


def read_markdown(text: str, display_path: str) -> tuple[dict, list[dict]]:
    """pandoc's AST of the Markdown, and what its reader logged about it.

    The log entries are pandoc's own typed messages ({"type": "DuplicateNoteReference",
    "line": ..., "column": ...}), read from its JSON log rather than its wording.
    """
    output, log = _run(
        ["--from", MARKDOWN_FORMAT, "--to", "json", "--quiet", "--log=/dev/stderr"],
        text.encode("utf-8"),
        f"{display_path}: parsing Markdown",
        remember_as="markdown",
    )
    try:
        messages = json.loads(log) if log.strip() else []
    except ValueError as exc:
        raise PipelineError(f"{display_path}: pandoc's reader log is not JSON: {exc}") from exc
    return json.loads(output), messages


def write_format(
    ast: dict,
    to: str,
    what: str,
    *,
    args: tuple[str, ...] = (),
    source_date_epoch: int | None = None,
    remember_as: str | None = None,
    reads: tuple[Path, ...] = (),
) -> bytes:
    """Render the assembled AST with one pandoc writer: what it writes to stdout (a binary format such as
    docx needs `--output -` in `args`), kept as `remember_as` for the next build (`reads`: the files `args` name).
    """
    command = ["--from", "json", "--to", to, *args]
    return _run(command, json.dumps(ast).encode("utf-8"), what, source_date_epoch, remember_as, reads)[0]


def default_data_file(name: str) -> bytes:
    return _run(["--print-default-data-file", name], b"", f"reading pandoc's default {name}", remember_as=name)[0]


@cache
def pandoc_version() -> str:
    """The pinned pandoc's version, from its own --version output."""
    output = _run(["--version"], b"", "asking pandoc for its version", remember_as="version")[0].decode()
    return output.splitlines()[0].split()[-1]
