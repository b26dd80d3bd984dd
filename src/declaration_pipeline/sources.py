"""The three sources, loaded once into frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported where they are loaded: signatories.yaml is read without pybtex (checks/__init__.py)
    from .bibliography import Bibliography
    from .declaration import Declaration
    from .diagnostics import Diagnostic
    from .signatories import Order, Signatory, Withdrawal

DECLARATION = "declaration.md"
REFERENCES = "references.bib"
SIGNATORIES = "signatories.yaml"
SOURCE_FILES = (DECLARATION, REFERENCES, SIGNATORIES)
# The sources in two parts that share nothing, each loaded and checked on its own (checks/__init__.py).
PARTS = {"document": (DECLARATION, REFERENCES), "signatories": (SIGNATORIES,)}


@dataclass(frozen=True)
class Sources:
    declaration: Declaration | None
    bibliography: Bibliography
    signatories: tuple[Signatory, ...]
    withdrawn: tuple[Withdrawal, ...] = ()
    order: Order = "as-listed"


def load_document(root: Path) -> tuple[Declaration | None, Bibliography, list[Diagnostic]]:
    """declaration.md and references.bib, reporting every problem rather than stopping at the first."""
    from concurrent.futures import ThreadPoolExecutor

    from .bibliography import load_bibliography
    from .declaration import load_declaration

    # pandoc reads the Markdown in a process of its own: meanwhile, this one reads the bibliography.
    with ThreadPoolExecutor(max_workers=1) as pandoc_reading:
        declared = pandoc_reading.submit(load_declaration, root / DECLARATION, DECLARATION)
        bibliography, problems = load_bibliography(root / REFERENCES, REFERENCES)
        declaration, diagnostics = declared.result()
    return declaration, bibliography, diagnostics + problems
