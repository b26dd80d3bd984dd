"""Every check on the loaded sources. Each returns diagnostics; none raises for bad input."""

from __future__ import annotations

from pathlib import Path

from ..diagnostics import Diagnostic
from ..sources import Sources, load_sources
from .bibliography import check_bibliography
from .citations import check_citations
from .footnotes import check_footnotes
from .front_matter import check_front_matter
from .headings import check_headings
from .printable import check_printable
from .resources import check_resources
from .signatories import check_signatories


def run_checks(sources: Sources) -> list[Diagnostic]:
    diagnostics = check_bibliography(sources.bibliography)
    diagnostics += check_signatories(sources.signatories, sources.withdrawn)
    if sources.declaration is not None:
        diagnostics += check_front_matter(sources.declaration)
        diagnostics += check_footnotes(sources.declaration)
        diagnostics += check_headings(sources.declaration)
        diagnostics += check_resources(sources.declaration)
        if sources.bibliography.readable:
            diagnostics += check_citations(sources.declaration, sources.bibliography)
    diagnostics += check_printable(sources)
    return diagnostics


def check_sources(root: Path) -> tuple[Sources, list[Diagnostic]]:
    """Load and check; diagnostics come sorted by file and position."""
    sources, diagnostics = load_sources(root)
    diagnostics += run_checks(sources)
    return sources, sorted(set(diagnostics))
