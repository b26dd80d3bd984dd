"""The declaration's build graph. `doit` builds and verifies everything; `doit list` shows the tasks.

Tasks only declare files and dependencies; the work is done by
declaration_pipeline.tasks, imported lazily so that a no-op `doit` stays fast.
"""

from __future__ import annotations

import os
import sys
from importlib.metadata import version
from pathlib import Path

from doit.task import clean_targets
from doit.tools import config_changed

sys.path.insert(0, str(Path(__file__).parent / "src"))

from declaration_pipeline import idle_imports  # noqa: E402  (after the line above)
from declaration_pipeline.sources import PARTS  # noqa: E402

PACKAGE = Path("src/declaration_pipeline")
BUILD = Path("build")
# The sources in two parts (document, signatories), each loaded and checked by a task of its
# own: an edit to the list checks the list again, not the Markdown and the bibliography.
SOURCES = [name for files in PARTS.values() for name in files]
CHECKED = {part: str(BUILD / f"checked-{part}.pickle") for part in PARTS}
# pandoc's answers, kept between builds (declaration_pipeline/pandoc.py).
PANDOC_ANSWERS = str(BUILD / "pandoc-answers")
DOCUMENT = str(BUILD / "declaration.json")
OUTPUTS = {fmt: str(BUILD / f"declaration.{fmt}") for fmt in ("html", "docx", "pdf")}
TYPST_MARKUP = str(BUILD / "declaration.typ")
MANIFEST = str(BUILD / "manifest.json")
DOCX_REFERENCE = str(BUILD / "reference.docx")
PREVIEW = str(BUILD / "preview")
TEMPLATE = {
    "html": [str(PACKAGE / "templates/declaration.html")],
    "docx": [],
    "pdf": [str(PACKAGE / "templates/declaration.typ")],
}
# The fonts (20 MB) count by size and modification time, not content: as file_dep doit
# would hash them after each task that reads them, 0.05 s on the way to the next task.
# A font that git or an editor replaces gets a new time; one copied over another of the
# same size with its old time kept (cp -p) would not be noticed: `doit forget --all` then.
FONTS = {str(f): [f.stat().st_size, f.stat().st_mtime_ns] for f in sorted((PACKAGE / "fonts").glob("*.ttf"))}
# The pipeline's code, all of it, as doit's own dodo.py globs its package: a
# change to any module reruns every task. Following imports instead spared the
# unaffected tasks (a change to verify.py: 2.9-5.1 s against 7.2-8.1 s, on the
# shared 2-core machine under load), but only developers change code, and an
# absolute or multi-line import would have left outputs silently stale.
CODE = sorted(str(path) for path in PACKAGE.rglob("*.py"))


# Output bytes depend on these versions: a new pandoc or typst rebuilds everything.
TOOL_VERSIONS = {name: version(name) for name in ("pypandoc-binary", "typst", "pybtex", "latexcodec", "pyuca")}
TOOLS_AND_FONTS = {**TOOL_VERSIONS, "fonts": FONTS}

RUN_UNTIL_STOPPED = {"serve", "watch"}
DOIT_CONFIG = {
    # Previews are for reviewers (CI uploads them): `doit preview` makes them.
    "default_tasks": ["sources", "check", "assemble", "pdf", "html", "docx", "verify", "manifest"],
    "backend": "json",
    "dep_file": ".doit.json",
    "verbosity": 2,
    # The three writers and three verifications are independent: run them side by side.
    # serve and watch run until Ctrl-C: in doit's own process, so that Ctrl-C stops them
    # cleanly instead of interrupting doit while it waits for a worker.
    "num_process": 0 if RUN_UNTIL_STOPPED & set(sys.argv[1:]) else min(4, os.cpu_count() or 1),
}


# Each worker imports the pipeline while it waits for a task (see idle_imports.py).
idle_imports.in_every_forked_worker()


def run_stage(stage: str, *args, **kwargs):
    """Call declaration_pipeline.tasks.<stage>: the pipeline is imported by the first task that needs it
    (or by an idle worker, before), never by dodo.py, so that a no-op `doit` stays fast.

    A plain module-level function, so that `doit -n 2` can hand tasks to worker processes.
    """
    with idle_imports.task_running():
        from declaration_pipeline import tasks

        return getattr(tasks, stage)(*args, **kwargs)


# For tasks that take the build lock themselves, or write nothing here: doit runs them
# without holding the folder (see declaration_pipeline/doit_commands.py).
UNLOCKED = {"build_lock": False}


def _action(name: str, args: list, kwargs: dict | None = None):
    return (run_stage, [name, *args], kwargs or {})


class targets_as_left:
    """Up to date only while the task's targets are as its last success left them.

    doit saves its state when a run ends: a build killed after a task rewrote its
    target (checked-signatories.pickle from a new list, say) leaves the state of the
    run before. Had the source then been put back, doit would find it unchanged,
    keep the rewritten target and build the outputs from it. This check reruns
    such a task instead (doit's own config_changed keeps its value the same way).
    """

    def configure_task(self, task) -> None:
        task.value_savers.append(lambda: {"targets-left": _as_left(task.targets)})

    def __call__(self, task, values) -> bool:
        return values.get("targets-left") == _as_left(task.targets)


def _as_left(targets: list[str]) -> dict[str, list[int] | None]:
    found: dict[str, list[int] | None] = {}
    for target in targets:
        try:
            status = os.stat(target)
        except OSError:
            found[target] = None
        else:
            found[target] = [status.st_size, status.st_mtime_ns]
    return found


def task_sources():
    """Load and check each part of the sources, keeping what was found for `check` to print."""
    for part, files in PARTS.items():
        answers = {"pandoc_answers": PANDOC_ANSWERS} if part == "document" else {}
        yield {
            "name": part,
            "doc": f"Load and check {' and '.join(files)}",
            "actions": [_action("check_part", [part, ".", CHECKED[part]], answers)],
            "file_dep": list(files) + CODE,
            "targets": [CHECKED[part]],
            "clean": [clean_targets] + ([(_remove_tree, [PANDOC_ANSWERS])] if answers else []),
            # The printability check asks Typst with the fonts.
            "uptodate": [config_changed(TOOLS_AND_FONTS), targets_as_left()],
        }


def task_check():
    """Check the three sources and print every problem as path:line:col (--strict: warnings fail)."""
    return {
        "actions": [_action("check", [list(CHECKED.values())])],
        "file_dep": list(CHECKED.values()) + CODE,
        "params": [
            {
                "name": "strict",
                "long": "strict",
                "type": bool,
                "default": False,
                "help": "fail on warnings too (or set DECLARATION_STRICT=1)",
            }
        ],
        # Warnings are shown again on every run, and --strict can then fail on them.
        "uptodate": [_no_warnings_last_time],
    }


def _no_warnings_last_time(task, values) -> bool:
    return values.get("warnings", 0) == 0


def task_assemble():
    """Assemble one pandoc document (citations resolved, signatories and annex added)."""
    return {
        "actions": [_action("assemble", [CHECKED["document"], CHECKED["signatories"], DOCUMENT])],
        "file_dep": list(CHECKED.values()) + CODE,
        "task_dep": ["check"],  # which fails on an error in the sources
        "targets": [DOCUMENT],
        "uptodate": [config_changed(TOOL_VERSIONS), targets_as_left()],
        "clean": True,
    }


def _render_task(fmt: str, doc: str):
    extra_targets = [TYPST_MARKUP] if fmt == "pdf" else []
    reads = {"docx_reference": DOCX_REFERENCE} if fmt == "docx" else {}
    return {
        "doc": doc,
        "actions": [
            _action(
                "render", [fmt, DOCUMENT, OUTPUTS[fmt], *extra_targets], {"pandoc_answers": PANDOC_ANSWERS, **reads}
            )
        ],
        "file_dep": [DOCUMENT] + TEMPLATE[fmt] + list(reads.values()) + CODE,
        "targets": [OUTPUTS[fmt], *extra_targets],
        "uptodate": [config_changed(TOOLS_AND_FONTS if fmt == "pdf" else TOOL_VERSIONS), targets_as_left()],
        "clean": True,
        # The longest of the three (and of the verifications): a worker takes it first.
        "meta": {"long": fmt == "pdf"},
    }


def task_html():
    """Render build/declaration.html: one self-contained web page."""
    return _render_task("html", task_html.__doc__)


def task_docx():
    """Render build/declaration.docx, with Word footnotes, for partners."""
    return _render_task("docx", task_docx.__doc__)


def task_docx_reference():
    """Write build/reference.docx, pandoc's reference document styled like the print, for the DOCX."""
    # It needs no source: a clean build writes it while the sources are checked.
    return {
        "actions": [_action("docx_reference", [DOCX_REFERENCE])],
        "file_dep": CODE,
        "targets": [DOCX_REFERENCE],
        "uptodate": [config_changed(TOOL_VERSIONS), targets_as_left()],
        "clean": True,
    }


def task_pdf():
    """Render build/declaration.pdf, the print edition (pandoc -> Typst, PDF/A-2b + PDF/UA-1), and its .typ."""
    return _render_task("pdf", task_pdf.__doc__)


def task_verify():
    """Read each output back and compare it with the sources."""
    for fmt, output in OUTPUTS.items():
        yield {
            "name": fmt,
            "doc": f"Verify {output} against the sources",
            "actions": [_action("verify", [fmt, ".", CHECKED["signatories"], DOCUMENT, output])],
            "file_dep": SOURCES + [CHECKED["signatories"], DOCUMENT, output] + CODE,
            "uptodate": [config_changed(TOOL_VERSIONS)],
            "meta": {"long": fmt == "pdf"},
        }


def task_preview():
    """Write build/preview/: a PNG of every PDF page and screenshots of the web page."""
    return {
        "actions": [_action("preview", [DOCUMENT, TYPST_MARKUP, OUTPUTS["html"], PREVIEW])],
        "file_dep": [DOCUMENT, TYPST_MARKUP, OUTPUTS["html"]] + CODE,
        "targets": [PREVIEW],
        "uptodate": [config_changed(TOOLS_AND_FONTS)],
        "clean": [(_remove_tree, [PREVIEW])],
    }


def _remove_tree(path: str) -> None:
    import shutil

    shutil.rmtree(path, ignore_errors=True)


def task_manifest():
    """Write build/manifest.json: SHA-256 of every source and output, tool versions, SOURCE_DATE_EPOCH."""
    return {
        "actions": [_action("manifest", [".", DOCUMENT, str(BUILD), MANIFEST], {"pandoc_answers": PANDOC_ANSWERS})],
        "file_dep": SOURCES + [DOCUMENT, *OUTPUTS.values()] + CODE,
        # The verifications themselves, not their group: one hand-over less before the last task.
        "task_dep": [f"verify:{fmt}" for fmt in OUTPUTS],
        "targets": [MANIFEST],
        "uptodate": [config_changed(TOOL_VERSIONS), targets_as_left()],
        "clean": True,
    }


def task_reproduce():
    """Rebuild from the current sources in a temporary directory and compare with a manifest (--manifest)."""
    return {
        "actions": [(run_stage, ["reproduce", "."], {})],
        "meta": UNLOCKED,
        "params": [
            {
                "name": "manifest_path",
                "long": "manifest",
                "type": str,
                "default": MANIFEST,
                "help": "the manifest to compare with (default: build/manifest.json)",
            }
        ],
        "uptodate": [False],
        "verbosity": 2,
    }


def task_sigdiff():
    """List signatories added, removed, renamed or withdrawn since a git ref (--ref, default origin/main, else HEAD)."""
    return {
        "actions": [(run_stage, ["sigdiff", "."], {})],
        "meta": UNLOCKED,
        "params": [
            {"name": "ref", "long": "ref", "type": str, "default": "origin/main", "help": "git ref to compare with"},
            {
                "name": "output_format",
                "long": "format",
                "type": str,
                "default": "text",
                "choices": [("text", "for a terminal"), ("markdown", "for a job summary")],
                "help": "text or markdown",
            },
        ],
        "uptodate": [False],
        "verbosity": 2,
    }


def task_redline():
    """Mark what changed since a git ref (--ref) in build/redline.docx (tracked changes), .html and .pdf."""
    return {
        "actions": [(run_stage, ["redline", ".", str(BUILD)], {})],
        "params": [
            {
                "name": "ref",
                "long": "ref",
                "type": str,
                "default": "",
                "help": "git revision to compare with (default: origin/$GITHUB_BASE_REF in CI, else HEAD)",
            },
            {
                "name": "author",
                "long": "author",
                "type": str,
                "default": "",
                "help": "tracked changes author (default: $DECLARATION_REDLINE_AUTHOR, else the declaration's author)",
            },
        ],
        "targets": [str(BUILD / f"redline.{fmt}") for fmt in ("docx", "html", "pdf")],
        "uptodate": [False],
        "clean": True,
        "verbosity": 2,
    }


def task_intake():
    """Merge a sign-up form's CSV export into signatories.yaml (--csv FILE; --column FIELD:HEADER; --accept ROW)."""
    return {
        "actions": [(run_stage, ["intake", "."], {})],
        "params": [
            {"name": "csv_file", "long": "csv", "type": str, "default": "", "help": "the form's CSV export"},
            {
                "name": "columns",
                "long": "column",
                "type": list,
                "default": [],
                "help": "FIELD:HEADER (doit reads = itself), for a form whose headers are not recognised "
                "(name, organization_name, type, country, affiliation, consent); repeatable",
            },
            {
                "name": "accept",
                "long": "accept",
                "type": list,
                "default": [],
                "help": "add the near-duplicate at this CSV line after all; repeatable",
            },
        ],
        "uptodate": [False],
        "verbosity": 2,
    }


def task_summary():
    """Write build/summary.md for CI: check counts, page count and the signatory diff (--ref)."""
    return {
        "actions": [(run_stage, ["job_summary", ".", OUTPUTS["pdf"]], {})],
        "params": [
            {"name": "ref", "long": "ref", "type": str, "default": "origin/main", "help": "git ref to compare with"},
            {
                "name": "output",
                "long": "output",
                "type": str,
                "default": str(BUILD / "summary.md"),
                "help": "where to write the Markdown",
            },
        ],
        "uptodate": [False],
    }


def task_watch():
    """Rebuild on every save of a source and print the diagnostics; Ctrl-C stops."""
    return {
        "actions": [(run_stage, ["watch", "."], {})],
        "meta": UNLOCKED,
        "uptodate": [False],
        "verbosity": 2,
    }


def task_serve():
    """Serve a live preview on 127.0.0.1 (--port), rebuilt in this process on every save; Ctrl-C stops."""
    return {
        "actions": [(run_stage, ["serve", "."], {})],
        "meta": UNLOCKED,
        "params": [
            {
                "name": "port",
                "long": "port",
                "type": int,
                "default": 8000,
                "help": "the port on 127.0.0.1 (0: any free one)",
            },
            {"name": "strict", "long": "strict", "type": bool, "default": False, "help": "warnings stop a rebuild too"},
        ],
        "uptodate": [False],
        "verbosity": 2,
    }
