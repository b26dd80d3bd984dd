"""A long signatory list is checked in a forked process: it must find exactly what one process finds."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from conftest import copy_project

from declaration_pipeline import checks, forked
from declaration_pipeline.checks import LONG_LIST_BYTES, check_sources

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from synthetic import signatories_yaml  # noqa: E402

# A repeat, a typo, a withdrawn name listed again, and a name YAML reads as a number.
PROBLEMS = """\
  - "Amnesty International"
  - "Amnesty Internatonal"
  - "Withdrawn Example Foundation"
  - 2024
withdrawn:
  - name: "Withdrawn Example Foundation"
    date: 2024-11-01
"""


@pytest.fixture
def long_list(tmp_path: Path) -> Path:
    project = copy_project(tmp_path / "project")
    organizations, individuals = signatories_yaml(3000).split("individuals:\n")
    text = organizations + '  - "Amnesty International"\n' + "individuals:\n" + individuals + PROBLEMS
    (project / "signatories.yaml").write_text(text, encoding="utf-8")
    assert len(text.encode()) > LONG_LIST_BYTES
    return project


def test_a_long_list_is_checked_in_a_second_process_and_finds_what_one_finds(
    long_list: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    checking = checks._load_and_check_signatories

    def checked_and_recorded(path: Path):  # type: ignore[no-untyped-def]
        with pids.open("a") as recorded:
            recorded.write(f"{os.getpid()}\n")
        return checking(path)

    monkeypatch.setattr(checks, "_load_and_check_signatories", checked_and_recorded)
    one_sources, one = check_sources(long_list, processes=1)
    assert not pids.exists()  # one process: the loaded records are checked, not read again
    two_sources, two = check_sources(long_list, processes=2)
    assert pids.read_text().split() != [str(os.getpid())] and pids.read_text().strip()

    assert two == one and two_sources == one_sources
    codes = {d.code for d in one}
    assert {"signatory-duplicate", "signatory-near-duplicate", "signatory-withdrawn", "schema-type"} <= codes


def test_if_the_second_process_dies_the_list_is_checked_here(long_list: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected = check_sources(long_list, processes=1)
    monkeypatch.setattr(forked.Forked, "_compute", lambda self, sending: os._exit(1))
    assert check_sources(long_list, processes=2) == expected


def test_a_short_list_is_checked_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(forked.Forked, "__init__", None)  # any attempt to fork fails the test
    _sources, diagnostics = check_sources(Path(__file__).resolve().parent.parent, processes=2)
    assert not [d for d in diagnostics if d.severity == "error"]
