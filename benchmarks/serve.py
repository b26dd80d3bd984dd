"""Save -> updated page: `doit serve` in Debian's Chromium, against `doit watch` writing the HTML.

    python benchmarks/serve.py               # 11 saves with serve, 5 with watch
    python benchmarks/serve.py --runs 21 --watch-runs 0

On a copy of the repository, each run changes one word of declaration.md and
measures, on the wall clock:
- serve, web: from the write to the moment the page in Chromium shows the new
  word (a MutationObserver in the page notes the time; no reload happens);
- serve, print: from the write to the moment the print page has reloaded the
  PDF viewer with the new build;
- watch: from the write to the moment `doit watch` has rewritten
  build/declaration.html (the editor would still have to reload the page).
Each save waits for the previous one's PDF and DOCX. Figures are medians; the
machine's load average is recorded beside them, since other work on a shared
machine slows every figure. So is the CPU time one save costs (this process
and its pandoc runs, serve's own builder called in process), which other work
does not change much: on an idle core, the web edition cannot come sooner.
Writes benchmarks/serve-results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import ROOT, machine, make_project  # noqa: E402

SENTENCE = "The threat of organized crime"
TIMEOUT_SECONDS = 120
TARGET_SECONDS = 0.5
RECORD_ARRIVAL = """(marker) => {
    window.arrivals = window.arrivals || {};
    const seen = () => document.querySelector('main')?.textContent.includes(marker);
    if (seen()) { window.arrivals[marker] = Date.now(); return; }
    const observer = new MutationObserver(() => {
        if (seen()) { window.arrivals[marker] = Date.now(); observer.disconnect(); }
    });
    observer.observe(document.body, { childList: true, subtree: true, characterData: true });
}"""


def save_marker(project: Path, marker: str) -> float:
    """Put `marker` into the first paragraph's sentence, replacing the last one; return the write's time."""
    source = project / "declaration.md"
    text = re.sub(
        r"The (?:BENCH\d+ )?threat of organized crime",
        f"The {marker} threat of organized crime",
        source.read_text(encoding="utf-8"),
        count=1,
    )
    started = time.time()
    source.write_text(text, encoding="utf-8")
    return started


def wait_until(condition, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + TIMEOUT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        time.sleep(0.01)


def start(project: Path, task: str, log: Path, *args: str) -> subprocess.Popen:
    with log.open("w") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "doit", task, *args], cwd=project, stdout=output, stderr=subprocess.STDOUT
        )


def stop(process: subprocess.Popen) -> None:
    process.send_signal(2)  # Ctrl-C
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def bench_serve(project: Path, runs: int) -> dict:
    from playwright.sync_api import sync_playwright

    from declaration_pipeline.preview import find_chromium

    log = project.parent / "serve.log"
    server = start(project, "serve", log, "--port", "0")
    web, printed = [], []
    try:
        wait_until(lambda: "PDF and DOCX updated" in log.read_text(), "the first build")
        url = re.search(r"http://127\.0\.0\.1:\d+", log.read_text()).group(0)  # type: ignore[union-attr]
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=find_chromium())
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url + "/")
            print_page = browser.new_page(viewport={"width": 1280, "height": 900})
            print_page.goto(url + "/print")
            print_page.evaluate(
                """() => new MutationObserver(() => { window.pdfArrival = Date.now(); })
                    .observe(document.documentElement, { attributeFilter: ['data-serve-pdf-version'] })"""
            )
            for run in range(runs):
                marker = f"BENCH{run:03d}"
                page.evaluate(RECORD_ARRIVAL, marker)
                pdf_version = print_page.evaluate("document.documentElement.dataset.servePdfVersion")
                saved = save_marker(project, marker)
                page.wait_for_function(f"window.arrivals['{marker}']", timeout=TIMEOUT_SECONDS * 1000)
                web.append(page.evaluate(f"window.arrivals['{marker}']") / 1000 - saved)
                print_page.wait_for_function(
                    f"document.documentElement.dataset.servePdfVersion !== '{pdf_version}'",
                    timeout=TIMEOUT_SECONDS * 1000,
                )
                printed.append(print_page.evaluate("window.pdfArrival") / 1000 - saved)
                print(f"serve run {run + 1}: web {web[-1]:.3f} s, print {printed[-1]:.3f} s", file=sys.stderr)
                time.sleep(0.3)
            browser.close()
    finally:
        stop(server)
    return {"web": summarize(web), "print": summarize(printed)}


def bench_watch(project: Path, runs: int) -> dict:
    log = project.parent / "watch.log"
    html = project / "build" / "declaration.html"
    watcher = start(project, "watch", log)
    times = []
    try:
        wait_until(lambda: "[watch]" in log.read_text(), "the first build")
        for run in range(runs):
            marker = f"BENCH{run + 500:03d}"
            done = log.read_text().count("[watch]")
            saved = save_marker(project, marker)
            wait_until(lambda: html.exists() and marker in html.read_text(encoding="utf-8"), "the HTML")  # noqa: B023
            times.append(time.time() - saved)
            wait_until(lambda: log.read_text().count("[watch]") > done, "the end of the doit run")  # noqa: B023
            print(f"watch run {run + 1}: html on disk {times[-1]:.3f} s", file=sys.stderr)
            time.sleep(0.3)
    finally:
        stop(watcher)
    return {"html_on_disk": summarize(times)}


def cpu_per_save(project: Path, runs: int) -> dict:
    """CPU seconds of one save's web edition and print editions, with serve's own builder."""
    import resource

    from declaration_pipeline.live_build import LiveBuild, PreviewState

    def cpu() -> float:
        own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime

    builder = LiveBuild(project, PreviewState(), announce=lambda line: None)
    web, printed = [], []
    try:
        for run in range(runs + 1):  # the first build warms the imports
            save_marker(project, f"BENCH{run + 900:03d}")
            started = cpu()
            builder.rebuild()
            web.append(cpu() - started)
            started = cpu()
            builder.wait_for_print_editions()
            printed.append(cpu() - started)
    finally:
        builder.close()
    return {"web": summarize(web[1:]), "print": summarize(printed[1:])}


def project(directory: Path) -> Path:
    """The repository's sources, with pyproject.toml, which installs the build lock into doit's commands."""
    copy = make_project(0, directory)
    shutil.copy2(ROOT / "pyproject.toml", copy / "pyproject.toml")
    return copy


def summarize(seconds: list[float]) -> dict:
    return {
        "median": round(statistics.median(seconds), 3),
        "min": round(min(seconds), 3),
        "max": round(max(seconds), 3),
        "runs": [round(s, 3) for s in seconds],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=11, help="saves measured with doit serve")
    parser.add_argument("--watch-runs", type=int, default=5, help="saves measured with doit watch (0: none)")
    parser.add_argument("--output", type=Path, default=ROOT / "benchmarks" / "serve-results.json")
    options = parser.parse_args()
    report: dict = {"machine": machine(), "load_average_before": os.getloadavg()}
    with tempfile.TemporaryDirectory() as directory:
        report["serve"] = bench_serve(project(Path(directory) / "serve"), options.runs)
        report["cpu_per_save"] = cpu_per_save(project(Path(directory) / "cpu"), options.runs)
        if options.watch_runs:
            report["watch"] = bench_watch(project(Path(directory) / "watch"), options.watch_runs)
    report["load_average_after"] = os.getloadavg()
    options.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    serve = report["serve"]
    print(
        f"doit serve, save -> new text in the page (Chromium): median {serve['web']['median']:.3f} s "
        f"(min {serve['web']['min']:.3f}, max {serve['web']['max']:.3f}, {options.runs} saves); "
        f"target {TARGET_SECONDS} s: {'met' if serve['web']['median'] <= TARGET_SECONDS else 'missed'}"
    )
    print(f"doit serve, save -> PDF reloaded on the print page: median {serve['print']['median']:.3f} s")
    cpu = report["cpu_per_save"]
    print(
        f"CPU time of one save: web edition {cpu['web']['median']:.3f} s, PDF and DOCX {cpu['print']['median']:.3f} s"
    )
    if "watch" in report:
        print(
            "doit watch, save -> build/declaration.html rewritten: "
            f"median {report['watch']['html_on_disk']['median']:.3f} s"
        )
    print(
        f"load average before {report['load_average_before'][0]:.2f}, "
        f"after {report['load_average_after'][0]:.2f} (2 cores)"
    )


if __name__ == "__main__":
    main()
