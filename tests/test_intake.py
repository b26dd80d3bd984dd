"""`doit intake --csv FILE`: a form export merged into signatories.yaml, and nothing else touched.

tests/intake/ holds exports shaped as the forms write them: Google Forms
("Download responses (.csv)": every field quoted, "Timestamp" and "Email
Address" first, the question texts as headers) and Microsoft Forms (the Excel
download saved as "CSV UTF-8": a byte order mark, CRLF, ID, Start time,
Completion time, Email and Name before the questions).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import yaml
from conftest import copy_project, run_doit
from hypothesis import given
from hypothesis import strategies as st

from declaration_pipeline.intake import consents, kind_of, merge_form, read_form, yaml_scalar
from declaration_pipeline.verify import read_docx, read_html, read_pdf, squash

FORMS = Path(__file__).parent / "intake"
GOOGLE = FORMS / "google-forms-wave.csv"
MICROSOFT = FORMS / "microsoft-forms-wave.csv"
WITHDRAWAL = "\nwithdrawn:\n  - name: Gamma Trust\n    date: 2024-10-18\n    type: organization\n"


def _project(tmp_path: Path) -> Path:
    project = copy_project(tmp_path / "project")
    with (project / "signatories.yaml").open("a", encoding="utf-8") as file:
        file.write(WITHDRAWAL)
    shutil.copytree(FORMS, project / "forms")
    return project


def _lines(result) -> list[str]:  # type: ignore[no-untyped-def]
    return [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]


def _without(text: str, added: list[str]) -> str:
    """The text with the added lines taken out, each once."""
    lines = text.split("\n")
    for line in added:
        lines.remove(line)
    return "\n".join(lines)


ADDED_ORGANIZATIONS = [
    "  - name: Transparency Network Uganda",
    "    country: Uganda",
    "  - name: Fundación Ciudadanía Activa",
    "    country: Colombia",
    "  - name: Law & Society Trust",
    "    country: Sri Lanka",
    '  - name: "Red de Justicia Penal: México"',
    "    country: Mexico",
]
ADDED_INDIVIDUALS = [
    "  - name: Dr. María José Álvarez",
    "    affiliation: Universidad de Buenos Aires",
    "    country: Argentina",
    "  - name: 王芳",
    "    affiliation: Peking University",
    "    country: China",
    "  - name: Ngozi Okafor",
    "    affiliation: Lagos State University",
    "    country: Nigeria",
]


def test_a_google_forms_wave_is_merged_once_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path)
    before = (project / "signatories.yaml").read_text(encoding="utf-8")

    first = run_doit(project, "intake", "--csv", "forms/google-forms-wave.csv")
    assert first.returncode == 0, first.stdout + first.stderr
    after = (project / "signatories.yaml").read_text(encoding="utf-8")
    expected = (FORMS / "google-forms-wave.first-run.txt").read_text(encoding="utf-8").splitlines()
    assert _lines(first) == expected

    # Comments, order, quoting and layout: the old file is the new one less the appended lines,
    # and the new entries sit at the end of their own lists.
    assert _without(after, ADDED_ORGANIZATIONS + ADDED_INDIVIDUALS) == before
    lines = after.split("\n")
    at = lines.index(ADDED_ORGANIZATIONS[0])
    assert lines[at - 1] == "  - Ohaha Family Foundation" and lines[at : at + 8] == ADDED_ORGANIZATIONS
    at = lines.index(ADDED_INDIVIDUALS[0])
    assert lines[at - 1] == "  - Ingeborg Geyer" and lines[at : at + 9] == ADDED_INDIVIDUALS

    stat = (project / "signatories.yaml").stat()
    second = run_doit(project, "intake", "--csv", "forms/google-forms-wave.csv")
    assert second.returncode == 0, second.stdout + second.stderr
    assert (project / "signatories.yaml").read_text(encoding="utf-8") == after
    assert (project / "signatories.yaml").stat().st_mtime_ns == stat.st_mtime_ns
    expected = (FORMS / "google-forms-wave.second-run.txt").read_text(encoding="utf-8").splitlines()
    assert _lines(second) == expected

    # What the check accepts, the build prints and verifies: the new names and nothing private.
    build = run_doit(project)
    assert build.returncode == 0, build.stdout + build.stderr
    document = json.loads((project / "build" / "declaration.json").read_text(encoding="utf-8"))
    private = _private_answers(GOOGLE)
    for fmt, reader in (("html", read_html), ("docx", read_docx), ("pdf", read_pdf)):
        text = squash(reader(project / "build" / f"declaration.{fmt}", document).text)
        assert squash("Red de Justicia Penal: México (Mexico)") in text, fmt
        assert squash("王芳 (Peking University, China)") in text, fmt
        leaked = [answer for answer in private if squash(answer) in text]
        assert leaked == [], fmt
    yaml_text = (project / "signatories.yaml").read_text(encoding="utf-8")
    assert [answer for answer in private if answer in yaml_text] == []


def _private_answers(path: Path) -> list[str]:
    """The e-mail addresses, timestamps, contact persons and comments of an export."""
    rows, problems = read_form(path.read_bytes(), path.name)
    assert problems == [] and rows
    import csv

    records = list(csv.reader(path.read_text(encoding="utf-8").splitlines(keepends=True)))
    header, body = records[0], records[1:]
    private_columns = [i for i, h in enumerate(header) if h in ("Timestamp", "Email Address", "Comments (optional)")]
    answers = {record[i] for record in body for i in private_columns if record[i]}
    # The contact person who filled in the form for an organization.
    full_name, signing_as = header.index("Full name"), header.index("I am signing as")
    answers |= {r[full_name] for r in body if r[signing_as] == "An organization"}
    return sorted(answers)


def test_the_accept_flag_adds_a_held_back_near_duplicate(tmp_path: Path) -> None:
    project = _project(tmp_path)
    run_doit(project, "intake", "--csv", "forms/google-forms-wave.csv")
    result = run_doit(project, "intake", "--csv", "forms/google-forms-wave.csv", "--accept", "8")
    assert result.returncode == 0, result.stderr
    assert "  + Soroptimist Internatonal (organization, row 8)" in result.stdout
    assert "1 added (1 organization, 0 individuals)" in result.stdout
    assert "  - Soroptimist Internatonal\n\nindividuals:" in (project / "signatories.yaml").read_text(encoding="utf-8")


def test_a_microsoft_forms_export_with_named_columns_keeps_a_crlf_file_with_bom(tmp_path: Path) -> None:
    project = _project(tmp_path)
    original = (project / "signatories.yaml").read_bytes()
    crlf = b"\xef\xbb\xbf" + original.replace(b"\n", b"\r\n")
    (project / "signatories.yaml").write_bytes(crlf)
    result = run_doit(
        project,
        "intake",
        "--csv",
        "forms/microsoft-forms-wave.csv",
        "--column",
        "name:Name of the organization, or your full name",
        "--column",
        "type:Are you signing as an organization or as an individual?",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # "Centre for Peace & Development Initiatives" is listed with "and": already present.
    assert "5 rows: 2 added (1 organization, 1 individual), 2 already present" in result.stdout
    assert "1 without consent" in result.stdout
    after = (project / "signatories.yaml").read_bytes()
    assert after.startswith(b"\xef\xbb\xbf") and after.count(b"\n") == after.count(b"\r\n")
    added = [
        b"  - name: Observatorio Ciudadano de Seguridad\r\n    country: Chile\r\n",
        b"  - name: Sofia Lindstr\xc3\xb6m\r\n    affiliation: Stockholm University\r\n    country: Sweden\r\n",
    ]
    for entry in added:
        assert entry in after
    assert after.replace(added[0], b"").replace(added[1], b"") == crlf
    assert b"anonymous" not in after and b"10/23/24" not in after


def test_without_named_columns_the_microsoft_export_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    project = _project(tmp_path)
    before = (project / "signatories.yaml").read_bytes()
    result = run_doit(project, "intake", "--csv", "forms/microsoft-forms-wave.csv")
    assert result.returncode != 0
    # Microsoft's "Name" column holds the respondent's account name, here empty: a name column
    # is found, but not whether each row is an organization or a person.
    assert 'forms/microsoft-forms-wave.csv:1:1: error: no "Type" or "Signing as" column' in result.stderr
    assert "[csv-no-type-column]" in result.stderr and "Traceback" not in result.stderr
    assert (project / "signatories.yaml").read_bytes() == before


MALFORMED = {
    "no-name-column.csv": (
        b'"Timestamp","Email Address","Country","I agree to be listed"\n'
        b'"2024/10/21 9:14:03 AM GMT+2","a@b.example","Chile","I agree"\n',
        ["1:1: error: no name column (Name, Full name or Organization name) among"],
    ),
    "latin-1.csv": (
        "Timestamp,Full name,Country,Consent\n2024-10-21,Jos\xe9 P\xe9rez,Chile,Yes\n".encode("latin-1"),
        ["2:15: error: invalid UTF-8 (byte 0xe9); save the file as UTF-8 [source-encoding]"],
    ),
    "ragged.csv": (
        b"Timestamp,Full name,Country,Consent\n2024-10-21,Ana Ruiz,Chile,Yes\n2024-10-21,Li, Wei,China,Yes\n"
        b"2024-10-22,Ken Ito,Japan\n",
        [
            "3:1: error: row has 5 fields, the header has 4; a quote or separator is missing [csv-ragged-row]",
            "4:1: error: row has 3 fields, the header has 4; a quote or separator is missing [csv-ragged-row]",
        ],
    ),
    "unclosed-quote.csv": (
        b'Timestamp,Full name,Country,Consent\n2024-10-21,Ana Ruiz,Chile,Yes\n2024-10-21,"Li Wei,China,Yes\n',
        ["3:1: error: cannot read the CSV from this row on: unexpected end of data [csv-syntax]"],
    ),
    "no-consent-column.csv": (
        b"Timestamp,Email Address,Full name,Country\n2024-10-21,ana@x.example,Ana Ruiz,Chile\n",
        ["1:1: error: no consent question among"],
    ),
}


def test_a_malformed_export_gives_diagnostics_with_row_numbers_and_changes_nothing(tmp_path: Path) -> None:
    project = _project(tmp_path)
    target = project / "signatories.yaml"
    before, stat = target.read_bytes(), target.stat()
    for name, (data, expected) in MALFORMED.items():
        (project / name).write_bytes(data)
        result = run_doit(project, "intake", "--csv", name)
        assert result.returncode != 0, name
        errors = [line for line in result.stderr.splitlines() if line.startswith(f"{name}:")]
        assert len(errors) == len(expected), result.stderr
        for line, wanted in zip(errors, expected, strict=True):
            assert line.startswith(f"{name}:{wanted}"), line
        assert f"intake {name}: nothing changed" in result.stderr
        assert "Traceback" not in result.stdout + result.stderr
        assert target.read_bytes() == before and target.stat().st_mtime_ns == stat.st_mtime_ns, name


def test_intake_refuses_to_write_into_a_signatories_file_with_errors(tmp_path: Path) -> None:
    project = _project(tmp_path)
    target = project / "signatories.yaml"
    target.write_text("organizations:\n  - Alpha\n  - [broken\n", encoding="utf-8")
    before = target.read_bytes()
    result = run_doit(project, "intake", "--csv", "forms/google-forms-wave.csv")
    assert result.returncode != 0 and "[yaml-syntax]" in result.stderr
    assert target.read_bytes() == before


def test_lists_that_do_not_exist_yet_are_started_at_the_end_of_the_file(tmp_path: Path) -> None:
    project = _project(tmp_path)
    target = project / "signatories.yaml"
    target.write_text("# Started today.\norganizations:\n  - Alpha Foundation   # the first\n", encoding="utf-8")
    result = run_doit(project, "intake", "--csv", "forms/google-forms-wave.csv")
    assert result.returncode == 0, result.stderr
    text = target.read_text(encoding="utf-8")
    assert text.startswith("# Started today.\norganizations:\n  - Alpha Foundation   # the first\n")
    assert "  - name: Transparency Network Uganda\n" in text.split("individuals:")[0]
    assert "\n\nindividuals:\n  - name: Dr. María José Álvarez\n" in text
    assert text.endswith("\n".join(ADDED_INDIVIDUALS[-3:]) + "\n")


def test_consent_answers() -> None:
    for answer in ("Yes", "yes", "I agree", "Yes, I agree", "Oui", "Sí", "✓", "I consent to be listed", "X"):
        assert consents(answer), answer
    for answer in (
        "",
        "No",
        "no",
        "I do not agree",
        "I don't consent",
        "Maybe later",
        "Non",
        "Not yet",
        "I don’t agree",
        "I don‘t agree",
        "I donʼt agree",
        "Yes, but please don’t publish my country",
        "Yes, but please don't publish my name",
        "I won't agree",
        "I can’t agree",
    ):
        assert not consents(answer), answer


def test_signing_as_answers() -> None:
    assert kind_of("An organization") == kind_of("Organisation / NGO") == "organization"
    assert kind_of("On behalf of my organisation") == "organization"
    assert kind_of("An individual") == kind_of("In my personal capacity") == "individual"
    assert kind_of("Both") is None
    assert kind_of("Individual") == kind_of("As a private person") == kind_of("Myself") == "individual"
    assert kind_of("Private company") == kind_of("An association") == "organization"
    assert kind_of("Individual (on behalf of myself)") == "individual"
    for unclear in ("Individual, not on behalf of my organization", "On behalf of", "Private"):
        assert kind_of(unclear) is None, unclear


@given(st.text(min_size=1, max_size=40).filter(lambda t: t == " ".join(t.split()) and "\0" not in t))
def test_every_name_reads_back_as_written(name: str) -> None:
    assert yaml.safe_load(f"- {yaml_scalar(name)}") == [name]


def test_the_forms_use_their_own_headers() -> None:
    google = GOOGLE.read_text(encoding="utf-8").splitlines()[0]
    assert google.startswith('"Timestamp","Email Address",')
    microsoft = MICROSOFT.read_bytes()
    assert microsoft.startswith(b"\xef\xbb\xbfID,Start time,Completion time,Email,Name,") and b"\r\n" in microsoft


def test_kobotoolbox_and_typeform_exports_are_read_too() -> None:
    # KoBoToolbox: semicolons, the labels as headers, its own metadata columns.
    kobo = (
        b"start;end;Signing as;Name;Country;Affiliation;Do you consent to publication?;_id;_uuid;_submission_time\n"
        b"2024-10-21T09:14:03.000+02:00;2024-10-21T09:16:40.000+02:00;Organization;Observatorio Ciudadano;Chile;;yes;"
        b"101;5f1c;2024-10-21T07:16:41\n"
    )
    rows, problems = read_form(kobo, "kobo.csv")
    assert problems == []
    assert [(r.name, r.kind, r.country, r.consent) for r in rows] == [
        ("Observatorio Ciudadano", "organization", "Chile", "yes")
    ]
    # Typeform: "#" and "Network ID" columns, a legal question answered 1 or 0.
    typeform = (
        b"#,Full name,Country,Affiliation,I accept that my name is published,Start Date (UTC),Submit Date (UTC),"
        b"Network ID\nab12,Ana Ruiz,Chile,Universidad de Chile,1,2024-10-21 07:14:03,2024-10-21 07:16:40,9f3e\n"
        b"cd34,Li Wei,China,,0,2024-10-21 07:20:00,2024-10-21 07:21:10,77aa\n"
    )
    rows, problems = read_form(typeform, "typeform.csv")
    assert problems == []
    assert [(r.name, r.kind, r.affiliation, consents(r.consent)) for r in rows] == [
        ("Ana Ruiz", "individual", "Universidad de Chile", True),
        ("Li Wei", "individual", None, False),
    ]


def test_a_row_whose_own_name_is_empty_is_invalid_and_never_takes_the_other_name() -> None:
    export = (
        b"Signing as,Full name,Organization name,Country,I agree to be published\n"
        b"An organization,Jane Contact,,Kenya,Yes\n"
        b"An individual,,Acme Foundation,Peru,Yes\n"
        b"An organization,Jane Contact,Beta Trust,Kenya,Yes\n"
        b"An individual,Ana Ruiz,Acme Foundation,Peru,Yes\n"
    )
    rows, problems = read_form(export, "form.csv")
    assert problems == []
    result, problems = merge_form("organizations:\n  - Alpha\n", rows, "form.csv")
    assert problems == [] and result is not None
    assert [(s.name, s.kind) for s in result.added] == [("Beta Trust", "organization"), ("Ana Ruiz", "individual")]
    assert result.invalid == 2
    assert [str(d) for d in result.diagnostics] == [
        "form.csv:2:1: warning: no organization name; row not added [intake-invalid-row]",
        "form.csv:3:1: warning: no full name; row not added [intake-invalid-row]",
    ]
    assert "Jane Contact" not in result.text and "- name: Acme Foundation" not in result.text


def test_separators_inside_a_quoted_header_do_not_decide_the_delimiter() -> None:
    export = (
        b'Signing as;Name;Country;"Do you consent, freely, to the publication of your name, country, affiliation?"\n'
        b"Organization;Observatorio Ciudadano;Chile;Yes\n"
    )
    rows, problems = read_form(export, "kobo.csv")
    assert problems == []
    assert [(r.name, r.kind, r.country, r.consent) for r in rows] == [
        ("Observatorio Ciudadano", "organization", "Chile", "Yes")
    ]


def test_a_recognised_column_given_twice_is_warned_at_its_column() -> None:
    export = b"Name,Name,Type,Consent\nAlpha Trust,Beta Trust,Organization,Yes\n"
    rows, problems = read_form(export, "form.csv")
    assert [(r.name, r.kind) for r in rows] == [("Alpha Trust", "organization")]
    assert [str(p) for p in problems] == [
        'form.csv:1:6: warning: column "Name" is also column 1; only column 1 is read as the name [csv-repeated-column]'
    ]
