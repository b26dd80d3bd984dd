"""Withdrawn signatories never reach an output; order: alphabetical files names where a reader looks for them."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import copy_project, run_doit
from hypothesis import given
from hypothesis import strategies as st

from declaration_pipeline.sigdiff import diff_signatories, format_diff
from declaration_pipeline.signatories import Signatory, _collator, collation_key, in_print_order, parse_signatory_file
from declaration_pipeline.verify import (
    Expected,
    Extracted,
    compare_content,
    expectations,
    read_docx,
    read_html,
    read_pdf,
    squash,
)


def _organizations(*names: str) -> tuple[Signatory, ...]:
    return tuple(Signatory(name, "organization", number, 5) for number, name in enumerate(names, 1))


def test_alphabetical_order_files_accented_names_with_their_letter() -> None:
    listed = _organizations("Éclair", "Zeta Trust", "Eagle", "Amnesty", "Álvarez", "alpha", "The Salvation Army")
    ordered = [s.name for s in in_print_order(listed, "alphabetical")]
    assert ordered == ["alpha", "Álvarez", "Amnesty", "Eagle", "Éclair", "The Salvation Army", "Zeta Trust"]


def test_people_are_filed_without_their_titles() -> None:
    people = tuple(
        Signatory(name, "individual", number, 5)
        for number, name in enumerate(("Dr Zara Bending", "Prof. Ana Ruiz", "Mr", "Zoë Adams"), 1)
    )
    ordered = [s.name for s in in_print_order(people, "alphabetical")]
    assert ordered == ["Prof. Ana Ruiz", "Mr", "Dr Zara Bending", "Zoë Adams"]


def test_a_name_is_filed_by_the_words_its_identity_key_keeps() -> None:
    people = tuple(
        Signatory(name, "individual", number, 5) for number, name in enumerate(("Dr.Bob Brown", "Carl Adams"), 1)
    )
    assert [s.name for s in in_print_order(people, "alphabetical")] == ["Dr.Bob Brown", "Carl Adams"]
    listed = _organizations("Ｔｈｅ Omega", "Zeta Trust", "Sigma", "The", "The-Alpha Group")
    ordered = [s.name for s in in_print_order(listed, "alphabetical")]
    assert ordered == ["The-Alpha Group", "Ｔｈｅ Omega", "Sigma", "The", "Zeta Trust"]


def test_the_default_order_is_the_order_as_listed() -> None:
    text = "organizations:\n  - Zeta Trust\n  - Amnesty\n"
    loaded, problems = parse_signatory_file(text, "signatories.yaml")
    assert problems == [] and loaded.order == "as-listed"
    assert [s.name for s in in_print_order(loaded.signatories, loaded.order)] == ["Zeta Trust", "Amnesty"]


def test_verification_fails_when_a_withdrawn_name_is_printed() -> None:
    expected = Expected((), (), (), (), ("Amnesty",), withdrawn=("Gamma Trust",))
    clean = compare_content("out.html", expected, Extracted("Amnesty", [], [], blocks=["Amnesty"]))
    assert clean == []
    for printed in ("Gamma Trust", "Gamma Trust (Kenya)"):
        problems = compare_content("out.html", expected, Extracted("x", [], [], blocks=["Amnesty", printed]))
        assert [p.code for p in problems] == ["verify-withdrawn"], printed


def test_verify_applies_a_withdrawal_by_the_checks_rule_of_kind_and_name(tmp_path: Path) -> None:
    (tmp_path / "signatories.yaml").write_text(
        "organizations:\n  - Penal Reform International\n"
        "withdrawn:\n  - name: Penal Reform International\n    date: 2025-03-14\n    type: individual\n"
        "  - name: Gamma Trust\n    date: 2025-03-14\n",
        encoding="utf-8",
    )
    expected = expectations(tmp_path, {"blocks": [], "meta": {}})
    # The individual withdrew; the organization of the same name stays listed, and printed.
    assert expected.signatories == ("Penal Reform International",) and expected.withdrawn == ("Gamma Trust",)
    printed = Extracted("x", [], [], blocks=["Penal Reform International"])
    assert compare_content("build/declaration.pdf", expected, printed) == []
    printed = Extracted("x", [], [], blocks=["Penal Reform International", "Gamma Trust (Kenya)"])
    assert [p.code for p in compare_content("build/declaration.pdf", expected, printed)] == ["verify-withdrawn"]


def test_sigdiff_knows_an_old_withdrawal_written_again_differently() -> None:
    before, _ = parse_signatory_file(
        "organizations:\n  - Alpha Foundation\nwithdrawn:\n  - name: Gamma Trust\n    date: 2025-03-14\n", "s.yaml"
    )
    after, _ = parse_signatory_file(
        "organizations:\n  - Alpha Foundation\nwithdrawn:\n"
        "  - name: The Gamma Trust\n    date: 2025-03-14\n    type: organization\n"
        "  - name: Alpha Foundation\n    date: 2025-04-01\n    type: individual\n",
        "s.yaml",
    )
    diff = diff_signatories(before.signatories, after.signatories, before.withdrawn, after.withdrawn)
    # The same withdrawal, tidied, is not news; a withdrawal of another kind is, and removes nobody.
    assert [w.name for w in diff.withdrawn] == ["Alpha Foundation"]
    assert diff.removed == diff.added == diff.renamed == []


SIGNATORIES = """\
# Signatories, as the editors keep them.
order: alphabetical

organizations:
  - Zeta Trust
  - Éclair Collective
  - The Amnesty Circle
  - name: Eagle Watch
    country: Kenya
  - Álvarez Foundation
individuals:
  - Óscar Núñez
  - alpha Person

withdrawn:
  - name: Gamma Withdrawn Trust
    date: 2025-03-14
    type: organization
    note: asked by e-mail
  - name: Wendy Withdrawn
    date: 2025-04-02
"""


def test_withdrawn_names_are_absent_from_all_three_outputs_and_the_lists_are_sorted(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    (project / "signatories.yaml").write_text(SIGNATORIES, encoding="utf-8")
    result = run_doit(project)
    assert result.returncode == 0, result.stdout + result.stderr

    build = project / "build"
    document = json.loads((build / "declaration.json").read_text(encoding="utf-8"))
    organizations = [
        "Álvarez Foundation",
        "The Amnesty Circle",
        "Eagle Watch (Kenya)",
        "Éclair Collective",
        "Zeta Trust",
    ]
    for name, reader in (("html", read_html), ("docx", read_docx), ("pdf", read_pdf)):
        text = reader(build / f"declaration.{name}", document).text
        raw = (build / f"declaration.{name}").read_bytes()
        assert "Withdrawn" not in text and b"Withdrawn" not in raw, name
        positions = [squash(text).find(squash(o)) for o in organizations]
        assert -1 not in positions and positions == sorted(positions), (name, positions)
        assert squash(text).find("alphaPerson") < squash(text).find("ÓscarNúñez"), name


def test_a_withdrawn_signatory_listed_again_stops_the_build_at_its_line(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project")
    relisted = SIGNATORIES.replace("  - Zeta Trust\n", "  - Zeta Trust\n  - The Gamma Withdrawn Trust\n")
    (project / "signatories.yaml").write_text(relisted, encoding="utf-8")
    result = run_doit(project)
    assert result.returncode != 0
    assert (
        'signatories.yaml:6:5: error: "The Gamma Withdrawn Trust" withdrew on 2025-03-14 (withdrawn: line 17)'
        in result.stderr
    )
    assert not (project / "build" / "declaration.pdf").exists()


def test_sigdiff_reports_a_withdrawal_instead_of_a_removal() -> None:
    before, _ = parse_signatory_file("organizations:\n  - Gamma Trust\n  - Alpha Foundation\n", "signatories.yaml")
    after, _ = parse_signatory_file(
        "organizations:\n  - Alpha Foundation\nwithdrawn:\n  - name: Gamma Trust\n    date: 2025-03-14\n",
        "signatories.yaml",
    )
    diff = diff_signatories(before.signatories, after.signatories, before.withdrawn, after.withdrawn)
    assert diff.removed == [] and [w.name for w in diff.withdrawn] == ["Gamma Trust"]
    text = format_diff(diff, "main", markdown=False)
    assert "0 added, 0 removed, 0 renamed, 1 withdrawn" in text
    assert "  x Gamma Trust (withdrew on 2025-03-14)" in text
    assert "- Gamma Trust \\(withdrew on 2025\\-03\\-14\\)" in format_diff(diff, "main", markdown=True)


@given(st.text(max_size=30))
def test_the_word_by_word_collation_key_is_pyucas_own(name: str) -> None:
    assert collation_key(name)[0] == tuple(_collator().sort_key(name))
