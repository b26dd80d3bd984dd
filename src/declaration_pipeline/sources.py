"""The three sources, loaded once into frozen records."""

from __future__ import annotations

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
    declaration, diagnostics = load_declaration(root / DECLARATION, DECLARATION)
    bibliography, problems = load_bibliography(root / REFERENCES, REFERENCES)
    diagnostics += problems
    signatories, problems = load_signatory_file(root / SIGNATORIES, SIGNATORIES)
    diagnostics += problems
    return Sources(
        declaration, bibliography, signatories.signatories, signatories.withdrawn, signatories.order
    ), diagnostics
