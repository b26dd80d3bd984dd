"""A build manifest: which sources, tools and timestamp made which outputs.

`build/manifest.json` lets anyone holding the PDF prove where it came from;
`reproduce` rebuilds from the current sources in a temporary directory and
compares, file by file.
"""

from __future__ import annotations

import hashlib
import json
import platform
import shutil
import tempfile
from importlib.metadata import version
from pathlib import Path

from .sources import SOURCE_FILES

OUTPUT_NAMES = ("declaration.html", "declaration.docx", "declaration.pdf")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tool_versions() -> dict[str, str]:
    from .pandoc import pandoc_version

    return {
        "pandoc": pandoc_version(),
        "pypandoc-binary": version("pypandoc-binary"),
        "typst": version("typst"),
        "pybtex": version("pybtex"),
        "latexcodec": version("latexcodec"),
        "doit": version("doit"),
        "python": platform.python_version(),
    }


def build_manifest(root: Path, build: Path, source_date_epoch: int) -> dict:
    return {
        "sources": {name: sha256(root / name) for name in SOURCE_FILES},
        "outputs": {name: sha256(build / name) for name in OUTPUT_NAMES},
        "tools": tool_versions(),
        "SOURCE_DATE_EPOCH": source_date_epoch,
    }


def manifest_bytes(manifest: dict) -> bytes:
    return (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode("utf-8")


def compare_with_manifest(manifest: dict, files: dict[str, Path], what: str) -> list[str]:
    """One line per file: whether its hash matches the manifest."""
    lines = []
    for name, expected in sorted(manifest.get(what, {}).items()):
        path = files.get(name)
        if path is None or not path.exists():
            lines.append(f"MISSING  {name}")
        else:
            lines.append(f"{'match   ' if sha256(path) == expected else 'DIFFERS '} {name}")
    return lines


def rebuild_in_temporary_directory(root: Path) -> tuple[Path, Path]:
    """Build the outputs from the current sources in a fresh directory; returns (directory, build)."""
    from .assemble import assemble_document
    from .checks import check_sources
    from .diagnostics import PipelineError, has_errors, summary
    from .render import render_docx, render_html, render_pdf

    directory = Path(tempfile.mkdtemp(prefix="declaration-reproduce-"))
    for name in SOURCE_FILES:
        shutil.copyfile(root / name, directory / name)
    sources, diagnostics = check_sources(directory)
    if has_errors(diagnostics):
        raise PipelineError(f"cannot reproduce: the sources have errors ({summary(diagnostics)})")
    document = assemble_document(sources)
    build = directory / "build"
    render_html(document, build / "declaration.html")
    render_docx(document, build / "declaration.docx")
    render_pdf(document, build / "declaration.pdf")
    return directory, build
