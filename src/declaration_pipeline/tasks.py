"""What each doit task does: one function per action.

This layer turns diagnostics into printed lines and a failed task, and
PipelineErrors into a one-line message, so that nobody sees a traceback for
bad input. dodo.py imports it lazily, keeping a no-op `doit` fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from doit.exceptions import TaskFailed

from .diagnostics import Diagnostic, PipelineError, has_errors, summary


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


def check(root: str, strict: bool = False) -> TaskFailed | None:
    from .checks import check_sources

    strict = strict or _strict_from_environment()
    try:
        _sources, diagnostics = check_sources(Path(root))
    except PipelineError as exc:
        return TaskFailed(str(exc))
    return report(diagnostics, "check", strict)


def assemble(root: str, output: str) -> TaskFailed | None:
    from .assemble import assemble_document
    from .checks import check_sources
    from .render import write_document

    try:
        sources, diagnostics = check_sources(Path(root))
        if has_errors(diagnostics):
            return report(diagnostics, "assemble")
        write_document(assemble_document(sources), Path(output))
    except PipelineError as exc:
        return TaskFailed(str(exc))
    return None


def render(output_format: str, document: str, output: str, markup_output: str | None = None) -> TaskFailed | None:
    from . import render as writers

    try:
        assembled = writers.read_document(Path(document))
        if output_format == "pdf":
            writers.render_pdf(assembled, Path(output), Path(markup_output) if markup_output else None)
        elif output_format == "docx":
            writers.render_docx(assembled, Path(output))
        else:
            writers.render_html(assembled, Path(output))
    except PipelineError as exc:
        return TaskFailed(str(exc))
    return None


def preview(document: str, markup: str, html: str, output_dir: str) -> TaskFailed | None:
    from .preview import write_previews
    from .render import read_document

    try:
        notices = write_previews(read_document(Path(document)), Path(markup), Path(html), Path(output_dir))
    except PipelineError as exc:
        return TaskFailed(str(exc))
    for notice in notices:
        print(notice, file=sys.stderr)
    return None


def verify(output_format: str, root: str, document: str, output: str) -> TaskFailed | None:
    from . import verify as verification
    from .render import read_document

    try:
        diagnostics = verification.verify_output(
            output_format, Path(root), read_document(Path(document)), Path(output)
        )
    except PipelineError as exc:
        return TaskFailed(str(exc))
    return report(diagnostics, f"verify {output}")
