"""TeX in names and fields becomes the text the annex prints; what cannot be decoded is reported, never printed raw."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from declaration_pipeline import pandoc_ast as ast
from declaration_pipeline.biblatex_model import TYPE_ALIASES, TYPES
from declaration_pipeline.bibliography import parse_bibliography
from declaration_pipeline.bibtex_text import decode_tex
from declaration_pipeline.checks.bibliography import check_bibliography
from declaration_pipeline.citation_style import citation_names, format_annex, format_reference
from declaration_pipeline.pandoc_ast import stringify

NAMES = r"""
@article{kuhrer2020, author = {K{\"u}hrer, Ernst and Pis{\'o}n, Ana}, title = {T}, journal = {J}, year = 2020}
@article{angela2020, author = {Garc{\'\i}a, {\'A}ngela}, title = {T}, journal = {J}, year = 2020}
@article{board2020, author = {{CVE Board}}, title = {T}, journal = {J}, year = 2020}
@article{zeta2020, author = {Zeta, Zoe}, title = {T}, journal = {J}, year = 2020}
@article{alpha2020, author = {Alpha, Al and Beta, Bo and others}, title = {T}, journal = {J}, year = 2020}
@article{two2020, author = {Two, Tam and others}, title = {T}, journal = {J}, year = 2020}
@article{king2020, author = {King, Jr., Martin Luther}, title = {T}, journal = {J}, year = 2020}
@article{doe2020, author = {Doe, III, John and Roe, Rita}, title = {T}, journal = {J}, year = 2020}
"""


def _bibliography():  # type: ignore[no-untyped-def]
    # one field a line, as the loader finds fields
    text = re.sub(r", (author|title) =", r",\n \1 =", NAMES)
    bibliography, problems = parse_bibliography(text, "references.bib")
    assert problems == []
    return bibliography


def test_names_are_decoded_in_citations_and_the_annex() -> None:
    bibliography = _bibliography()
    assert citation_names(bibliography.get("kuhrer2020")) == "Kührer & Pisón"
    assert citation_names(bibliography.get("board2020")) == "CVE Board"
    annex = {key: stringify(inlines) for key, inlines in format_annex(bibliography)}
    assert annex["kuhrer2020"].startswith("Kührer, E., & Pisón, A. (2020).")
    assert annex["angela2020"].startswith("García, Á. (2020).")
    assert annex["board2020"].startswith("CVE Board (2020).")


def test_and_others_is_et_al() -> None:
    bibliography = _bibliography()
    annex = {key: stringify(inlines) for key, inlines in format_annex(bibliography)}
    assert annex["alpha2020"].startswith("Alpha, A., Beta, B., et al. (2020).")
    assert citation_names(bibliography.get("alpha2020")) == "Alpha et al."
    assert citation_names(bibliography.get("two2020")) == "Two et al."


def test_a_suffix_is_printed_after_the_initials() -> None:
    bibliography = _bibliography()
    annex = {key: stringify(inlines) for key, inlines in format_annex(bibliography)}
    assert annex["king2020"].startswith("King, M. L., Jr. (2020).")
    assert annex["doe2020"].startswith("Doe, J., III, & Roe, R. (2020).")
    assert citation_names(bibliography.get("king2020")) == "King"


def test_corporate_authors_sort_by_their_text() -> None:
    order = [key for key, _inlines in format_annex(_bibliography())]
    assert order.index("board2020") < order.index("kuhrer2020") < order.index("zeta2020")
    assert order[0] == "alpha2020"


def test_fields_decode_to_text_and_emphasis() -> None:
    decoded = decode_tex(r"Le \emph{De Anima} dans la tradition gr{\`e}cque~-- {\(\Sigma\Delta\)} $x^2$")
    assert decoded.text == "Le De Anima dans la tradition grècque\u00a0– ΣΔ x²"
    assert {"t": "Emph", "c": [{"t": "Str", "c": "De"}, {"t": "Space"}, {"t": "Str", "c": "Anima"}]} in decoded.inlines
    assert decoded.problems == ()


def test_what_cannot_be_decoded_is_reported() -> None:
    for source, shown in ((r"\apj", ""), ("Nutrition &amp; Metabolism", "Nutrition & Metabolism")):
        decoded = decode_tex(source)
        assert decoded.text == shown
        assert len(decoded.problems) == 1


_DECODABLE = st.sampled_from(
    [r"{\"u}", r"\'e", r"{\c{C}}", r"\ss{}", r"{Protected}", r"\emph{it}", r"\mkbibquote{q}", "~", "--", r"\&", "$x^2$"]
)
_WORDS = st.text(alphabet="abcXYZ äé.,:;-'()0123456789 ", max_size=8)


@given(st.lists(st.one_of(_DECODABLE, _WORDS), max_size=12))
def test_decodable_tex_leaves_no_markup(parts: list[str]) -> None:
    decoded = decode_tex("".join(parts))
    assert decoded.problems == ()
    assert not any(char in decoded.text for char in "\\{}$~")


@given(st.text(alphabet="\\{}$^_&;#%~ abc'\"`", max_size=40))
def test_the_decoder_never_raises(value: str) -> None:
    decoded = decode_tex(value)
    assert isinstance(decoded.text, str)


_TYPES = st.sampled_from(sorted({*TYPES, *TYPE_ALIASES, "set", "xdata", "magazine"}))
_FIELD_NAMES = st.sampled_from(
    ["author", "editor", "title", "subtitle", "journal", "journaltitle", "booktitle", "publisher", "location"]
    + ["address", "school", "institution", "type", "number", "volume", "pages", "year", "date", "doi", "url"]
    + ["eprint", "eprinttype", "howpublished", "series", "crossref", "note"]
)
_VALUES = st.lists(
    st.one_of(_DECODABLE, _WORDS, st.sampled_from([" and ", " and others", "{CVE Board}", r"\apj", "&amp;", "2020"])),
    min_size=1,
    max_size=5,
).map("".join)


@st.composite
def _entries(draw: st.DrawFn) -> str:
    entries = []
    for number in range(draw(st.integers(1, 4))):
        fields = draw(st.lists(st.tuples(_FIELD_NAMES, _VALUES), max_size=8, unique_by=lambda field: field[0]))
        body = "".join(f"  {name} = {{{value}}},\n" for name, value in fields)
        entries.append(f"@{draw(_TYPES)}{{key{number},\n{body}}}\n")
    return "\n".join(entries)


@given(_entries())
def test_what_the_check_accepts_the_annex_prints_without_tex(text: str) -> None:
    """Check => annex: an entry with no error formats, and without a bib-tex warning it shows no TeX."""
    bibliography, diagnostics = parse_bibliography(text, "references.bib")
    diagnostics += check_bibliography(bibliography)
    flagged = {(d.severity, d.message.split(":")[0]) for d in diagnostics}
    for reference in bibliography.references:
        if ("error", reference.key) in flagged:
            continue
        annex = stringify(format_reference(reference)) + citation_names(reference)
        if ("warning", reference.key) not in flagged:
            assert not any(char in re.sub(r"https?://\S+", "", annex) for char in "\\{}$"), annex


def test_inlines_merge_into_words_with_one_space_between_and_none_at_the_ends() -> None:
    space, word = {"t": "Space"}, {"t": "Str", "c": "a"}
    inlines = [space, word, {"t": "Str", "c": "b"}, space, space, ast.emph([word]), space, space]
    assert ast.merge_inlines(inlines) == [{"t": "Str", "c": "ab"}, space, ast.emph([word])]
