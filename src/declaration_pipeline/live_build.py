"""`doit serve`'s builds: doit's own stages, called in one warm process, and the last verified outputs.

Each save is built from a snapshot of the three sources, copied into a private
directory first, so that one build reads one version of them even while the
editor keeps typing. The stages are the functions the doit tasks call
(check_sources, assemble_document, render_output, verify_output,
build_manifest): nothing here checks, writes or verifies on its own.

The web edition comes first, since an editor reads it while typing; the PDF
and the DOCX follow in a worker thread. An output reaches the page only once it
is verified, and build/ receives a complete, verified set under the build lock
(build_lock.py), held only for the copy: the builds themselves run in a
private folder, so a manual `doit` in the same folder is never blocked for long.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from .diagnostics import Diagnostic, PipelineError, has_errors
from .manifest import OUTPUT_NAMES
from .page_images import PDFIUM_LOCK, page_count
from .sources import SOURCE_FILES

WEB_EDITION = "html"
PRINT_EDITIONS = ("pdf", "docx")
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class Preview:
    """What the server shows: the last verified output of each format, and the latest save's problems.

    `serial` grows with every change, so that a waiting client knows it has news;
    `versions` holds the number of the build each output comes from.
    """

    serial: int = 0
    outputs: Mapping[str, bytes] = field(default_factory=lambda: MappingProxyType({}))
    versions: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    diagnostics: tuple[Diagnostic, ...] = ()
    # a tool that could not run (pandoc, Typst, a file that could not be written): no position to give
    failures: tuple[str, ...] = ()
    # pages in the PDF of versions["pdf"]
    pages: int = 0
    # the latest save was not shown: errors (or, with --strict, warnings) or a tool that failed
    failed: bool = False


class PreviewState:
    """The current Preview, shared by the builder (writer) and the server's threads (readers)."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._preview = Preview()
        self._closed = False

    def current(self) -> Preview:
        with self._changed:
            return self._preview

    def update(self, *, outputs: Mapping[str, bytes] = MappingProxyType({}), number: int = 0, **changes) -> None:
        """Replace some fields; `outputs` (format -> verified bytes) come from build `number`."""
        with self._changed:
            preview = self._preview
            if outputs:
                changes["outputs"] = MappingProxyType({**preview.outputs, **outputs})
                changes["versions"] = MappingProxyType({**preview.versions, **dict.fromkeys(outputs, number)})
            self._preview = replace(preview, serial=preview.serial + 1, **changes)
            self._changed.notify_all()

    def wait_for_change(self, seen: int, timeout: float) -> Preview | None:
        """The preview once its serial is past `seen` (or the same one after `timeout`); None once closed."""
        with self._changed:
            self._changed.wait_for(lambda: self._closed or self._preview.serial != seen, timeout)
            return None if self._closed else self._preview

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()


class LiveBuild:
    """Builds each save in this process and publishes what verifies.

    `announce` prints one line for the editor's terminal.
    """

    def __init__(
        self,
        root: Path,
        state: PreviewState,
        *,
        strict: bool = False,
        announce: Callable[[str], None] = print,
    ) -> None:
        self.root = root
        self.build = root / "build"
        self.state = state
        self.strict = strict
        self.announce = announce
        self._scratch = Path(tempfile.mkdtemp(prefix="declaration-serve-"))
        self._number = 0
        self._latest_print_request = 0
        self._closing = False
        # One worker: a PDF build is never started while the previous one runs; stale ones are skipped.
        self._print_worker = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="print-editions", initializer=_yield_to_the_web_edition
        )

    def rebuild(self) -> None:
        """Build the sources as they are now: the web edition here, the print editions in the worker."""
        self._number += 1
        number, started = self._number, time.perf_counter()
        snapshot = self._snapshot_sources(number)
        try:
            from .assemble import assemble_document
            from .checks import check_sources

            sources, diagnostics = check_sources(snapshot)
            if has_errors(diagnostics, self.strict):
                self._show_problems(number, diagnostics, (), "the sources have errors")
                shutil.rmtree(snapshot, ignore_errors=True)
                return
            document = assemble_document(sources)
            problems = diagnostics + self._write_and_verify(WEB_EDITION, snapshot, document)
        except PipelineError as exc:
            self._show_problems(number, [], (str(exc),), "a tool failed")
            shutil.rmtree(snapshot, ignore_errors=True)
            return
        if has_errors(problems, self.strict):
            self._show_problems(number, problems, (), "the web edition did not verify")
            shutil.rmtree(snapshot, ignore_errors=True)
            return
        html = self._output_path(snapshot, WEB_EDITION).read_bytes()
        self.state.update(
            outputs={WEB_EDITION: html}, number=number, diagnostics=tuple(problems), failures=(), failed=False
        )
        self._print_problems(problems)
        self.announce(
            f"[serve] {_clock()} build {number}: web edition updated in {_since(started)}; PDF and DOCX follow"
        )
        self._latest_print_request = number
        self._print_worker.submit(self._build_print_editions, number, snapshot, document, problems)

    def close(self) -> None:
        self._closing = True
        self._latest_print_request = -1  # a queued print build is skipped; a running one finishes
        self._print_worker.shutdown(wait=True)
        shutil.rmtree(self._scratch, ignore_errors=True)

    def wait_for_print_editions(self) -> None:
        """Block until the print builds queued so far are done (for tests and benchmarks)."""
        self._print_worker.submit(lambda: None).result()

    def _build_print_editions(self, number: int, snapshot: Path, document: dict, warnings: list[Diagnostic]) -> None:
        try:
            if number != self._latest_print_request:
                return  # a newer save is queued behind this one
            started = time.perf_counter()
            problems: list[Diagnostic] = []
            try:
                for output_format in PRINT_EDITIONS:
                    problems += self._write_and_verify(output_format, snapshot, document)
            except PipelineError as exc:
                if not self._closing:  # Ctrl-C also stops pandoc: that is no problem in the sources
                    self._show_problems(number, warnings, (str(exc),), "the print editions failed")
                return
            if has_errors(problems, self.strict):
                self._show_problems(number, [*warnings, *problems], (), "the print editions did not verify")
                return
            outputs = {fmt: self._output_path(snapshot, fmt).read_bytes() for fmt in PRINT_EDITIONS}
            pages = page_count(outputs["pdf"])
            self._print_problems(problems)
            if number == self._number:  # a newer save may already show its own problems
                self.state.update(
                    outputs=outputs,
                    number=number,
                    pages=pages,
                    diagnostics=(*warnings, *problems),
                    failures=(),
                    failed=False,
                )
            else:
                self.state.update(outputs=outputs, number=number, pages=pages)
            self._write_build_folder(snapshot, document)
            self.announce(
                f"[serve] {_clock()} build {number}: PDF and DOCX updated in {_since(started)}; build/ written"
            )
        except Exception as exc:  # a bug must not silently stop the print editions for the rest of the session
            if not self._closing:
                self.announce(f"[serve] build {number}: the print editions failed: {exc!r}")
        finally:
            shutil.rmtree(snapshot, ignore_errors=True)

    def _write_and_verify(self, output_format: str, snapshot: Path, document: dict) -> list[Diagnostic]:
        from .render import render_output
        from .verify import verify_output

        output = self._output_path(snapshot, output_format)
        render_output(output_format, document, output)
        # verify reads PDFs with PDFium, which the server's threads use too (page_images)
        with PDFIUM_LOCK if output_format == "pdf" else nullcontext():
            problems = verify_output(output_format, snapshot, document, output)
        shown = str(Path("build") / output.name)  # as the editor knows it, not the snapshot's path
        return [replace(d, path=shown) if d.path == str(output) else d for d in problems]

    def _write_build_folder(self, snapshot: Path, document: dict) -> None:
        """Copy the verified set into build/ with its manifest, holding the build lock only for the copy."""
        from .assembled_document import document_epoch
        from .atomic_files import write_atomically
        from .build_lock import build_lock
        from .manifest import build_manifest, manifest_bytes

        outputs = snapshot / "build"
        manifest = manifest_bytes(build_manifest(snapshot, outputs, document_epoch(document)))
        files = {name: (outputs / name).read_bytes() for name in OUTPUT_NAMES}
        files[MANIFEST_NAME] = manifest
        # Shared with a manual `doit`, which waits for these few renames, as this waits for its build.
        with build_lock(self.root, announce=self.announce):
            for name, data in files.items():
                write_atomically(self.build / name, data)

    def _snapshot_sources(self, number: int) -> Path:
        snapshot = self._scratch / str(number)
        snapshot.mkdir()
        for name in SOURCE_FILES:
            try:
                (snapshot / name).write_bytes((self.root / name).read_bytes())
            except FileNotFoundError:
                pass  # check_sources reports it as source-missing
        return snapshot

    def _output_path(self, snapshot: Path, output_format: str) -> Path:
        return snapshot / "build" / f"declaration.{output_format}"

    def _show_problems(self, number: int, diagnostics: list[Diagnostic], failures: tuple[str, ...], why: str) -> None:
        if number == self._number:  # an older build's problems would hide a newer save's state
            self.state.update(diagnostics=tuple(diagnostics), failures=failures, failed=True)
        self._print_problems(diagnostics)
        for failure in failures:
            self.announce(failure)
        self.announce(f"[serve] {_clock()} build {number}: not shown, {why}; the page keeps the last good build")

    def _print_problems(self, diagnostics: list[Diagnostic]) -> None:
        for diagnostic in diagnostics:
            print(diagnostic, file=sys.stderr, flush=True)


def _yield_to_the_web_edition() -> None:
    """Lower this thread's priority (and its pandoc runs'): the next save's web edition goes first.

    Linux gives each thread its own nice value; elsewhere this changes nothing.
    """
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 10)
    except (AttributeError, OSError):
        pass


def _clock() -> str:
    return time.strftime("%H:%M:%S")


def _since(started: float) -> str:
    return f"{time.perf_counter() - started:.2f} s"
