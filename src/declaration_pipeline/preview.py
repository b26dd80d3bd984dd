"""Page previews for reviewers: a PNG of every PDF page, and screenshots of the web page.

PDF pages come from Typst's own PNG export of the same markup as the PDF. The
HTML screenshots need Chromium (Debian's `chromium` package) and Playwright;
without them the screenshots are skipped with a notice, since a preview must
never stop an editor's build.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from .assembled_document import document_epoch
from .render import document_inputs
from .typst import compile_typst

PREVIEW_PPI = 80
HTML_VIEWPORTS = {"html.png": (1200, 900), "html-phone.png": (375, 800)}
# A screenshot shows the top of the page: the whole of a page with 100,000 names
# would take minutes to capture and nobody would scroll through it.
MAX_SCREENSHOT_HEIGHT = 8000


def find_chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    return None


def write_previews(document: dict, markup_path: Path, html_path: Path, output_dir: Path) -> list[str]:
    """Write all previews into `output_dir`, replacing the old set only once the new one is complete.

    Returns notices for the user (for example, a skipped screenshot).
    """
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".preview.", dir=output_dir.parent))
    staging.chmod(0o755)
    try:
        pages = compile_typst(
            markup_path.read_text(encoding="utf-8"),
            "png",
            "rendering page previews",
            timestamp=document_epoch(document),
            inputs=document_inputs(document),
            ppi=PREVIEW_PPI,
        )
        width = max(2, len(str(len(pages))))
        for number, png in enumerate(pages, 1):
            (staging / f"page-{number:0{width}d}.png").write_bytes(png)
        notices = _screenshot_html(html_path, staging)
        _swap_in(staging, output_dir)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return notices


def _screenshot_html(html_path: Path, directory: Path) -> list[str]:
    chromium = find_chromium()
    if chromium is None:
        return ["preview: no Chromium found, HTML screenshots skipped (apt-get install chromium)"]
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return ["preview: Playwright is not installed, HTML screenshots skipped (pip install playwright)"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            for name, (width, height) in HTML_VIEWPORTS.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                page.goto(html_path.resolve().as_uri())
                height = min(page.evaluate("document.documentElement.scrollHeight"), MAX_SCREENSHOT_HEIGHT)
                page.screenshot(
                    path=str(directory / name),
                    full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": height},
                )
                page.close()
        finally:
            browser.close()
    return []


def _swap_in(staging: Path, output_dir: Path) -> None:
    old = None
    if output_dir.exists():
        old = Path(tempfile.mkdtemp(prefix=".preview-old.", dir=output_dir.parent))
        os.replace(output_dir, old / "preview")
    os.replace(staging, output_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
