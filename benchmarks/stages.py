"""Each stage of the build on its own, at one scale: wall time, CPU time and peak memory.

    python benchmarks/stages.py --scale 10000 --runs 3
    python benchmarks/stages.py --scale 100000 --runs 1 --profile /tmp/profiles

Builds a synthetic project (benchmarks/synthetic.py), then times every task of
the default `doit` alone, in order, with its dependencies already built (`doit
forget` before each run reruns the task and nothing else). CPU time (user +
system of the task's processes) is steadier than wall time on a shared
machine; the load average is printed beside the figures. With --profile, each
task also runs once under pyinstrument (in one process: `doit -n 0`) and the
profile is written as text to that directory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import DOIT, clean, environment, make_project  # noqa: E402

STAGES = [
    "sources:document",
    "sources:signatories",
    "check",
    "assemble",
    "html",
    "docx_reference",
    "docx",
    "pdf",
    "verify:html",
    "verify:docx",
    "verify:pdf",
    "manifest",
]

# Like run.MEASURE, with the CPU time of the child processes as well.
MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
completed = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"seconds": time.perf_counter() - start, "cpu": usage.ru_utime + usage.ru_stime,
                  "rc": completed.returncode, "peak_mb": usage.ru_maxrss / 1024,
                  "stderr": completed.stderr.decode("utf-8", "replace")[-2000:]}))
"""


def measure(command: list[str], cwd: Path) -> dict:
    # Each task in processes of its own (no build server), Python as it comes (run.environment).
    output = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], cwd=cwd, capture_output=True, text=True, env=environment()
    )
    result = json.loads(output.stdout)
    if result["rc"] != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{result['stderr']}")
    return result


def forget(project: Path, task: str) -> None:
    subprocess.run([*DOIT, "forget", task], cwd=project, capture_output=True, check=True, env=environment())


def time_stages(project: Path, runs: int, profile_dir: Path | None) -> dict[str, dict]:
    clean(project)
    measure(DOIT, project)  # everything built once, so each stage finds its inputs
    results = {}
    for stage in STAGES:
        samples = []
        for _ in range(runs):
            forget(project, stage)
            samples.append(measure([*DOIT, "-n", "0", stage], project))
        results[stage] = {
            "seconds": statistics.median(s["seconds"] for s in samples),
            "cpu": statistics.median(s["cpu"] for s in samples),
            "peak_mb": max(s["peak_mb"] for s in samples),
        }
        print(
            f"  {stage:12} {results[stage]['seconds']:7.2f} s wall {results[stage]['cpu']:7.2f} s CPU "
            f"{results[stage]['peak_mb']:6.0f} MB   (load {os.getloadavg()[0]:.2f})",
            file=sys.stderr,
            flush=True,
        )
        if profile_dir is not None:
            forget(project, stage)
            output = profile_dir / f"{stage.replace(':', '-')}.txt"
            subprocess.run(
                [sys.executable, "-m", "pyinstrument", "-o", str(output), "-m", "doit", "-n", "0", stage],
                cwd=project,
                capture_output=True,
                check=True,
                env=environment(),
            )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--profile", help="write a pyinstrument profile of each stage to this directory")
    parser.add_argument("--json", help="write the figures to this file")
    arguments = parser.parse_args()
    profile_dir = Path(arguments.profile) if arguments.profile else None
    if profile_dir:
        profile_dir.mkdir(parents=True, exist_ok=True)
    print(f"scale {arguments.scale}, load {os.getloadavg()}", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="declaration-stages-") as directory:
        project = make_project(arguments.scale, Path(directory))
        results = time_stages(project, arguments.runs, profile_dir)
    total = sum(r["seconds"] for r in results.values())
    print(f"  {'sum':12} {total:7.2f} s wall", file=sys.stderr)
    if arguments.json:
        Path(arguments.json).write_text(json.dumps({"scale": arguments.scale, "stages": results}, indent=2) + "\n")


if __name__ == "__main__":
    main()
