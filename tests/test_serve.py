"""`doit serve` as an editor uses it: a real server process, Debian's Chromium through Playwright, real saves.

Every wait has a generous limit and no test asserts a time: the speed from a
save to the page is measured by benchmarks/serve.py.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import copy_project, run_doit
from pypdf import PdfReader

from declaration_pipeline.checks import check_sources

WAIT_SECONDS = 90
GOOD_CITATION = "@roepstorff2020"
BAD_CITATION = "@nobody2020"


@dataclass
class Served:
    project: Path
    url: str
    log: Path
    process: subprocess.Popen

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def edit(self, old: str, new: str) -> None:
        source = self.project / "declaration.md"
        text = source.read_text(encoding="utf-8")
        assert old in text
        source.write_text(text.replace(old, new, 1), encoding="utf-8")


def wait_for(condition: Callable[[], object], what: str, seconds: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def start_serving(project: Path, log: Path, *args: str, temporary: Path | None = None) -> subprocess.Popen:
    with log.open("w") as output:
        # A session of its own: the tests send Ctrl-C's SIGINT to the group, as a terminal does.
        return subprocess.Popen(
            [sys.executable, "-m", "doit", "serve", *args],
            cwd=project,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            # The copy's own code, even where doit's plugins import the installed package first.
            env={**os.environ, "PYTHONPATH": str(project / "src"), **({"TMPDIR": str(temporary)} if temporary else {})},
        )


def stop_serving(process: subprocess.Popen) -> int:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    project = copy_project(tmp_path_factory.mktemp("serve") / "project")
    log = project.parent / "serve.log"
    process = start_serving(project, log, "--port", "0")
    try:
        wait_for(lambda: "PDF and DOCX updated" in log.read_text() or process.poll() is not None, "the first build")
        assert process.poll() is None, log.read_text()
        url = re.search(r"http://127\.0\.0\.1:\d+", log.read_text())
        assert url, log.read_text()
        yield Served(project, url.group(0), log, process)
    finally:
        stop_serving(process)


@pytest.fixture
def page(browser, served: Served):  # type: ignore[no-untyped-def]
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    page.errors = []
    page.on("pageerror", lambda exc: page.errors.append(str(exc)))
    yield page
    assert page.errors == []
    page.close()


def overlay_text(page) -> str:  # type: ignore[no-untyped-def]
    """What the error overlay says, '' while it is hidden."""
    return page.evaluate(
        """() => {
            const panel = document.getElementById('serve-overlay').shadowRoot.querySelector('.errors');
            return panel.hidden ? '' : panel.innerText;
        }"""
    )


def test_an_edit_changes_the_page_without_a_reload(page, served: Served) -> None:  # type: ignore[no-untyped-def]
    page.goto(served.url + "/")
    assert "The threat of organized crime" in page.inner_text("main")
    page.evaluate("window.notReloaded = true")
    page.mouse.wheel(0, 1500)
    page.wait_for_function("window.scrollY > 0")
    scrolled = page.evaluate("window.scrollY")

    served.edit("The threat of organized crime", "The LIVE threat of organized crime")

    page.wait_for_function(
        "document.querySelector('main').innerText.includes('The LIVE threat')", timeout=WAIT_SECONDS * 1000
    )
    assert page.evaluate("window.notReloaded") is True  # swapped in, not reloaded
    assert page.evaluate("window.scrollY") == scrolled  # the reader keeps their place
    assert overlay_text(page) == ""


def test_a_bad_edit_shows_the_diagnostics_over_the_last_good_text_and_a_fix_removes_them(  # type: ignore[no-untyped-def]
    page, served: Served, tmp_path: Path
) -> None:
    page.goto(served.url + "/")
    good_text = page.inner_text("main")

    served.edit(GOOD_CITATION, BAD_CITATION)
    page.wait_for_function(
        "!document.getElementById('serve-overlay').shadowRoot.querySelector('.errors').hidden",
        timeout=WAIT_SECONDS * 1000,
    )
    # The same line `doit check` prints for these sources: path:line:col, severity, message, code.
    _, diagnostics = check_sources(served.project)
    expected = [str(d) for d in diagnostics if d.severity == "error"]
    assert expected and all(line in overlay_text(page) for line in expected), overlay_text(page)
    assert 'declaration.md:25:38: error: unknown citation key "nobody2020"' in overlay_text(page)
    assert page.inner_text("main") == good_text  # the last good text stays under the overlay
    page.screenshot(path=str(tmp_path / "overlay.png"))  # a screenshot can be taken of it (see the README)

    served.edit(BAD_CITATION, GOOD_CITATION)
    page.wait_for_function(
        "document.getElementById('serve-overlay').shadowRoot.querySelector('.errors').hidden",
        timeout=WAIT_SECONDS * 1000,
    )
    assert overlay_text(page) == ""


PICTURES = "document.querySelectorAll('#serve-pages img')"


def test_a_save_with_only_warnings_is_shown_with_the_warnings_beside_it(page, served: Served) -> None:  # type: ignore[no-untyped-def]
    page.goto(served.url + "/")
    shown = int(page.evaluate("document.documentElement.dataset.serveHtmlVersion"))
    served.edit("lang: en\n", "lang: en\ncolour: blue\n")
    page.wait_for_function(
        "!document.getElementById('serve-overlay').shadowRoot.querySelector('.warnings').hidden",
        timeout=WAIT_SECONDS * 1000,
    )
    warnings = page.evaluate(
        "document.getElementById('serve-overlay').shadowRoot.querySelector('.warnings').textContent"
    )
    assert "Built, with 1 warning" in warnings
    assert "declaration.md:9:1: warning:" in warnings and "[frontmatter-unknown-key]" in warnings
    # A warning does not stop the page from changing.
    page.wait_for_function(
        f"Number(document.documentElement.dataset.serveHtmlVersion) > {shown}", timeout=WAIT_SECONDS * 1000
    )
    assert overlay_text(page) == ""
    served.edit("lang: en\ncolour: blue\n", "lang: en\n")
    page.wait_for_function(
        "document.getElementById('serve-overlay').shadowRoot.querySelector('.warnings').hidden",
        timeout=WAIT_SECONDS * 1000,
    )


def test_the_print_page_shows_the_pdfs_pages_and_the_reader_keeps_their_place(page, served: Served) -> None:  # type: ignore[no-untyped-def]
    page.goto(served.url + "/print")
    assert page.get_attribute("a[href='/declaration.docx']", "download") is not None
    assert page.query_selector("a[href='/declaration.pdf']") is not None

    def served_pdf() -> tuple[str, str, int]:
        pdf = page.request.get(served.url + "/declaration.pdf")
        assert pdf.headers["content-type"] == "application/pdf"
        pages = PdfReader(io.BytesIO(pdf.body())).pages
        return " ".join(" ".join(p.extract_text() for p in pages).split()), pdf.headers["etag"].strip('"'), len(pages)

    page.wait_for_function(f"{PICTURES}.length > 2", timeout=WAIT_SECONDS * 1000)
    assert page.evaluate(f"{PICTURES}.length") == served_pdf()[2]  # one picture a page
    page.evaluate(f"{PICTURES}[2].scrollIntoView()")
    page.wait_for_function(f"{PICTURES}[2].complete && {PICTURES}[2].naturalWidth > 0", timeout=WAIT_SECONDS * 1000)
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0

    served.edit("We cannot afford to work in silos", "We cannot afford to work in PRINTED silos")
    wait_for(lambda: "PRINTED" in served_pdf()[0], "the PDF with the edit, at the same URL")
    version = served_pdf()[1]
    page.wait_for_function(
        f"{PICTURES}[2].src.endsWith('build={version}') && {PICTURES}[2].complete && {PICTURES}[2].naturalWidth > 0",
        timeout=WAIT_SECONDS * 1000,
    )
    assert page.evaluate("window.scrollY") == scrolled  # the pictures were swapped in place
    picture = page.request.get(served.url + "/pages/1.png")
    assert picture.headers["content-type"] == "image/png" and picture.body().startswith(b"\x89PNG\r\n\x1a\n")
    docx = page.request.get(served.url + "/declaration.docx")
    assert docx.ok and docx.body().startswith(b"PK")
    assert "attachment" in docx.headers["content-disposition"]


def test_build_folder_gets_the_verified_set_with_its_manifest(served: Served) -> None:
    from declaration_pipeline.manifest import sha256

    served.edit("to exploit the vulnerable", "to exploit the BUILD vulnerable")
    build = served.project / "build"

    def written() -> bool:
        html = build / "declaration.html"
        if not html.exists() or "BUILD vulnerable" not in html.read_text(encoding="utf-8"):
            return False
        return json.loads((build / "manifest.json").read_text())["outputs"]["declaration.html"] == sha256(html)

    wait_for(written, "build/ and its manifest")
    recorded = json.loads((build / "manifest.json").read_text())
    for name, digest in recorded["outputs"].items():
        assert sha256(build / name) == digest
    assert sha256(served.project / "declaration.md") == recorded["sources"]["declaration.md"]


def test_serve_and_a_manual_doit_share_the_build_lock(page, served: Served) -> None:  # type: ignore[no-untyped-def]
    from declaration_pipeline.build_lock import build_lock

    page.goto(served.url + "/")
    html = served.project / "build" / "declaration.html"
    with build_lock(served.project):  # as a manual `doit` holds it while it builds
        served.edit("deplete our natural resources", "deplete our LOCKED natural resources")
        # The preview does not wait: it builds in its own folder and serves from memory.
        page.wait_for_function(
            "document.querySelector('main').innerText.includes('LOCKED')", timeout=WAIT_SECONDS * 1000
        )
        wait_for(lambda: "is building in this folder; waiting for it" in served.log.read_text(), "serve to wait")
        assert "LOCKED" not in html.read_text(encoding="utf-8")  # nothing written under another build's lock
    wait_for(lambda: "LOCKED" in html.read_text(encoding="utf-8"), "build/ written once the lock is free")

    manual = run_doit(served.project)  # a manual doit beside the running serve
    assert manual.returncode == 0, manual.stdout + manual.stderr
    assert "LOCKED" in html.read_text(encoding="utf-8")
    served.edit("deplete our LOCKED natural resources", "deplete our natural resources")
    page.wait_for_function("!document.querySelector('main').innerText.includes('LOCKED')", timeout=WAIT_SECONDS * 1000)


TRAVERSALS = [
    "/declaration.md",
    "/signatories.yaml",
    "/dodo.py",
    "/../declaration.md",
    "/%2e%2e/declaration.md",
    "/%2E%2E%2Fdeclaration.md",
    "/..%2fdeclaration.md",
    "/..%252fdeclaration.md",
    "/./declaration.md",
    "//etc/passwd",
    "/../../../../etc/passwd",
    "/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "/print/../declaration.md",
    "/declaration.pdf/../declaration.md",
    "/build/",
    "/build/declaration.html",
    "/src/declaration_pipeline/",
    "/_serve/",
    "/_serve/../declaration.md",
    "/templates/serve-live.js",
    "/declaration.html%00.md",
    "/pages/",
    "/pages/0.png",
    "/pages/9999.png",
    "/pages/1.png/../../declaration.md",
    "/pages/..%2f..%2fdeclaration.md",
    "/pages/1.PNG",
    "/%5c..%5cdeclaration.md",
]


def raw_status(served: Served, path: str) -> int:
    """The status for a path sent as written, without a client normalizing it first."""
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    try:
        connection.putrequest("GET", path, skip_host=True)
        connection.putheader("Host", f"127.0.0.1:{served.port}")
        connection.endheaders()
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_only_the_outputs_are_served_every_other_path_is_404(page, served: Served) -> None:  # type: ignore[no-untyped-def]
    for path in TRAVERSALS:
        assert raw_status(served, path) == 404, path
        response = page.goto(served.url + path)  # as the browser sends it (it resolves plain "..")
        assert response is not None and response.status == 404, path
        assert "pandoc" not in page.content() and "title:" not in page.content()
    for path in ("/", "/print", "/declaration.pdf", "/declaration.docx", "/_serve/live.js"):
        assert raw_status(served, path) == 200, path


def test_a_request_for_another_host_name_is_refused(served: Served) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", served.port, timeout=10)
    connection.request("GET", "/", headers={"Host": "attacker.example"})
    assert connection.getresponse().status == 403
    connection.close()


def test_it_listens_on_the_loopback_only(served: Served) -> None:
    # The kernel's own table of listening TCP sockets: the local address, as hex, for this port.
    listening = [
        fields[1].split(":")[0]
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]
        if (fields := line.split())[3] == "0A" and int(fields[1].split(":")[1], 16) == served.port
    ]
    assert listening == ["0100007F"]  # 127.0.0.1, and nothing on 0.0.0.0
    assert not any(
        int(line.split()[1].split(":")[1], 16) == served.port and line.split()[3] == "0A"
        for line in Path("/proc/net/tcp6").read_text().splitlines()[1:]
    )


def test_an_output_that_does_not_verify_never_reaches_the_page(browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    project = copy_project(tmp_path / "project")
    # A broken web template: the sources pass the check, the HTML loses its text and fails verify:html.
    template = project / "src" / "declaration_pipeline" / "templates" / "declaration.html"
    template.write_text(template.read_text(encoding="utf-8").replace("$body$", ""), encoding="utf-8")
    log = tmp_path / "serve.log"
    process = start_serving(project, log, "--port", "0")
    try:
        wait_for(lambda: "did not verify" in log.read_text() or process.poll() is not None, "the failed build")
        url = re.search(r"http://127\.0\.0\.1:\d+", log.read_text()).group(0)  # type: ignore[union-attr]
        page = browser.new_page()
        page.goto(url + "/")
        page.wait_for_function(
            "!document.getElementById('serve-overlay').shadowRoot.querySelector('.errors').hidden",
            timeout=WAIT_SECONDS * 1000,
        )
        assert "No good build yet" in page.inner_text("main")
        assert re.search(r"build/declaration\.html:\d+:\d+: error: .* \[verify-", overlay_text(page)), overlay_text(
            page
        )
        assert page.request.get(url + "/declaration.pdf").status == 404  # the print editions never started
        assert not (project / "build" / "declaration.html").exists()
        page.close()
    finally:
        stop_serving(process)


def test_kill_stops_it_as_cleanly_as_ctrl_c(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    log = tmp_path / "serve.log"
    scratch = tmp_path / "tmp"  # where it keeps its private build folder
    scratch.mkdir()
    process = start_serving(project, log, "--port", "0", temporary=scratch)
    try:
        wait_for(lambda: "web edition updated" in log.read_text() or process.poll() is not None, "the first build")
        assert any(scratch.glob("declaration-serve-*"))
        process.terminate()
        assert process.wait(timeout=60) == 0, log.read_text()
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert log.read_text().rstrip().endswith("[serve] stopped")
    assert not any(scratch.glob("declaration-serve-*"))


def test_a_busy_port_gives_one_clear_line(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "doit", "serve", "--port", str(port)],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    output = result.stdout + result.stderr
    assert f"127.0.0.1:{port} is already in use: stop the program using it, or choose another port with --port N" in (
        output.splitlines()
    )
    assert "Traceback" not in output


def test_ctrl_c_stops_it_cleanly_even_with_a_page_open(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    log = tmp_path / "serve.log"
    process = start_serving(project, log, "--port", "0")
    try:
        wait_for(lambda: "web edition updated" in log.read_text() or process.poll() is not None, "the first build")
        port = int(re.search(r"http://127\.0\.0\.1:(\d+)", log.read_text()).group(1))  # type: ignore[union-attr]
        events = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        events.request("GET", "/_serve/events")
        assert events.getresponse().status == 200  # a page holds the event stream open
    finally:
        status = stop_serving(process)
    output = log.read_text()
    assert status == 0, output
    assert output.rstrip().endswith("[serve] stopped")
    assert "Traceback" not in output
