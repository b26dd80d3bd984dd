"""Benchmark: `doit redline` at the repository's size (target: at most 2 s).

    python benchmarks/redline.py             # 5 runs
    python benchmarks/redline.py --runs 9

Copies the project into a temporary git repository, commits it, makes the
issue's Done-when edits (a word changed, a sentence deleted, a paragraph
added, a footnote edited, a signatory renamed) and times `doit redline`
against HEAD, from a fresh process each time, as an editor runs it, in wall
time and in CPU time (user + system, children included: the figure that does
not depend on what else the machine is running). Also
times the stages in process: loading and checking both versions, the diff
itself, and each writer. Prints the medians; writes benchmarks/redline.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import measure  # noqa: E402

EDITS = {
    "declaration.md": [
        ("The threat of organized crime", "The threat of organised crime"),
        (" We cannot afford to work in silos, or to ignore the input of different sectors and constituencies.", ""),
        ("# PREAMBLE:\n", "# PREAMBLE:\n\nThe Alliance welcomes comments on this draft until the end of the month.\n"),
        ("The Global Organized Crime Index 2023.", "The Global Organized Crime Index 2025."),
    ],
    "signatories.yaml": [("  - Soroptimist International\n", "  - Soroptimist Internacional\n")],
}
GIT_ENV = {"GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b"}


def make_project(directory: Path) -> Path:
    project = directory / "project"
    project.mkdir()
    for name in ("dodo.py", "pyproject.toml", "declaration.md", "references.bib", "signatories.yaml"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    env = {**os.environ, **GIT_ENV}
    for command in (["init", "-q"], ["add", "."], ["commit", "-q", "-m", "approved"]):
        subprocess.run(["git", *command], cwd=project, check=True, env=env)
    for name, edits in EDITS.items():
        text = (project / name).read_text(encoding="utf-8")
        for old, new in edits:
            text = text.replace(old, new, 1)
        (project / name).write_text(text, encoding="utf-8")
    return project


def cpu_seconds(command: list[str], cwd: Path) -> float:
    """User + system CPU time of a command and its children: what the wall time would be on an idle core."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, cwd=cwd, check=True, capture_output=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def stages_in_process(project: Path, runs: int) -> dict[str, float]:
    """Median seconds of each stage, run in this process."""
    from declaration_pipeline import tasks
    from declaration_pipeline.redline import reading, redline_documents
    from declaration_pipeline.redline_outputs import html_document, typst_document, write_docx
    from declaration_pipeline.render import render_html, render_pdf

    samples: dict[str, list[float]] = {}

    def timed(name: str, work, *args):  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        value = work(*args)
        samples.setdefault(name, []).append(time.perf_counter() - start)
        return value

    build = project / "build-in-process"
    for _ in range(runs):
        redline, compared_with = timed("load, check, assemble both", tasks._redline_against, project, "HEAD")
        old = reading(redline.document, "old")
        new = reading(redline.document, "new")
        timed("diff (redline.py)", redline_documents, old, new, redline.author, redline.date)
        timed("DOCX writer + paragraph marks", write_docx, redline, build / "r.docx")
        timed("HTML writer", render_html, html_document(redline, compared_with), build / "r.html")
        timed("PDF writer (pandoc + Typst)", render_pdf, typst_document(redline, compared_with), build / "r.pdf")
    return {name: statistics.median(values) for name, values in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="redline-bench-") as directory:
        project = make_project(Path(directory))
        command = [sys.executable, "-m", "doit", "redline"]
        samples = [measure(command, project) for _ in range(args.runs)]
        cpu = statistics.median(cpu_seconds(command, project) for _ in range(args.runs))
        stages = stages_in_process(project, args.runs)
    seconds = statistics.median(s["seconds"] for s in samples)
    result = {
        "doit redline, repository size (median)": round(seconds, 3),
        "runs": [round(s["seconds"], 3) for s in samples],
        "CPU seconds, user + system (median)": round(cpu, 3),
        "peak_mb": round(max(s["peak_mb"] for s in samples)),
        "stages in process (median)": {name: round(value, 3) for name, value in stages.items()},
        "target_seconds": 2.0,
        "met": seconds <= 2.0,
        "machine": f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}",
        "load average at the end": os.getloadavg(),
    }
    (Path(__file__).parent / "redline.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
