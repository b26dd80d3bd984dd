"""forked.py: work done in a forked process, and done here instead whenever that process fails."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

from declaration_pipeline.forked import Forked


def _pid() -> int:
    return os.getpid()


def _fails() -> None:
    raise ValueError("from the function")


def _dies_unless_here(here: int) -> int:
    if os.getpid() != here:
        os._exit(1)
    return here


def _unpicklable(here: int):  # type: ignore[no-untyped-def]
    return (lambda: here) if os.getpid() != here else here


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_the_function_runs_in_another_process() -> None:
    with Forked(_pid) as forked:
        assert forked.result() != os.getpid()


def test_without_fork_the_function_runs_here_when_asked(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    forked = Forked(lambda: calls.write_text("called") and os.getpid(), fork=False)
    assert not calls.exists()
    with forked:
        assert forked.result() == os.getpid()


def test_an_error_is_raised_here_and_the_forked_process_prints_nothing(capfd: pytest.CaptureFixture[str]) -> None:
    with Forked(_fails) as forked, pytest.raises(ValueError, match="from the function"):
        forked.result()
    assert capfd.readouterr().err == ""


def test_a_process_that_dies_costs_only_time() -> None:
    with Forked(_dies_unless_here, os.getpid()) as forked:
        assert forked.result() == os.getpid()


def test_a_value_that_cannot_be_sent_back_is_computed_here(capfd: pytest.CaptureFixture[str]) -> None:
    with Forked(_unpicklable, os.getpid()) as forked:
        assert forked.result() == os.getpid()
    assert capfd.readouterr().err == ""


def test_a_fork_that_fails_leaves_nothing_open(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_process(self) -> None:  # type: ignore[no-untyped-def]
        raise BlockingIOError("no more processes")

    monkeypatch.setattr(multiprocessing.get_context("fork").Process, "start", no_process)
    before = _open_descriptors()
    with Forked(_pid) as forked:
        assert forked.result() == os.getpid()
    assert _open_descriptors() == before
