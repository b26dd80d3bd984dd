"""A real open-letter signatory list (tests/realworld/rms-open-letter): converted faithfully, checked as expected."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import yaml

from declaration_pipeline.checks.signatories import check_signatories
from declaration_pipeline.signatories import load_signatories

LETTER = Path(__file__).resolve().parent / "realworld" / "rms-open-letter"


def _converter():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("convert", LETTER / "convert.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_conversion_is_faithful_and_reproducible() -> None:
    markdown = (LETTER / "index.md").read_text(encoding="utf-8")
    lists = _converter().convert(markdown)
    assert lists == yaml.safe_load((LETTER / "signatories.yaml").read_text(encoding="utf-8"))
    items = [line for line in markdown.splitlines() if line.startswith(("1. ", "- "))]
    assert len(lists["organizations"]) + len(lists["individuals"]) == len(items) == 1986
    people = {entry["name"] if isinstance(entry, dict) else entry: entry for entry in lists["individuals"]}
    assert people["Jason C. McDonald (a.k.a. CodeMouse92)"] == {
        "name": "Jason C. McDonald (a.k.a. CodeMouse92)",
        "affiliation": "MousePaw Media",
    }
    assert "David (gnuconsulting) Bishop" in people  # parentheses inside a name stay in it


def test_the_signatory_check_gives_exactly_the_expected_diagnostics() -> None:
    signatories, problems = load_signatories(LETTER / "signatories.yaml", "signatories.yaml")
    assert problems == []
    lines = (LETTER / "expected.txt").read_text(encoding="utf-8").splitlines()
    expected = [line for line in lines if not line.startswith(" ")]
    assert [str(d) for d in check_signatories(signatories)] == expected
    # Every diagnostic is followed by a word on why it is a true problem.
    assert [line.strip().startswith("why: ") for line in lines] == [False, True] * len(expected)
