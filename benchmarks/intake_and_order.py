"""Timings for `order: alphabetical` and `doit intake` at scale (in process, median of 3 runs).

    python benchmarks/intake_and_order.py [--scales 1000 10000 100000]

Sorting: `in_print_order` on synthetic lists (accented and CJK names included).
Intake: a synthetic form export, half new names and half already listed, merged
into a list of the given size (`read_form` + `merge_form`, no file writes).
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import signatories_yaml, synthetic_signatories  # noqa: E402

from declaration_pipeline.intake import merge_form, read_form  # noqa: E402
from declaration_pipeline.signatories import in_print_order, parse_signatory_file  # noqa: E402


def _median(action, runs: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def form_export(listed: list[str], new: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(["Timestamp", "Email Address", "I am signing as", "Organization name", "Country", "I agree"])
    for number, name in enumerate([*listed, *new]):
        writer.writerow(
            [
                f"2024/10/21 9:{number % 60:02d}:00 AM GMT+2",
                f"s{number}@x.example",
                "An organization",
                name,
                "",
                "I agree",
            ]
        )
    return out.getvalue().encode("utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", type=int, nargs="+", default=[1000, 10000, 100000])
    args = parser.parse_args()
    for scale in args.scales:
        text = signatories_yaml(scale)
        listed, _ = parse_signatory_file(text, "signatories.yaml")
        signatories = listed.signatories
        sort_time = _median(lambda signatories=signatories: in_print_order(signatories, "alphabetical"))
        organizations, _people = synthetic_signatories(scale + scale // 10, seed=7)
        existing = {s.name for s in signatories}
        new = [name for name in organizations if name not in existing][: scale // 10]
        data = form_export([s.name for s in signatories if s.kind == "organization"][: scale // 10], new)

        def intake(data: bytes = data, text: str = text) -> None:
            rows, problems = read_form(data, "form.csv")
            assert not problems
            result, problems = merge_form(text, rows, "form.csv")
            assert result is not None and not problems

        intake_time = _median(intake)
        print(
            f"{scale:>7,} signatories: order: alphabetical {sort_time:6.2f} s; "
            f"intake of {2 * (scale // 10):,} rows {intake_time:6.2f} s"
        )


if __name__ == "__main__":
    main()
