"""Each annex entry has what biblatex's data model requires of its type, in a well-formed shape.

Fields are looked up under their biblatex and their BibTeX names (`date` or
`year`, `journaltitle` or `journal`, `location` or `address`, `institution`
or `school`), after `crossref` and `xdata` are resolved by the loader. TeX that
the annex cannot print as text is a warning at its place.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from ..biblatex_model import FIELD_ALIASES, TYPES
from ..bibliography import Bibliography, Reference
from ..bibtex_text import decode_tex
from ..calendar_dates import is_biblatex_date
from ..diagnostics import Diagnostic, error, warning
from ..sources import REFERENCES

MAX_FIELD_LENGTH = 10_000
# The fields and name lists the annex and the citations print: TeX in them must decode.
PRINTED_FIELDS = (
    "title",
    "subtitle",
    "journaltitle",
    "booktitle",
    "booksubtitle",
    "publisher",
    "location",
    "institution",
    "organization",
    "howpublished",
    "series",
    "number",
    "volume",
    "pages",
    "type",
)
PRINTED_NAMES = ("author", "editor")
_YEAR = re.compile(r"^\d{4}$")
# A DOI, or a shortDOI (https://shortdoi.org: 10/ggb347).
_DOI = re.compile(r"^10\.\d{4,9}/\S+$|^10/[A-Za-z0-9]+$")


def check_bibliography(bibliography: Bibliography) -> list[Diagnostic]:
    diagnostics = []
    for reference in bibliography.references:
        diagnostics += _check_reference(reference)
    return diagnostics


def _problem(reference: Reference, field_name: str | None, code: str, message: str) -> Diagnostic:
    line, col = reference.field_position(field_name) if field_name else (reference.line, reference.col)
    return error(REFERENCES, line, col, code, f"{reference.key}: {message}")


def _check_reference(reference: Reference) -> list[Diagnostic]:
    entry_type = TYPES.get(reference.kind)
    if entry_type is None:
        message = (
            f'unknown entry type "@{reference.entry_type}"; use a biblatex type such as article, book, '
            "incollection, inproceedings, online, report, thesis or misc"
        )
        return [_problem(reference, None, "bib-unknown-type", message)]
    diagnostics = _missing_fields(reference, entry_type.creators, entry_type.required)
    diagnostics += _field_shapes(reference)
    diagnostics += _undecoded_tex(reference)
    return diagnostics


def _missing_fields(reference: Reference, creators: str, required: tuple[str, ...]) -> list[Diagnostic]:
    diagnostics = []
    roles = [role for role in creators.split("/") if role]
    if roles and not any(reference.people(role) for role in roles):
        wanted = " or ".join(f"an {role}" for role in roles)
        diagnostics.append(_problem(reference, None, "bib-missing-field", f"a @{reference.kind} needs {wanted}"))
    for alternatives in required:
        names = alternatives.split("/")
        if not any(reference.value(name) for name in names):
            wanted = " or ".join(
                f"{name} (or {FIELD_ALIASES[name]})" if name in FIELD_ALIASES else name for name in names
            )
            diagnostics.append(
                _problem(reference, None, "bib-missing-field", f"a @{reference.entry_type} needs a {wanted} field")
            )
    return diagnostics


def _field_shapes(reference: Reference) -> list[Diagnostic]:
    diagnostics = []
    for name, value in reference.entry.fields.items():
        if len(value) > MAX_FIELD_LENGTH:
            message = f"{name} is {len(value):,} characters; the limit is {MAX_FIELD_LENGTH:,}"
            diagnostics.append(_problem(reference, name, "bib-field-too-long", message))
    year = reference.value("year")
    if year and not _YEAR.match(year):
        diagnostics.append(_problem(reference, "year", "bib-year", f'year "{year}" is not a four-digit year'))
    date = reference.value("date")
    if date and not is_biblatex_date(date):
        message = (
            f'date "{date}" is not a real date written YYYY, YYYY-MM or YYYY-MM-DD, '
            "or a range of those such as 1984/1986 or 2020/"
        )
        diagnostics.append(_problem(reference, "date", "bib-year", message))
    doi = reference.value("doi")
    if doi and not _DOI.match(doi):
        hint = " (write the bare DOI, without https://doi.org/ or doi:)" if not doi.startswith("10") else ""
        message = f'DOI "{doi}" must look like 10.NNNN/suffix, or a shortDOI like 10/abc12{hint}'
        diagnostics.append(_problem(reference, "doi", "bib-doi", message))
    url = reference.value("url")
    if url and not _valid_url(url):
        diagnostics.append(_problem(reference, "url", "bib-url", f'URL "{url}" is not an http(s) address'))
    return diagnostics


def _undecoded_tex(reference: Reference) -> list[Diagnostic]:
    """TeX the annex would not print as written: a warning at the field, once per problem."""
    diagnostics = []
    texts = [(name, reference.value(name)) for name in PRINTED_FIELDS]
    texts += [
        (role, part) for role in PRINTED_NAMES for person in reference.people(role) for part in _name_parts(person)
    ]
    seen = set()
    for name, value in texts:
        for problem in decode_tex(value).problems:
            if (name, problem.source) in seen:
                continue
            seen.add((name, problem.source))
            line, col = reference.position_in_field(name, problem.source)
            message = f"{reference.key}: {name}: {problem.message}"
            diagnostics.append(warning(REFERENCES, line, col, "bib-tex", message))
    return diagnostics


def _name_parts(person) -> list[str]:  # type: ignore[no-untyped-def]
    return person.first_names + person.middle_names + person.prelast_names + person.last_names + person.lineage_names


def _valid_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not re.search(r"\s", url)
