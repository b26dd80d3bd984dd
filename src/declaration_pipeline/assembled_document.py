"""The assembled document: build/declaration.json, which every writer and verification reads, and the
names by which they find the parts assemble.py made."""

from __future__ import annotations

import json
from pathlib import Path

from .atomic_files import write_atomically
from .diagnostics import PipelineError
from .pandoc_ast import meta_text

# The author-date part of an annex entry: the print edition's list label (render.py).
ANNEX_LABEL = "reference-label"
# The signatory section's heading, and the class of each list's Div, which follows the list's heading.
SIGNATORY_SECTION = "signatories"
SIGNATORY_LIST = "signatories"
# The class of the span holding a signatory's name, which the redline reads back.
SIGNATORY_NAME = "signatory-name"


def is_signatory_list(block: dict) -> bool:
    """Whether a top-level block is the Div holding one signatory list (which follows the list's heading)."""
    return block["t"] == "Div" and SIGNATORY_LIST in block["c"][0][1]


def read_document(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PipelineError(f"{path}: cannot read the assembled document: {exc}") from exc


def write_document(document: dict, output: Path) -> None:
    # Compact: with indent, json falls back to its pure-Python encoder, ten times slower
    # (2.7 s for 10,000 signatories). `python -m json.tool` pretty-prints it for reading.
    write_atomically(output, json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def document_epoch(document: dict) -> int:
    return int(meta_text(document["meta"], "source-date-epoch") or 0)
