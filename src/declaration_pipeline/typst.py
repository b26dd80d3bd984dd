"""The one place that runs Typst, with the project's fonts and an empty root.

Typst may read files only below its root, and it sees no system fonts: the
same fonts are embedded on every machine, and a document can read nothing of
the build machine.
"""

from __future__ import annotations

import json
from importlib import resources

import typst

from .diagnostics import PipelineError

FONTS = resources.files(__package__) / "fonts"
# Typst may read files only below its root: this one holds nothing but a note.
TYPST_ROOT = resources.files(__package__) / "typst-root"
PDF_STANDARDS = ("a-2b", "ua-1")
# Text font first, then a fallback for each script a name may be written in
# (see fonts/README.md). The Typst template and the printability check both use it.
FONT_FAMILIES = (
    "Libertinus Serif",
    "Noto Naskh Arabic",
    "Noto Sans Hebrew",
    "Noto Sans Devanagari",
    "Noto Sans Bengali",
    "Noto Sans Tamil",
    "Noto Sans Thai",
    "Noto Sans Armenian",
    "Noto Sans Georgian",
    "Noto Sans Ethiopic",
    "Droid Sans Fallback",
    "NanumMyeongjo",
    "New Computer Modern",
    "Noto Sans Symbols2",
    "DejaVu Sans Mono",
    "Noto Color Emoji",
)


def compile_typst(  # type: ignore[no-untyped-def]
    markup: str,
    output_format: str,
    what: str,
    *,
    timestamp: int = 0,
    inputs: dict[str, object] | str | None = None,
    ppi: float | None = None,
    pdf_standards: tuple[str, ...] | None = PDF_STANDARDS,
):
    """Compile Typst markup: bytes for a PDF, a list of PNG bytes (one per page) for "png".

    `inputs` reach the template as sys.inputs' metadata, beside the font list: a
    dict, or a JSON object already written, so that a caller can let go of a
    large one's many small strings before Typst runs.
    """
    if output_format == "pdf":
        options: dict[str, object] = {"pdf_standards": list(pdf_standards or ())}
    else:
        options = {"ppi": ppi}
    # A root with nothing in it: the document can read no file of the build machine.
    # No system fonts: Typst's own and the project's fonts are the same everywhere.
    try:
        return typst.compile(
            markup.encode("utf-8"),
            root=str(TYPST_ROOT),
            format=output_format,
            font_paths=[str(FONTS)],
            ignore_system_fonts=True,
            timestamp=timestamp,
            sys_inputs=_sys_inputs(inputs),
            **options,
        )
    except typst.TypstError as exc:
        raise PipelineError(f"{what}: {exc}") from exc


def _sys_inputs(inputs: dict[str, object] | str | None) -> dict[str, str]:
    """What every compilation reads as sys.inputs: one JSON object, the font list beside `inputs` (a dict, or
    a JSON object already written)."""
    fonts = json.dumps({"fonts": list(FONT_FAMILIES)})
    given = (inputs if isinstance(inputs, str) else json.dumps(inputs or {})).strip()
    return {"metadata": fonts if given == "{}" else fonts[:-1] + "," + given[1:]}


def query_metadata(markup: str, label: str, what: str, inputs: dict[str, object]) -> object:
    """The value of the one `metadata` labelled `label` in `markup`, compiled like the PDF: the project's
    fonts (sys.inputs' metadata `fonts`, beside `inputs`), an empty root."""
    try:
        found = typst.query(
            markup.encode("utf-8"),
            label,
            field="value",
            one=True,
            root=str(TYPST_ROOT),
            font_paths=[str(FONTS)],
            ignore_system_fonts=True,
            sys_inputs=_sys_inputs(inputs),
        )
    except typst.TypstError as exc:
        raise PipelineError(f"{what}: {exc}") from exc
    return json.loads(found)


def character_widths(characters: set[str], size_pt: float) -> dict[str, float]:
    """How wide Typst sets each character alone, in points, in the print's fonts at `size_pt` (its fallback
    font where the text font lacks it), and " " the width of a space between two words."""
    if not characters:
        return {}
    probe = (
        '#set document(title: "width probe")\n'
        f"#set text(font: json(bytes(sys.inputs.metadata)).fonts, size: {size_pt}pt)\n"
        "#let chars = json(bytes(sys.inputs.metadata)).chars\n"
        '#context [#metadata((chars.map(c => measure(c).width.pt()), measure("x x").width.pt() - 2 * '
        'measure("x").width.pt())) <widths>]\n'
    )
    ordered = sorted(characters - {" "})
    widths, space = query_metadata(probe, "<widths>", "measuring the signatories' characters", {"chars": ordered})
    return {**dict(zip(ordered, widths, strict=True)), " ": space}
