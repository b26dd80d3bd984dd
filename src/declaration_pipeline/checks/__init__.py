"""Every check on the loaded sources. Each returns diagnostics; none raises for bad input.

The sources are checked in two parts that share nothing (sources.PARTS):
declaration.md with references.bib, and signatories.yaml. doit checks each
part in a task of its own (dodo.py), side by side, and only the part whose
files changed: so each part imports only what it needs, in its function.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..sources import SIGNATORIES, Sources

if TYPE_CHECKING:
    from ..bibliography import Bibliography
    from ..declaration import Declaration
    from ..diagnostics import Diagnostic
    from ..signatories import SignatoryFile


def check_sources(root: Path) -> tuple[Sources, list[Diagnostic]]:
    """Load and check both parts in this process; diagnostics come sorted by file and position."""
    from concurrent.futures import ThreadPoolExecutor

    # The list is read and checked while pandoc reads the Markdown in a process of its own.
    with ThreadPoolExecutor(max_workers=1) as beside:
        signatory_part = beside.submit(check_signatory_file, root)
        declaration, bibliography, diagnostics = check_document(root)
        signatory_file, more = signatory_part.result()
    return sources_of((declaration, bibliography), signatory_file), sorted(set(diagnostics + more))


def check_part(part: str, root: Path) -> tuple[object, list[Diagnostic]]:
    """One part of the sources (a key of sources.PARTS), loaded and checked: its records (what
    sources_of takes) and its diagnostics."""
    if part == "document":
        declaration, bibliography, diagnostics = check_document(root)
        return (declaration, bibliography), diagnostics
    if part == "signatories":
        return check_signatory_file(root)
    raise ValueError(f"no part of the sources is called {part!r}")


def sources_of(document: tuple[Declaration | None, Bibliography], signatory_file: SignatoryFile) -> Sources:
    """The records of both parts in one."""
    declaration, bibliography = document
    return Sources(
        declaration, bibliography, signatory_file.signatories, signatory_file.withdrawn, signatory_file.order
    )


def check_document(root: Path) -> tuple[Declaration | None, Bibliography, list[Diagnostic]]:
    """declaration.md and references.bib, loaded and checked."""
    from ..sources import load_document
    from .bibliography import check_bibliography
    from .citations import check_citations
    from .footnotes import check_footnotes
    from .front_matter import check_front_matter
    from .headings import check_headings
    from .printable import check_printable, document_texts
    from .resources import check_resources

    declaration, bibliography, diagnostics = load_document(root)
    diagnostics += check_bibliography(bibliography)
    if declaration is not None:
        diagnostics += check_front_matter(declaration)
        diagnostics += check_footnotes(declaration)
        diagnostics += check_headings(declaration)
        diagnostics += check_resources(declaration)
        if bibliography.readable:
            diagnostics += check_citations(declaration, bibliography)
    diagnostics += check_printable(list(document_texts(declaration, bibliography)), declaration)
    return declaration, bibliography, diagnostics


def check_signatory_file(root: Path) -> tuple[SignatoryFile, list[Diagnostic]]:
    """signatories.yaml, loaded and checked."""
    from ..signatories import load_signatory_file
    from .printable import check_printable, signatory_texts
    from .signatories import check_signatories

    loaded, diagnostics = load_signatory_file(root / SIGNATORIES, SIGNATORIES)
    diagnostics += check_signatories(loaded.signatories, loaded.withdrawn)
    diagnostics += check_printable(list(signatory_texts(loaded.signatories)))
    return loaded, diagnostics
