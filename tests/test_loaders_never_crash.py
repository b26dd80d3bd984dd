"""Fuzzing the loaders: whatever bytes a source holds, the result is diagnostics, never an exception.

CI runs a couple of hundred examples each; for a longer pass, e.g. five minutes:
    FUZZ_EXAMPLES=20000 pytest tests/test_loaders_never_crash.py
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from declaration_pipeline.bibliography import parse_bibliography
from declaration_pipeline.diagnostics import Diagnostic
from declaration_pipeline.signatories import parse_signatories
from declaration_pipeline.source_text import decode_source

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "300"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])

YAML_PIECES = st.sampled_from(
    [
        "organizations:",
        "individuals:",
        "  - ",
        "- ",
        "name: ",
        "country: ",
        "affiliation: ",
        "&a ",
        "*a",
        "!!str ",
        "!!python/object:os.system ",
        "[",
        "]",
        "{",
        "}",
        '"',
        "'",
        "\t",
        "\n",
        "  ",
        ": ",
        "? ",
        "|",
        ">",
        "#",
        "---",
        "...",
        "no",
        "1e3",
        "2024-10-01",
        "~",
        "null",
        "é",
        "王",
        "\u202e",
        "\x00",
        "\ufeff",
    ]
)
BIB_PIECES = st.sampled_from(
    [
        "@article{",
        "@book{",
        "@misc(",
        "@string{",
        "@comment{",
        "@preamble{",
        "key2020,",
        "author = ",
        "title = ",
        "year = ",
        "doi = ",
        "url = ",
        "journal = ",
        "{",
        "}",
        '"',
        ",",
        "#",
        "=",
        "\n",
        " and ",
        "\\'e",
        '{\\"o}',
        "10.1000/x",
        "https://x",
        "%",
        "@",
        "2020",
        "Krizsán",
        "\x00",
    ]
)


def _assert_only_diagnostics(result: tuple) -> None:
    _records, diagnostics = result
    assert all(isinstance(d, Diagnostic) and d.line >= 1 and d.col >= 1 for d in diagnostics)


@FUZZ
@given(st.lists(YAML_PIECES | st.text(max_size=6), max_size=40).map("".join))
def test_signatories_loader_never_raises(text: str) -> None:
    _assert_only_diagnostics(parse_signatories(text, "signatories.yaml"))


@FUZZ
@given(st.lists(BIB_PIECES | st.text(max_size=6), max_size=40).map("".join))
def test_bibliography_loader_never_raises(text: str) -> None:
    _assert_only_diagnostics(parse_bibliography(text, "references.bib"))


@FUZZ
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_give_a_diagnostic(data: bytes) -> None:
    source, diagnostics = decode_source(data, "declaration.md")
    assert (source is None) == bool(diagnostics)
