"""Benchmarks: build times, memory and the pandoc + LaTeX baseline, at several scales.

    python benchmarks/run.py                 # all scales, 5 runs each
    python benchmarks/run.py --scales 0,1000 --runs 5

Scale 0 is the repository's own sources; other scales replace signatories.yaml
with that many synthetic, realistic names (benchmarks/synthetic.py). Each
figure is the median of --runs runs; peak memory is the largest resident set
of any process in the run. Prints a Markdown table and writes JSON
(benchmarks/results.json). It installs nothing: a baseline tool that is not
installed is reported as "baseline skipped", never estimated.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
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

from synthetic import signatories_yaml  # noqa: E402

# Runs a command and reports its wall time, the CPU time and peak RSS of its process tree, and the load average:
# on a shared machine CPU time moves less with the load than wall time does.
MEASURE = """
import json, os, resource, subprocess, sys, time
start = time.perf_counter()
completed = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
seconds = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": seconds, "cpu": usage.ru_utime + usage.ru_stime, "rc": completed.returncode,
                  "peak_mb": usage.ru_maxrss / 1024, "load": os.getloadavg()[0],
                  "stderr": completed.stderr.decode("utf-8", "replace")[-2000:]}))
"""


def environment(server: bool = False) -> dict[str, str]:
    """The environment of every measured command; `server`: doit may build in the project's build server.

    Python as it comes: it compiles a module once and keeps the bytecode in __pycache__. This
    machine's environment turns that off (PYTHONDONTWRITEBYTECODE), so that each Python process
    would compile the pipeline's modules again; no user's Python does unless told to.
    """
    env = {**os.environ, "DECLARATION_BUILD_SERVER": "1" if server else "0"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def measure(command: list[str], cwd: Path, server: bool = False) -> dict:
    """One run of `command`; `server`: doit may build in the project's build server, else in its own processes."""
    output = subprocess.run(
        [sys.executable, "-c", MEASURE, *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
        env=environment(server),
    )
    result = json.loads(output.stdout)
    if result["rc"] != 0:
        raise RuntimeError(f"{' '.join(command)} failed in {cwd}:\n{result['stderr']}")
    if server:  # the build ran in the server's processes: these figures are the client's alone
        del result["cpu"], result["peak_mb"]
    return result


def median_of(runs: list[dict]) -> dict:
    median = {
        "seconds": statistics.median(r["seconds"] for r in runs),
        "load": statistics.median(r["load"] for r in runs),
        "runs": [round(r["seconds"], 4) for r in runs],
    }
    if "cpu" in runs[0]:
        median.update(cpu=statistics.median(r["cpu"] for r in runs), peak_mb=max(r["peak_mb"] for r in runs))
    return median


def make_project(scale: int, directory: Path) -> Path:
    project = directory / f"scale-{scale}"
    project.mkdir(parents=True)
    for name in ("dodo.py", "pyproject.toml", "declaration.md", "references.bib"):
        shutil.copy2(ROOT / name, project / name)
    shutil.copytree(ROOT / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    if scale:
        (project / "signatories.yaml").write_text(signatories_yaml(scale), encoding="utf-8")
    else:
        shutil.copy2(ROOT / "signatories.yaml", project / "signatories.yaml")
    # Compiled as an installation compiles them: no measured run pays for it.
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(project / "src"), str(project / "dodo.py")], check=True
    )
    return project


def clean(project: Path) -> None:
    shutil.rmtree(project / "build", ignore_errors=True)
    (project / ".doit.json").unlink(missing_ok=True)


DOIT = [sys.executable, "-m", "doit"]
# A figure under two seconds moves with this machine's load by a tenth or more of itself from run to
# run: once the first --runs runs put a row's median under QUICK, it takes QUICK_RUNS runs in all.
QUICK, QUICK_RUNS = 2.0, 9


def bench_scale(
    scale: int, runs: int, directory: Path, baselines: dict[str, list[str] | None], slow_above: int
) -> dict:
    project = make_project(scale, directory)
    results: dict[str, dict] = {}
    inputs = {"json": str(project / "build" / "declaration.json"), "markdown": str(baseline_markdown(project))}

    def baseline(name: str) -> list[str]:
        command = baselines[name]
        assert command is not None
        return [part.format(**inputs) for part in command] + ["-o", str(directory / f"baseline-{scale}.pdf")]

    def repeat(name: str, command: list[str], before=None, server: bool = False, beside: str | None = None) -> None:  # type: ignore[no-untyped-def]
        """`beside`: a baseline measured in alternation with this row, run for run, so that a ratio of the
        two compares the same minutes of this machine, whose speed moves by a tenth or more within minutes."""
        samples: list[dict] = []
        beside_samples: list[dict] = []
        while len(samples) < runs or (
            len(samples) < QUICK_RUNS and statistics.median(s["seconds"] for s in samples) < QUICK
        ):
            if before:
                before(len(samples))
            samples.append(measure(command, project, server))
            if beside:
                beside_samples.append(measure(baseline(beside), project))
        results[name] = median_of(samples)
        print(f"  {name}: {results[name]['seconds']:.3f} s", file=sys.stderr, flush=True)
        if beside:
            results[beside] = {**median_of(beside_samples), "measured_beside": name}
            print(f"  {beside}: {results[beside]['seconds']:.3f} s", file=sys.stderr, flush=True)

    repeat(
        "clean build, three outputs (doit html docx pdf)",
        [*DOIT, "html", "docx", "pdf"],
        before=lambda run: clean(project),
    )
    repeat("clean build (doit)", DOIT, before=lambda run: clean(project))
    repeat("no-op doit", DOIT)
    original = (project / "signatories.yaml").read_text(encoding="utf-8")

    def add_one(run: int) -> None:
        text = original.replace("individuals:", f'  - "Benchmark Added Organization {run}"\nindividuals:', 1)
        (project / "signatories.yaml").write_text(text, encoding="utf-8")

    repeat("one signatory added, doit", DOIT, before=add_one)
    (project / "signatories.yaml").write_text(original, encoding="utf-8")
    measure(DOIT, project)

    def forget(*tasks: str):  # type: ignore[no-untyped-def]
        # `doit -a` would rerun the task's dependencies too; forgetting reruns the tasks alone.
        return lambda run: subprocess.run(
            [*DOIT, "forget", *tasks], cwd=project, capture_output=True, check=True, env=environment()
        )

    # Both parts of the sources checked again (the group `sources`), and what they found printed.
    repeat("doit check", [*DOIT, "check"], before=forget("sources", "check"))

    # The same, each `doit` after the first in a project: in the build server (build_server.py).
    measure(DOIT, project, server=True)  # builds, then starts the server
    _wait_for_build_server(project)
    # The repository's target is a ratio of these two: measured run for run.
    paired = XELATEX if baselines.get(XELATEX) and scale <= slow_above else None
    repeat(
        "clean build, three outputs, build server",
        [*DOIT, "html", "docx", "pdf"],
        before=lambda run: clean(project),
        server=True,
        beside=paired,
    )
    measure(DOIT, project, server=True)
    repeat("one signatory added, doit, build server", DOIT, before=add_one, server=True)
    (project / "signatories.yaml").write_text(original, encoding="utf-8")
    measure(DOIT, project, server=True)
    repeat("doit check, build server", [*DOIT, "check"], before=forget("sources", "check"), server=True)
    _build_server(project, "stop")
    repeat("PDF alone (doit pdf)", [*DOIT, "pdf"], before=forget("pdf"))
    if scale <= slow_above:
        repeat("doit preview", [*DOIT, "preview"], before=forget("preview"))
    else:
        results["doit preview"] = {"not_run": True}
    results["check in process"] = check_in_process(project, runs)

    for name, command in baselines.items():
        if name in results:
            continue  # measured beside one of our rows
        if command is None:
            results[name] = {"skipped": True}
            print(f"  {name}: baseline skipped (not installed)", file=sys.stderr)
            continue
        if "weasyprint" in name and scale > slow_above:
            results[name] = {"not_run": True}
            continue
        repeat(name, baseline(name))
    pdf_pages = _pages(project / "build" / "declaration.pdf")
    return {"scale": scale, "pages": pdf_pages, "results": results}


def _build_server(project: Path, command: str) -> str:
    return subprocess.run(
        [sys.executable, "-m", "declaration_pipeline.build_server", command],
        cwd=project,
        capture_output=True,
        text=True,
        env=environment(server=True),  # the same as the measured doit's: the server it started is found
    ).stdout


def _wait_for_build_server(project: Path) -> None:
    deadline = time.monotonic() + 60
    while "running" not in _build_server(project, "status"):
        if time.monotonic() > deadline:
            raise RuntimeError(f"no build server started for {project}")
        time.sleep(0.2)


def check_in_process(project: Path, runs: int) -> dict:
    """check_sources alone, without doit or interpreter start-up, and the near-duplicate work."""
    code = (
        "import json, time; from pathlib import Path\n"
        "from declaration_pipeline.checks import check_sources\n"
        "from declaration_pipeline.checks.signatories import find_near_duplicate_signatories\n"
        "check_sources(Path('.'))\n"  # warm: imports and first pandoc start
        f"times = []\nfor _ in range({runs}):\n"
        "    start = time.perf_counter()\n"
        "    sources, d = check_sources(Path('.'))\n"
        "    times.append(time.perf_counter() - start)\n"
        "_, stats = find_near_duplicate_signatories(sources.signatories)\n"
        "print(json.dumps({'times': times, 'lookups': stats.lookups, 'diagnostics': len(d)}))\n"
    )
    output = subprocess.run(
        [sys.executable, "-c", code],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": str(project / "src")},
    )
    data = json.loads(output.stdout)
    return {
        "seconds": statistics.median(data["times"]),
        "runs": [round(t, 4) for t in data["times"]],
        "near_duplicate_lookups": data["lookups"],
        "diagnostics": data["diagnostics"],
    }


def _pages(pdf: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(pdf).pages)


XELATEX = "baseline: pandoc + citeproc + xelatex (PDF only)"


def baseline_commands() -> dict[str, list[str] | None]:
    """What a user would run instead. {markdown} and {json} stand for the inputs `bench_scale` prepares.

    The LaTeX baseline is the one issue 15 sets: pandoc with --citeproc and
    xelatex on the same Markdown, the signatories appended as bullet lists.
    """
    from declaration_pipeline.pandoc import pandoc_executable

    pandoc = pandoc_executable()  # the same pandoc as ours
    commands: dict[str, list[str] | None] = {}
    commands[XELATEX] = (
        [pandoc, "{markdown}", "--citeproc", "--bibliography", "references.bib", "--pdf-engine=xelatex"]
        if shutil.which("xelatex")
        else None
    )
    commands["baseline: pandoc + weasyprint (PDF only)"] = (
        [pandoc, "--from", "json", "{json}", "--to", "html5", "--pdf-engine=weasyprint"]
        if shutil.which("weasyprint")
        else None
    )
    return commands


_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!<>|~^$@&:;'\"%=/])")


def baseline_markdown(project: Path) -> Path:
    """declaration.md with the signatories appended as Markdown bullet lists, every character literal."""
    from declaration_pipeline.signatories import load_signatories

    signatories, _problems = load_signatories(project / "signatories.yaml", "signatories.yaml")
    lines = [(project / "declaration.md").read_text(encoding="utf-8"), "", "# Signatories", ""]
    for kind, title in (("organization", "Organizations"), ("individual", "Individuals")):
        lines += [f"## {title}", ""]
        lines += ["- " + _MARKDOWN_PUNCTUATION.sub(r"\\\1", s.display) for s in signatories if s.kind == kind]
        lines.append("")
    lines += ["# Annex: Relevant reading", "", "::: {#refs}", ":::", ""]
    path = project / "baseline.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def machine() -> dict:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    from declaration_pipeline.manifest import tool_versions

    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "python": platform.python_version(),
        "interpreter": interpreter(),
        "system": platform.platform(),
        "tools": tool_versions(),
        "date": time.strftime("%Y-%m-%d"),
    }


def interpreter() -> dict:
    """The Python every measured command starts, and how long it takes to start and do nothing."""
    configuration = Path(sys.prefix) / "pyvenv.cfg"
    system_site = "include-system-site-packages = true" in configuration.read_text() if configuration.exists() else None
    starts = []
    for _ in range(QUICK_RUNS):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True, env=environment())
        starts.append(time.perf_counter() - start)
    return {
        "executable": sys.executable,
        "virtual_environment": sys.prefix != sys.base_prefix,
        "system_site_packages": system_site,
        "start_seconds": statistics.median(starts),
    }


ROWS = [
    "clean build, three outputs (doit html docx pdf)",
    "clean build (doit)",
    "no-op doit",
    "one signatory added, doit",
    "doit check",
    "clean build, three outputs, build server",
    "one signatory added, doit, build server",
    "doit check, build server",
    "check in process",
    "PDF alone (doit pdf)",
    "doit preview",
]
RATIOS = [
    ("clean build (doit)", "our full doit"),
    ("clean build, three outputs (doit html docx pdf)", "our three outputs"),
    ("clean build, three outputs, build server", "our three outputs, build server"),
    ("PDF alone (doit pdf)", "our PDF alone"),
]


def table(report: dict) -> str:
    scales = report["scales"]
    header = "| | " + " | ".join(_scale_name(s["scale"], s["pages"]) for s in scales) + " |"
    lines = [header, "|---" * (len(scales) + 1) + "|"]
    names = ROWS + [name for name in scales[0]["results"] if name.startswith("baseline")]
    for name in names:
        cells = []
        for scale in scales:
            result = scale["results"].get(name, {})
            if result.get("skipped"):
                cells.append("baseline skipped")
            elif result.get("not_run"):
                cells.append("not run at this size")
            elif "seconds" in result:
                cpu = f" ({result['cpu']:.2f} s CPU)" if "cpu" in result else ""
                memory = f", {result['peak_mb']:.0f} MB" if "peak_mb" in result else ""
                beside = f" (beside: {result['measured_beside']})" if result.get("measured_beside") else ""
                cells.append(f"{result['seconds']:.2f} s{cpu}{memory}{beside}")
            else:
                cells.append("–")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    for name in [n for n in names if n.startswith("baseline")]:
        for row, label in RATIOS:
            cells = []
            for scale in scales:
                base = scale["results"].get(name, {})
                ours = scale["results"][row]
                cpu = f" (CPU {ours['cpu'] / base['cpu']:.2f})" if "cpu" in ours and "cpu" in base else ""
                cells.append(f"{ours['seconds'] / base['seconds']:.2f}{cpu}" if "seconds" in base else "–")
            baseline = name.removeprefix("baseline: ").removesuffix(" (PDF only)")
            lines.append(f"| ratio: {label} / {baseline} | " + " | ".join(cells) + " |")
    lines.append(
        "| near-duplicate lookups | "
        + " | ".join(f"{s['results']['check in process']['near_duplicate_lookups']:,}" for s in scales)
        + " |"
    )
    m = report["machine"]
    lines += [
        "",
        f"Machine: {m['cores']} cores, {m['cpu']}; Python {m['python']}; pandoc {m['tools']['pandoc']}, "
        f"typst {m['tools']['typst']}. {_interpreter_note(m)} Median of {report['runs']} runs "
        f"({QUICK_RUNS} for a figure under {QUICK:.0f} s); memory is the peak resident set "
        "of any one process; CPU is user + system time of all processes of a run (more than wall time "
        "when doit runs tasks side by side). The build server's rows give wall time alone: their work is done "
        "in the server's processes, the others' in processes of their own. Where a baseline's figure says "
        "it was measured beside one of ours, the two ran in alternation, run for run. Load average during the runs: "
        + ", ".join(f"{_median_load(s):.1f}" for s in scales)
        + ".",
    ]
    return "\n".join(lines)


def _interpreter_note(m: dict) -> str:
    python = m.get("interpreter")
    if not python:
        return ""
    where = (
        "a virtual environment of its own"
        if python["virtual_environment"] and not python["system_site_packages"]
        else "a virtual environment that sees the system's packages"
        if python["virtual_environment"]
        else "the system's Python"
    )
    return f"Python from {where}, started in {python['start_seconds'] * 1000:.0f} ms; bytecode cached as by default."


def _median_load(scale: dict) -> float:
    return statistics.median(r["load"] for r in scale["results"].values() if "load" in r)


def _scale_name(scale: int, pages: int) -> str:
    return f"repository (105 signatories, {pages} pages)" if scale == 0 else f"{scale:,} signatories ({pages} pages)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="0,1000,10000,100000")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", default=str(Path(__file__).parent / "results.json"))
    parser.add_argument(
        "--slow-above",
        type=int,
        default=10_000,
        help="above this many signatories, skip the previews and the WeasyPrint baseline",
    )
    arguments = parser.parse_args()
    if arguments.runs < 5:
        print("note: fewer than 5 runs per figure", file=sys.stderr)
    baselines = baseline_commands()
    report = {"machine": machine(), "runs": arguments.runs, "scales": []}
    with tempfile.TemporaryDirectory(prefix="declaration-bench-") as directory:
        for scale in (int(s) for s in arguments.scales.split(",")):
            print(f"scale {scale}:", file=sys.stderr, flush=True)
            report["scales"].append(
                bench_scale(scale, arguments.runs, Path(directory), baselines, arguments.slow_above)
            )
    Path(arguments.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(table(report))


if __name__ == "__main__":
    main()
