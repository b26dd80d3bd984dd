"""One function's work done in a forked process while this process goes on.

On a 2-core machine, a step with two independent halves takes the time of the
longer one: verify:pdf reads the later pages of a long PDF in a forked process
while this one reads the structure tree and the first pages. The forked
process inherits every module and object this one has. Nothing depends on it:
if it cannot be started, dies, or its function raises, the function runs again
here, where an error is raised and reported as usual. It is a helper, not a
copy of a task: it never outlives the `with` block.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable
from typing import Generic, TypeVar

R = TypeVar("R")

_FAILED = "forked-process-failed"


class Forked(Generic[R]):
    """`function(*args)`, computed in a forked process when `fork` is true, else by `result()` here."""

    def __init__(self, function: Callable[..., R], *args: object, fork: bool = True) -> None:
        self.function, self.args = function, args
        self.child = self.answer = None
        if fork and "fork" in multiprocessing.get_all_start_methods():
            context = multiprocessing.get_context("fork")
            try:
                self.answer, sending = context.Pipe(duplex=False)
                try:
                    self.child = context.Process(target=self._compute, args=(sending,), daemon=True)
                    self.child.start()
                finally:
                    sending.close()
            except OSError:  # no process or pipe to be had: result() computes it here
                self.child = None
                if self.answer is not None:
                    self.answer.close()

    def __enter__(self) -> Forked[R]:
        return self

    def __exit__(self, *_exception: object) -> None:
        if self.child is not None:
            self.answer.close()
            if self.child.is_alive():
                self.child.terminate()
            self.child.join()
            self.child = None

    def _compute(self, sending) -> None:  # type: ignore[no-untyped-def]
        # No traceback from here, whatever fails (the function, or pickling its value): result() runs it again.
        try:
            sending.send(self.function(*self.args))
        except BaseException:  # noqa: BLE001
            with contextlib.suppress(BaseException):
                sending.send(_FAILED)

    def result(self) -> R:
        if self.child is not None:
            try:
                value = self.answer.recv()
            except (EOFError, OSError):  # the process died
                value = _FAILED
            if not (isinstance(value, str) and value == _FAILED):
                return value  # type: ignore[return-value]
        return self.function(*self.args)
