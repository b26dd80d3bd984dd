"""Every check on the loaded sources. Each returns diagnostics; none raises for bad input.

A long signatory list is checked in a forked process (forked.py) while this
one checks declaration.md and references.bib and reads the list for itself:
at 10,000 names the duplicate searches take as long as everything else, and
reading the list twice costs less than sending its records back. Each process
imports only what it needs, so the modules are imported in the functions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from ..forked import Forked
from ..sources import SIGNATORIES, Sources

if TYPE_CHECKING:
    from ..bibliography import Bibliography
    from ..declaration import Declaration
    from ..diagnostics import Diagnostic
    from ..signatories import SignatoryFile

# About 2,000 names: below this, forking and importing twice cost more than the searches.
LONG_LIST_BYTES = 64_000


def check_sources(root: Path, processes: int = 1) -> tuple[Sources, list[Diagnostic]]:
    """Load and check; diagnostics come sorted by file and position."""
    from ..signatories import load_signatory_file

    with _signatory_checks(root, processes) as signatory_problems:
        declaration, bibliography, diagnostics = check_document(root)
        signatory_file, more = load_signatory_file(root / SIGNATORIES, SIGNATORIES)
        sources = Sources(
            declaration, bibliography, signatory_file.signatories, signatory_file.withdrawn, signatory_file.order
        )
        from .printable import check_printable

        diagnostics += more + check_printable(sources) + signatory_problems(signatory_file)
    return sources, sorted(set(diagnostics))


@contextmanager
def _signatory_checks(root: Path, processes: int) -> Iterator[Callable[[SignatoryFile], list[Diagnostic]]]:
    """What the signatory checks find in the loaded file: found meanwhile in a forked process for a long list."""
    path = root / SIGNATORIES
    if processes < 2 or not path.is_file() or path.stat().st_size < LONG_LIST_BYTES:
        yield lambda loaded: check_signatories_of(loaded)
        return
    with Forked(_load_and_check_signatories, path) as found:
        yield lambda _loaded: found.result()


def check_signatories_of(loaded: SignatoryFile) -> list[Diagnostic]:
    from .signatories import check_signatories

    return check_signatories(loaded.signatories, loaded.withdrawn)


def _load_and_check_signatories(path: Path) -> list[Diagnostic]:
    from ..signatories import load_signatory_file

    loaded, _reported_by_the_other_process = load_signatory_file(path, SIGNATORIES)
    return check_signatories_of(loaded)


def check_document(root: Path) -> tuple[Declaration | None, Bibliography, list[Diagnostic]]:
    """declaration.md and references.bib, loaded and checked."""
    from ..sources import load_document
    from .bibliography import check_bibliography
    from .citations import check_citations
    from .footnotes import check_footnotes
    from .front_matter import check_front_matter
    from .headings import check_headings
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
    return declaration, bibliography, diagnostics
