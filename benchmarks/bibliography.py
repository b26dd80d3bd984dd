"""Bibliography timings: load, check and annex on the real-world files, repeated to a size.

    python benchmarks/bibliography.py                # every file of tests/realworld, 1 and 20 copies
    python benchmarks/bibliography.py --copies 1,50 --runs 5

Each copy gets new keys, so a file of 33 entries at 20 copies is one of 660
different entries. Each figure is the median of --runs runs, in process.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from declaration_pipeline.bibliography import parse_bibliography  # noqa: E402
from declaration_pipeline.checks.bibliography import check_bibliography  # noqa: E402
from declaration_pipeline.citation_style import format_annex  # noqa: E402

_KEY = re.compile(r"^([ \t]*@(?!string|comment|preamble)\w+[ \t]*\{[ \t]*)([^,\s]+),", re.M | re.I)
_XREF = re.compile(r"^([ \t]*(?:crossref|entryset|xdata)[ \t]*=[ \t]*\{)([^}]*)\}", re.M | re.I)


def copies_of(text: str, copies: int) -> str:
    """The file `copies` times, with keys (and the keys crossref names) made unique per copy."""
    return "\n".join(_copy(text, number) for number in range(copies))


def _copy(text: str, number: int) -> str:
    def renamed(keys: str) -> str:
        return ",".join(f"{key.strip()}-{number}" for key in keys.split(","))

    copy = _KEY.sub(lambda m: f"{m.group(1)}{m.group(2)}-{number},", text)
    return _XREF.sub(lambda m: f"{m.group(1)}{renamed(m.group(2))}}}", copy)


def measure(text: str, runs: int) -> tuple[int, float, float, float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        bibliography, _ = parse_bibliography(text, "references.bib")
        loaded = time.perf_counter()
        check_bibliography(bibliography)
        checked = time.perf_counter()
        format_annex(bibliography)
        timings.append((loaded - start, checked - loaded, time.perf_counter() - checked))
    load, check, annex = (statistics.median(column) for column in zip(*timings, strict=True))
    return len(bibliography.references), load, check, annex


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", default="1,20")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| file | copies | entries | load | check | annex |")
    print("|---|---|---|---|---|---|")
    for path in sorted((ROOT / "tests" / "realworld").glob("*/*.bib")):
        for copies in (int(n) for n in args.copies.split(",")):
            entries, load, check, annex = measure(copies_of(path.read_text(encoding="utf-8"), copies), args.runs)
            print(f"| {path.parent.name} | {copies} | {entries} | {load:.2f} s | {check:.2f} s | {annex:.2f} s |")


if __name__ == "__main__":
    main()
