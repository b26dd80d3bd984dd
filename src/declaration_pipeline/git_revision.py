"""The sources as they were at a git revision: the one place that runs git.

`doit sigdiff`, `doit summary` and `doit redline` compare the working tree with
an earlier version (a pull request's base, HEAD); they read that version here.
Git's own failures become one-line `PipelineError`s, never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path

from .diagnostics import Diagnostic, PipelineError
from .sources import SOURCE_FILES, Sources


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, check=False)
    except OSError as exc:
        raise PipelineError(f"cannot run git: {exc}") from exc


def resolve_revision(root: Path, ref: str) -> str:
    """The commit `ref` names; a PipelineError in one line when it names none."""
    if not ref or ref.startswith("-"):
        raise PipelineError(f"{ref!r} is not a git revision")
    completed = _git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if completed.returncode != 0:
        inside = _git(root, "rev-parse", "--git-dir").returncode == 0
        where = "in this repository" if inside else f"({root.resolve()} is not a git checkout)"
        raise PipelineError(f"{ref!r} is not a git revision {where}")
    return completed.stdout.decode().strip()


def file_at_revision(root: Path, commit: str, path: str) -> bytes | None:
    """The bytes of `path` (relative to `root`) at `commit`, or None if the file did not exist there."""
    completed = _git(root, "show", f"{commit}:./{path}")
    return completed.stdout if completed.returncode == 0 else None


def default_base_ref(environ: Mapping[str, str] = os.environ) -> str:
    """What to compare with: the pull request's base in CI (GitHub sets GITHUB_BASE_REF), else HEAD."""
    base = environ.get("GITHUB_BASE_REF", "").strip()
    return f"origin/{base}" if base else "HEAD"


def checked_sources_at(root: Path, ref: str) -> tuple[Sources, list[Diagnostic], str]:
    """The three sources at `ref`, loaded and checked exactly as `doit check` does the working tree's.

    The files are copied out of git into a temporary directory, so that the very
    same loaders and checks read them. Diagnostics name the revision:
    `origin/main:declaration.md:12:3: error: ...`. A source missing at `ref`
    is a PipelineError. Also returns the commit that `ref` names.
    """
    from .checks import check_sources

    commit = resolve_revision(root, ref)
    contents = {name: file_at_revision(root, commit, name) for name in SOURCE_FILES}
    missing = [name for name, data in contents.items() if data is None]
    if missing:
        raise PipelineError(f"{ref}: {', '.join(missing)} did not exist at this revision: nothing to compare with")
    with tempfile.TemporaryDirectory(prefix="declaration-at-revision-") as directory:
        for name, data in contents.items():
            (Path(directory) / name).write_bytes(data or b"")
        sources, diagnostics = check_sources(Path(directory))
    named = [Diagnostic(f"{ref}:{d.path}", d.line, d.col, d.severity, d.code, d.message) for d in diagnostics]
    return sources, named, commit
