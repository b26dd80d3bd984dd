"""Builds started at once in one folder, repeated: every run's exit status, tracebacks, leftovers, and the time.

    python benchmarks/builds_at_once.py --rounds 5 --runs 2,3

Each round starts from a fresh copy of the project (no build/, no .doit.json),
starts the runs together and waits for all of them. Prints one line per round
and a summary; nothing here is a pass/fail test (tests/test_builds_at_once.py is).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT_FILES = ("dodo.py", "pyproject.toml", "declaration.md", "references.bib", "signatories.yaml")
KNOWN = {"checked-document.pickle", "checked-signatories.pickle", "manifest.json", ".lock"} | {
    f"declaration.{suffix}" for suffix in ("docx", "html", "json", "pdf", "typ")
}


def fresh_project(directory: Path) -> Path:
    directory.mkdir(parents=True)
    for name in PROJECT_FILES:
        shutil.copy2(ROOT / name, directory / name)
    shutil.copytree(ROOT / "src", directory / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    return directory


def one_round(project: Path, runs: int) -> dict:
    env_path = str(project / "src")
    start = time.perf_counter()
    started = [
        subprocess.Popen(
            [sys.executable, "-m", "doit"],
            cwd=project,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": env_path},
        )
        for _ in range(runs)
    ]
    outputs = [(build.wait(), *build.communicate()) for build in started]
    seconds = time.perf_counter() - start
    text = "".join(out + err for _, out, err in outputs)
    return {
        "exit": [code for code, _, _ in outputs],
        "tracebacks": sum(text.count(sign) for sign in ("Traceback", "CallStack")),
        "waited": sum("waiting for it" in err for _, _, err in outputs),
        "built_pdf": sum(".  pdf" in out for _, out, _ in outputs),
        "leftovers": sorted(p.name for p in (project / "build").iterdir() if p.name not in KNOWN),
        "seconds": round(seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--runs", default="2,3", help="comma-separated numbers of runs started at once")
    args = parser.parse_args()
    failures = 0
    with tempfile.TemporaryDirectory(prefix="builds-at-once-") as directory:
        for runs in (int(n) for n in args.runs.split(",")):
            for number in range(args.rounds):
                result = one_round(fresh_project(Path(directory) / f"{runs}-{number}"), runs)
                ok = set(result["exit"]) == {0} and not result["tracebacks"] and not result["leftovers"]
                failures += not ok
                print(f"{runs} runs, round {number + 1}: {'ok' if ok else 'FAILED'} {result}", flush=True)
    print(f"{failures} failed round(s)")


if __name__ == "__main__":
    main()
