"""The three sources, loaded once into frozen records."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .bibliography import Bibliography, load_bibliography
from .declaration import Declaration, load_declaration
from .diagnostics import Diagnostic
from .signatories import Order, Signatory, Withdrawal, load_signatory_file

DECLARATION = "declaration.md"
REFERENCES = "references.bib"
SIGNATORIES = "signatories.yaml"
SOURCE_FILES = (DECLARATION, REFERENCES, SIGNATORIES)


@dataclass(frozen=True)
class Sources:
    declaration: Declaration | None
    bibliography: Bibliography
    signatories: tuple[Signatory, ...]
    withdrawn: tuple[Withdrawal, ...] = ()
    order: Order = "as-listed"


def load_sources(root: Path) -> tuple[Sources, list[Diagnostic]]:
    """Load all three sources, reporting every problem rather than stopping at the first."""
    # pandoc reads the Markdown in a process of its own: meanwhile, this one reads the other two.
    with ThreadPoolExecutor(max_workers=1) as pandoc_reading:
        declared = pandoc_reading.submit(load_declaration, root / DECLARATION, DECLARATION)
        bibliography, problems = load_bibliography(root / REFERENCES, REFERENCES)
        signatories, more_problems = load_signatory_file(root / SIGNATORIES, SIGNATORIES)
        declaration, diagnostics = declared.result()
    diagnostics += problems + more_problems
    return Sources(
        declaration, bibliography, signatories.signatories, signatories.withdrawn, signatories.order
    ), diagnostics
