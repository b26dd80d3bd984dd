"""What each doit task does: one function per action.

This layer turns diagnostics into printed lines and a failed task, and
PipelineErrors into a one-line message, so that nobody sees a traceback for
bad input. dodo.py imports it lazily, keeping a no-op `doit` fast.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from doit.exceptions import TaskFailed

from .diagnostics import Diagnostic, PipelineError, has_errors, summary

P = ParamSpec("P")
R = TypeVar("R")


def _cycle_collector_paused(task: Callable[P, R]) -> Callable[P, R]:
    """Run a bounded build step with Python's cycle collector paused.

    The pipeline's data are trees (pandoc's JSON, the loaded records), freed by
    reference counting. While millions of their nodes are made, the collector
    walks them again and again for cycles there are none of: loading the
    100,000-name document takes 2.0 s with it and 0.35 s without.
    """

    @functools.wraps(task)
    def paused(*args: P.args, **kwargs: P.kwargs) -> R:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return task(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return paused


def _answers_kept(folder: str | None) -> contextlib.AbstractContextManager[None]:
    """pandoc's answers kept in `folder` for this task only (a redline's or a reproduction's are not)."""
    from .pandoc import answers_kept_in

    return answers_kept_in(Path(folder)) if folder else contextlib.nullcontext()


def _strict_from_environment() -> bool:
    return os.environ.get("DECLARATION_STRICT", "").lower() in ("1", "true", "yes")


def report(diagnostics: list[Diagnostic], what: str, strict: bool = False) -> TaskFailed | None:
    """Print every diagnostic and a summary line; fail once if any is an error (or any at all, strict)."""
    for diagnostic in diagnostics:
        print(diagnostic, file=sys.stderr)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for diagnostic in diagnostics:
            print(diagnostic.github_annotation())
    if diagnostics or strict:
        print(f"{what}: {summary(diagnostics)}" + (" (strict)" if strict else ""), file=sys.stderr)
    if has_errors(diagnostics, strict):
        return TaskFailed(f"{what} failed: {summary(diagnostics)}")
    return None


def _write_checked(path: Path, diagnostics: list[Diagnostic], records: object) -> None:
    """What checking one part found: its diagnostics first, so that `check` reads them without the records."""
    import pickle

    from .atomic_files import write_atomically

    protocol = pickle.HIGHEST_PROTOCOL
    write_atomically(path, pickle.dumps(diagnostics, protocol=protocol) + pickle.dumps(records, protocol=protocol))


def _read_checked(path: str, records: bool = True) -> tuple[list[Diagnostic], object]:
    """A part's diagnostics and (unless `records` is false) its loaded records; PipelineError if unreadable."""
    import pickle

    try:
        with open(path, "rb") as file:  # two pickles, one after the other
            diagnostics, loaded = pickle.load(file), pickle.load(file) if records else None
        if not (isinstance(diagnostics, list) and all(isinstance(d, Diagnostic) for d in diagnostics)):
            raise TypeError("not a list of diagnostics")
    except Exception as exc:  # a file of the build, cut short or from another version: never a traceback
        raise PipelineError(
            f"{path}: the checked sources cannot be read ({type(exc).__name__}: {exc}); "
            "run `doit forget sources` and build again"
        ) from exc
    return diagnostics, loaded


@_cycle_collector_paused
def check_part(part: str, root: str, checked_output: str, pandoc_answers: str | None = None) -> TaskFailed | None:
    """Load and check one part of the sources (a key of sources.PARTS) and keep what was found: the
    records for `assemble`, the diagnostics for `check` to print. Bad input never fails here.

    `pandoc_answers`: where pandoc's answers are kept between builds.
    """
    from .checks import check_part as checked

    try:
        with _answers_kept(pandoc_answers):
            records, diagnostics = checked(part, Path(root))
        _write_checked(Path(checked_output), diagnostics, records)
    except PipelineError as exc:
        return TaskFailed(str(exc))
    return None


def check(checked: list[str], strict: bool = False) -> TaskFailed | dict:
    """Print what checking the parts found, and fail once if there is an error (or, strict, a warning).

    Returns the number of warnings for doit to keep: while there are any, check
    runs every time, and --strict can then fail on them.
    """
    strict = strict or _strict_from_environment()
    try:
        diagnostics = sorted({d for path in checked for d in _read_checked(path, records=False)[0]})
    except PipelineError as exc:
        return TaskFailed(str(exc))
    return report(diagnostics, "check", strict) or {"warnings": len(diagnostics)}


@_cycle_collector_paused
def assemble(checked_document: str, checked_signatories: str, output: str) -> TaskFailed | None:
    from .assemble import assemble_document
    from .assembled_document import write_document
    from .checks import sources_of

    try:
        (problems, document), (more, signatory_file) = map(_read_checked, (checked_document, checked_signatories))
        if has_errors(problems + more):  # doit runs check first; `doit -s assemble` does not
            return TaskFailed("the sources have errors: run doit check")
        write_document(assemble_document(sources_of(document, signatory_file)), Path(output))  # type: ignore[arg-type]
    except PipelineError as exc:
        return TaskFailed(str(exc))
    return None


@_cycle_collector_paused
def render(
    output_format: str,
    document: str,
    output: str,
    markup_output: str | None = None,
    pandoc_answers: str | None = None,
    docx_reference: str | None = None,
) -> TaskFailed | None:
    from . import render as writers
    from .assembled_document import read_document

    try:
        # No reference kept here: render_pdf lets the document go before Typst runs.
        with _answers_kept(pandoc_answers):
            writers.render_output(
                output_format,
                read_document(Path(document)),
                Path(output),
                Path(markup_output) if markup_output else None,
                Path(docx_reference) if docx_reference else None,
            )
    except PipelineError as exc:
        return TaskFailed(str(exc))
    return None


def docx_reference(output: str) -> TaskFailed | None:
    from .render import write_reference_docx

    try:
        write_reference_docx(Path(output))
    except PipelineError as exc:
        return TaskFailed(str(exc))
    return None


@_cycle_collector_paused
def preview(document: str, markup: str, html: str, output_dir: str) -> TaskFailed | None:
    from .assembled_document import read_document
    from .preview import write_previews

    try:
        notices = write_previews(read_document(Path(document)), Path(markup), Path(html), Path(output_dir))
    except PipelineError as exc:
        return TaskFailed(str(exc))
    for notice in notices:
        print(notice, file=sys.stderr)
    return None


@_cycle_collector_paused
def verify(output_format: str, root: str, checked_signatories: str, document: str, output: str) -> TaskFailed | None:
    """Verify one output against the signatories checking loaded (not signatories.yaml again) and the document."""
    from . import verify as verification
    from .assembled_document import read_document

    try:
        loaded = _read_checked(checked_signatories)[1]
    except PipelineError as exc:
        return TaskFailed(str(exc))
    try:
        # A long PDF's pages are read in two processes: by the time verify:pdf runs, the other outputs are
        # written, and their verifications take a fraction of its time.
        processes = min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
        diagnostics = verification.verify_output(
            output_format, Path(root), read_document(Path(document)), Path(output), loaded, processes
        )
    except PipelineError as exc:
        return TaskFailed(str(exc))
    return report(diagnostics, f"verify {output}")


@_cycle_collector_paused
def manifest(root: str, document: str, build: str, output: str, pandoc_answers: str | None = None) -> TaskFailed | None:
    from .assembled_document import document_epoch, read_document
    from .atomic_files import write_atomically
    from .manifest import build_manifest, manifest_bytes

    try:
        epoch = document_epoch(read_document(Path(document)))
        with _answers_kept(pandoc_answers):  # pandoc's version, asked once
            data = build_manifest(Path(root), Path(build), epoch)
        write_atomically(Path(output), manifest_bytes(data))
    except (PipelineError, OSError) as exc:
        return TaskFailed(f"{output}: cannot write the manifest: {exc}")
    return None


def reproduce(root: str, manifest_path: str) -> TaskFailed | None:
    """Compare the outputs beside the manifest, the sources and a fresh rebuild with the manifest."""
    import json
    import shutil

    from .manifest import OUTPUT_NAMES, compare_with_manifest, rebuild_in_temporary_directory
    from .sources import SOURCE_FILES

    path = Path(manifest_path)
    try:
        recorded = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return TaskFailed(f"{manifest_path}: cannot read the manifest: {exc}")
    sections = [
        (
            "Outputs beside the manifest",
            compare_with_manifest(recorded, {name: path.parent / name for name in OUTPUT_NAMES}, "outputs"),
        ),
        ("Sources", compare_with_manifest(recorded, {name: Path(root) / name for name in SOURCE_FILES}, "sources")),
    ]
    try:
        directory, build = rebuild_in_temporary_directory(Path(root))
    except PipelineError as exc:
        return TaskFailed(str(exc))
    try:
        sections.append(
            (
                "Rebuilt from the current sources",
                compare_with_manifest(recorded, {name: build / name for name in OUTPUT_NAMES}, "outputs"),
            )
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    failed = False
    for title, lines in sections:
        print(f"{title}:")
        for line in lines:
            print(f"  {line}")
            failed = failed or not line.startswith("match")
    if failed:
        return TaskFailed(f"{manifest_path}: the outputs do not all match the manifest")
    print(f"{manifest_path}: every file matches")
    return None


def sigdiff(root: str, ref: str, output_format: str) -> TaskFailed | None:
    from .sigdiff import diff_signatories, format_diff, signatory_file_at
    from .signatories import load_signatory_file
    from .sources import SIGNATORIES

    try:
        old, used_ref = signatory_file_at(Path(root), ref)
    except PipelineError as exc:
        return TaskFailed(str(exc))
    new, problems = load_signatory_file(Path(root) / SIGNATORIES, SIGNATORIES)
    if problems:
        return report(problems, "sigdiff")
    diff = diff_signatories(old.signatories, new.signatories, old.withdrawn, new.withdrawn)
    print(format_diff(diff, used_ref, markdown=output_format == "markdown"), end="")
    return None


def _redline_against(root: Path, ref: str, author: str | None = None):  # type: ignore[no-untyped-def]
    """(Redline, "ref (commit)") comparing the sources at `ref` with the working tree, or a TaskFailed.

    Both versions are loaded and checked by the same code (side by side: each
    waits mostly on pandoc) and assembled by assemble.py. Errors at `ref` are
    printed with the ref in their paths.
    """
    from concurrent.futures import ThreadPoolExecutor

    from .assemble import assemble_document
    from .checks import check_sources
    from .git_revision import checked_sources_at
    from .redline import marks_author_and_date, redline_documents

    with ThreadPoolExecutor(max_workers=2) as pool:
        at_ref = pool.submit(checked_sources_at, root, ref)
        working_tree = pool.submit(check_sources, root)
        old_sources, old_diagnostics, commit = at_ref.result()
        new_sources, new_diagnostics = working_tree.result()
    old_errors = [d for d in old_diagnostics if d.severity == "error"]
    if old_errors:
        for diagnostic in old_errors:
            print(diagnostic, file=sys.stderr)
        return TaskFailed(
            f"redline: the sources at {ref} do not pass the checks ({summary(old_errors)}); "
            "compare with a revision that built"
        )
    failed = report([d for d in new_diagnostics if d.severity == "error"], "redline")
    if failed:
        return failed
    old, new = assemble_document(old_sources), assemble_document(new_sources)
    author, date = marks_author_and_date(new, author or os.environ.get("DECLARATION_REDLINE_AUTHOR"))
    return redline_documents(old, new, author, date), f"{ref} ({commit[:12]})"


def redline(root: str, build: str, ref: str, author: str) -> TaskFailed | None:
    """build/redline.{docx,html,pdf}: what changed since `ref` (default: the pull request's base in CI, else HEAD)."""
    from .git_revision import default_base_ref
    from .redline_outputs import write_redline
    from .redline_summary import counts_sentence

    ref = ref or default_base_ref()
    try:
        compared = _redline_against(Path(root), ref, author)
        if isinstance(compared, TaskFailed):
            return compared
        result, compared_with = compared
        outputs = write_redline(result, compared_with, Path(build))
    except PipelineError as exc:
        return TaskFailed(f"redline: {exc}")
    print(f"redline against {compared_with}: {counts_sentence(result)}")
    print("wrote " + ", ".join(str(path) for path in outputs.values()))
    return None


def intake(root: str, csv_file: str, columns: list[str], accept: list[str]) -> TaskFailed | None:
    """Merge a form export into signatories.yaml; print every row's fate and a summary."""
    from .atomic_files import write_atomically
    from .intake import merge_form, read_form
    from .sources import SIGNATORIES

    if not csv_file:
        return TaskFailed("intake: say which export to merge: doit intake --csv FILE")
    explicit, numbers, problems = _intake_options(columns, accept)
    if problems:
        return TaskFailed("intake: " + "; ".join(problems))
    target = Path(root) / SIGNATORIES
    try:
        form_bytes, yaml_bytes = Path(csv_file).read_bytes(), target.read_bytes()
    except OSError as exc:
        return TaskFailed(f"intake: cannot read {exc.filename}: {exc.strerror}")
    rows, form_warnings = read_form(form_bytes, csv_file, explicit)
    if has_errors(form_warnings):
        return report(form_warnings, f"intake {csv_file}: nothing changed")
    bom = b"\xef\xbb\xbf" if yaml_bytes.startswith(b"\xef\xbb\xbf") else b""
    try:
        text = yaml_bytes[len(bom) :].decode("utf-8")
        result, diagnostics = merge_form(text, rows, csv_file, numbers)
        if result is None:
            return report(diagnostics, f"intake {csv_file}: nothing changed ({SIGNATORIES} has errors; run doit check)")
        report(form_warnings + result.diagnostics, f"intake {csv_file}")
        if result.text != text:
            write_atomically(target, bom + result.text.encode("utf-8"))
    except UnicodeDecodeError:
        return TaskFailed(f"{SIGNATORIES}: not UTF-8 text; run doit check")
    except PipelineError as exc:
        return TaskFailed(str(exc))
    for signatory in result.added:
        print(f"  + {signatory.display} ({signatory.kind}, row {signatory.line})")
    print(result.summary(csv_file, len(rows)))
    if result.held:
        accept = " ".join(f"--accept {line}" for line in result.held)
        print(f"  held back as probable duplicates; to add them after all: doit intake --csv {csv_file} {accept}")
    appended = f"{len(result.added)} {'entry' if len(result.added) == 1 else 'entries'} appended"
    print(f"{SIGNATORIES}: " + (appended if result.added else "unchanged"))
    return None


def _intake_options(columns: list[str], accept: list[str]) -> tuple[dict[str, str], list[int], list[str]]:
    from .intake import FIELDS

    explicit: dict[str, str] = {}
    problems = []
    for option in columns:
        name, sep, header = option.partition(":")
        if not sep or name.strip() not in FIELDS:
            problems.append(f"--column {option}: write FIELD:HEADER, FIELD one of {', '.join(FIELDS)}")
        else:
            explicit[name.strip()] = header
    numbers = []
    for option in accept:
        for part in option.split(","):
            if part.strip().isdigit():
                numbers.append(int(part))
            else:
                problems.append(f"--accept {option}: give the row's line number, as the held-back warning shows it")
    return explicit, numbers, problems


def job_summary(root: str, pdf: str, ref: str, output: str) -> TaskFailed | None:
    """A Markdown job summary for CI: check counts, pages, signatories and their diff."""
    from pypdf import PdfReader

    from .atomic_files import write_atomically
    from .checks import check_sources
    from .sigdiff import diff_signatories, format_diff, signatory_file_at

    try:
        sources, diagnostics = check_sources(Path(root))
        pages = len(PdfReader(pdf).pages) if Path(pdf).exists() else 0
        errors = sum(d.severity == "error" for d in diagnostics)
        kinds = [s.kind for s in sources.signatories]
        lines = [
            "## The print declaration",
            "",
            "| check errors | check warnings | PDF pages | organizations | individuals | references |",
            "| --- | --- | --- | --- | --- | --- |",
            f"| {errors} | {len(diagnostics) - errors} | {pages} | {kinds.count('organization')} "
            f"| {kinds.count('individual')} | {len(sources.bibliography.references)} |",
            "",
        ]
        try:
            old, used_ref = signatory_file_at(Path(root), ref)
            diff = diff_signatories(old.signatories, sources.signatories, old.withdrawn, sources.withdrawn)
            lines.append(format_diff(diff, used_ref, markdown=True))
        except PipelineError as exc:
            lines.append(f"No signatory diff: {exc}")
            used_ref = ref
        lines.append(_changed_paragraphs_markdown(Path(root), used_ref))
        write_atomically(Path(output), ("\n".join(lines) + "\n").encode("utf-8"))
    except (PipelineError, OSError) as exc:
        return TaskFailed(str(exc))
    return None


def _changed_paragraphs_markdown(root: Path, ref: str) -> str:
    """The job summary's text changes since `ref`, or one line on why there are none."""
    from .redline_summary import changes_markdown

    try:
        compared = _redline_against(root, ref)
    except PipelineError as exc:
        return f"No text changes listed: {exc}\n"
    if isinstance(compared, TaskFailed):
        return f"No text changes listed: {compared.message}\n"
    return changes_markdown(*compared)


def watch(root: str) -> TaskFailed | None:
    from .watch import watch_and_rebuild

    watch_and_rebuild(Path(root))
    return None


def serve(root: str, port: int, strict: bool = False) -> TaskFailed | None:
    from .live_server import serve as serve_preview

    try:
        serve_preview(Path(root), port, strict=strict or _strict_from_environment())
    except PipelineError as exc:
        return TaskFailed(str(exc))
    return None
