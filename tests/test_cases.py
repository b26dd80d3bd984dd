"""Scenario folders: each tests/cases/<name>/ is a tiny project plus the exact diagnostics it must give.

Regenerate the expected files with `pytest tests/test_cases.py --update-golden`,
then read the diff: a golden file is only as good as the review it got.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from declaration_pipeline.checks import check_sources

CASES = sorted(path for path in (Path(__file__).parent / "cases").iterdir() if path.is_dir())


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_case_gives_exactly_the_expected_diagnostics(case: Path, update_golden: bool) -> None:
    _sources, diagnostics = check_sources(case)
    lines = [str(diagnostic) for diagnostic in diagnostics]
    expected_file = case / "expected.txt"
    if update_golden:
        expected_file.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    expected = expected_file.read_text(encoding="utf-8").splitlines()
    assert lines == expected


def test_the_clean_case_expects_nothing() -> None:
    assert (Path(__file__).parent / "cases" / "clean" / "expected.txt").read_text() == ""
