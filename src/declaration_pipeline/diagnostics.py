"""The one diagnostic type, and the error raised when a tool cannot run."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem at a place in a source or output file.

    Line and column are 1-based and point into the file as the editor sees it.
    Codes are stable: once released, a code never changes meaning.
    """

    path: str
    line: int
    col: int
    severity: Severity
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message} [{self.code}]"

    def github_annotation(self) -> str:
        """A GitHub workflow command, so a pull request shows the problem on its line."""
        message = _escape_workflow_data(self.message)
        props = ",".join(
            f"{key}={_escape_workflow_property(str(value))}"
            for key, value in (
                ("file", self.path),
                ("line", self.line),
                ("col", self.col),
                ("title", self.code),
            )
        )
        return f"::{self.severity} {props}::{message}"


def error(path: str, line: int, col: int, code: str, message: str) -> Diagnostic:
    return Diagnostic(path, line, col, "error", code, message)


def warning(path: str, line: int, col: int, code: str, message: str) -> Diagnostic:
    return Diagnostic(path, line, col, "warning", code, message)


def has_errors(diagnostics: Iterable[Diagnostic], strict: bool = False) -> bool:
    return any(d.severity == "error" or strict for d in diagnostics)


def summary(diagnostics: Iterable[Diagnostic]) -> str:
    items = list(diagnostics)
    errors = sum(d.severity == "error" for d in items)
    warnings = len(items) - errors
    return f"{_plural(errors, 'error')}, {_plural(warnings, 'warning')}"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _escape_workflow_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_workflow_property(text: str) -> str:
    return _escape_workflow_data(text).replace(":", "%3A").replace(",", "%2C")


class PipelineError(Exception):
    """A tool could not do its job (pandoc or typst failed, a file could not be written).

    The message names the file and what was being done, so that the user never
    has to read a traceback.
    """
