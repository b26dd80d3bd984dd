"""The project's own author-date style, built on pybtex.

One source of truth for both halves of a citation: `citation_names` gives the
in-text form ("Roggeband & Krizsán, 2021") and `AnnexStyle` the annex entry
("Roggeband, C., & Krizsán, A. (2021). The Selective Closure of Civic Space.
*Global Policy*, 12, 23-33."). pybtex's rich text is turned into pandoc inlines
here, so every writer prints the same thing.
"""

from __future__ import annotations

from pybtex import richtext
from pybtex.database import Entry, Person
from pybtex.style.formatting import BaseStyle
from pybtex.style.template import FieldIsMissing, field, href, join, node, optional, sentence, tag

from . import pandoc_ast as ast
from .bibliography import Bibliography, Reference


def _surname(person: Person) -> str:
    return " ".join(person.prelast_names + person.last_names)


def _initials(person: Person) -> str:
    initials = []
    for name in person.first_names + person.middle_names:
        # "Jean-Paul" -> "J.-P."; names given as initials stay as they are
        parts = name.split("-")
        initials.append("-".join(part[0] + "." if part else "" for part in parts))
    return " ".join(initials)


def _creators(entry: Entry) -> tuple[list[Person], bool]:
    """The people an entry is filed under, and whether they are editors."""
    if entry.persons.get("author"):
        return list(entry.persons["author"]), False
    return list(entry.persons.get("editor", [])), True


def citation_names(reference: Reference) -> str:
    """The author part of an in-text citation: one, two, or the first "et al."."""
    people, _ = _creators(reference.entry)
    surnames = [_surname(person) for person in people]
    if len(surnames) >= 3:
        return f"{surnames[0]} et al."
    return " & ".join(surnames)


def citation_year(reference: Reference) -> str:
    return reference.entry.fields.get("year", "n.d.")


@node
def creators(children, context):  # type: ignore[no-untyped-def]
    """APA-like list: "Bakke, K. M., Mitchell, N. J., & Smidt, H. M."; editors get ", eds."."""
    people, editors = _creators(context["entry"])
    names = [", ".join(filter(None, (_surname(p), _initials(p)))) for p in people]
    if len(names) <= 1:
        text = "".join(names)
    else:
        text = ", ".join(names[:-1]) + ", & " + names[-1]
    if editors:
        text += ", eds." if len(names) > 1 else ", ed."
    return richtext.Text(text)


def _pages(text: richtext.Text) -> richtext.Text:
    # BibTeX writes ranges as 85--96; the annex prints 85-96, as the printed declaration does.
    return richtext.Text(str(text).replace("--", "-").replace("–", "-"))


_date = join["(", field("year"), ")"]
_doi = optional[
    " ", href(join["https://doi.org/", field("doi", raw=True)])[join["https://doi.org/", field("doi", raw=True)]]
]
_url = optional[" ", href(field("url", raw=True))[field("url", raw=True)]]
_urn = optional[" ", field("urn", raw=True)]
_links = join[_doi, _url, _urn]


class AnnexStyle(BaseStyle):
    default_sorting_style = "author_year_title"
    default_label_style = "number"
    default_name_style = "plain"

    def get_article_template(self, entry: Entry):  # type: ignore[no-untyped-def]
        return join[
            join[creators, " ", _date, ". "],
            sentence[field("title")],
            " ",
            join[
                tag("em")[field("journal")],
                optional[", ", field("volume"), optional["(", field("number"), ")"]],
                optional[", ", field("pages", apply_func=_pages)],
                ".",
            ],
            _links,
        ]

    def get_book_template(self, entry: Entry):  # type: ignore[no-untyped-def]
        return join[
            join[creators, " ", _date, ". "],
            sentence[tag("em")[field("title")]],
            optional[" (", field("series"), optional[", ", field("number")], ")."],
            " ",
            sentence[join[optional[field("address"), ": "], field("publisher")]],
            _links,
        ]

    def get_techreport_template(self, entry: Entry):  # type: ignore[no-untyped-def]
        return join[
            join[creators, " ", _date, ". "],
            sentence[field("title")],
            " ",
            sentence[join[tag("em")[field("institution")], optional[", ", field("number")]]],
            _links,
        ]

    def get_misc_template(self, entry: Entry):  # type: ignore[no-untyped-def]
        container = _first_field(
            "journal", "booktitle", "institution", "school", "publisher", "howpublished", "organization"
        )
        return join[
            join[creators, " ", _date, ". "],
            sentence[field("title")],
            optional[" ", sentence[tag("em")[container]]],
            _links,
        ]

    get_report_template = get_techreport_template
    get_inbook_template = get_book_template
    get_incollection_template = get_misc_template
    get_inproceedings_template = get_misc_template
    get_conference_template = get_misc_template
    get_booklet_template = get_misc_template
    get_manual_template = get_misc_template
    get_mastersthesis_template = get_misc_template
    get_phdthesis_template = get_misc_template
    get_proceedings_template = get_misc_template
    get_unpublished_template = get_misc_template
    get_online_template = get_misc_template


@node
def _first_field(children, context, *names):  # type: ignore[no-untyped-def]
    for name in names:
        value = context["entry"].fields.get(name)
        if value:
            return richtext.Text.from_latex(value)
    raise FieldIsMissing(names[0], context["entry"])


def format_annex(bibliography: Bibliography) -> list[tuple[str, list[ast.Node]]]:
    """(key, inlines) for every reference, in annex order."""
    style = AnnexStyle()
    entries = [reference.entry for reference in bibliography.references]
    return [(formatted.key, rich_text_to_inlines(formatted.text)) for formatted in style.format_entries(entries)]


_SYMBOLS = {"ndash": "–", "mdash": "—", "nbsp": "\u00a0", "newblock": " "}


def rich_text_to_inlines(text: richtext.BaseText) -> list[ast.Node]:
    """pybtex rich text -> pandoc inlines (emphasis, links and literal text only)."""
    if isinstance(text, richtext.String):
        return ast.text_inlines(text.value)
    if isinstance(text, richtext.Symbol):
        return ast.text_inlines(_SYMBOLS.get(text.name, ""))
    children = [inline for part in text.parts for inline in rich_text_to_inlines(part)]
    if isinstance(text, richtext.Tag) and text.name in ("em", "i"):
        return [ast.emph(children)]
    if isinstance(text, richtext.Tag) and text.name in ("b", "strong"):
        return [{"t": "Strong", "c": children}]
    if isinstance(text, richtext.HRef):
        return [ast.link(children, text.url)]
    return _merge_text(children)


def _merge_text(inlines: list[ast.Node]) -> list[ast.Node]:
    """Join neighbouring Str nodes that pybtex split, so writers see whole words."""
    merged: list[ast.Node] = []
    for inline in inlines:
        if inline["t"] == "Str" and merged and merged[-1]["t"] == "Str":
            merged[-1] = {"t": "Str", "c": merged[-1]["c"] + inline["c"]}
        elif inline["t"] == "Space" and merged and merged[-1]["t"] == "Space":
            continue
        else:
            merged.append(inline)
    return merged
