"""Each annex entry has what its type needs, in a well-formed shape."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..bibliography import Bibliography, Reference
from ..diagnostics import Diagnostic, error
from ..sources import REFERENCES

# Fields the annex prints for each entry type, beyond author/editor, title and year.
REQUIRED_BY_TYPE: dict[str, tuple[str, ...]] = {
    "article": ("journal",),
    "book": ("publisher",),
    "booklet": (),
    "inbook": ("publisher",),
    "incollection": ("booktitle", "publisher"),
    "inproceedings": ("booktitle",),
    "conference": ("booktitle",),
    "manual": (),
    "mastersthesis": ("school",),
    "phdthesis": ("school",),
    "proceedings": (),
    "techreport": ("institution",),
    "report": ("institution",),
    "unpublished": (),
    "misc": (),
    "online": ("url",),
}
MAX_FIELD_LENGTH = 10_000

_YEAR = re.compile(r"^\d{4}$")
_DOI = re.compile(r"^10\.\d{4,9}/\S+$")


def check_bibliography(bibliography: Bibliography) -> list[Diagnostic]:
    diagnostics = []
    for reference in bibliography.references:
        diagnostics += _check_reference(reference)
    return diagnostics


def _check_reference(reference: Reference) -> list[Diagnostic]:
    def problem(field_name: str | None, code: str, message: str) -> Diagnostic:
        line, col = reference.field_position(field_name) if field_name else (reference.line, reference.col)
        return error(REFERENCES, line, col, code, f"{reference.key}: {message}")

    required = REQUIRED_BY_TYPE.get(reference.entry_type)
    if required is None:
        known = ", ".join(sorted(REQUIRED_BY_TYPE))
        return [problem(None, "bib-unknown-type", f'unknown entry type "@{reference.entry_type}"; use one of {known}')]
    entry = reference.entry
    fields = {name.lower(): value for name, value in entry.fields.items()}
    diagnostics = []
    if not (entry.persons.get("author") or entry.persons.get("editor")):
        diagnostics.append(problem(None, "bib-missing-field", "needs an author or an editor"))
    for name in ("title", "year", *required):
        if not fields.get(name, "").strip():
            diagnostics.append(problem(None, "bib-missing-field", f"a @{reference.entry_type} needs a {name} field"))
    for name, value in fields.items():
        if len(value) > MAX_FIELD_LENGTH:
            diagnostics.append(
                problem(
                    name,
                    "bib-field-too-long",
                    f"{name} is {len(value):,} characters; the limit is {MAX_FIELD_LENGTH:,}",
                )
            )
    year = fields.get("year", "").strip()
    if year and not _YEAR.match(year):
        diagnostics.append(problem("year", "bib-year", f'year "{year}" is not a four-digit year'))
    doi = fields.get("doi", "").strip()
    if doi and not _DOI.match(doi):
        hint = " (write the bare DOI, without https://doi.org/ or doi:)" if not doi.startswith("10.") else ""
        diagnostics.append(problem("doi", "bib-doi", f'DOI "{doi}" must look like 10.NNNN/suffix{hint}'))
    url = fields.get("url", "").strip()
    if url and not _valid_url(url):
        diagnostics.append(problem("url", "bib-url", f'URL "{url}" is not an http(s) address'))
    return diagnostics


def _valid_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not re.search(r"\s", url)
