"""The project's own author-date style.

One source of truth for both halves of a citation: `citation_names` gives the
in-text form ("Roggeband & Krizsán, 2021") and `format_annex` the annex entry
("Roggeband, C., & Krizsán, A. (2021). The Selective Closure of Civic Space.
*Global Policy*, 12, 23-33."), as pandoc inlines, so every writer prints the
same thing.

pybtex parses the names; every printed field and name part goes through one
TeX decoder (bibtex_text.py), so accents become Unicode, protective braces go,
and a corporate author such as `{CVE Board}` prints and sorts by its text.
Each biblatex type is printed in the nearest of a few forms (biblatex_model.py).

Why not pandoc's citeproc with a CSL style: on the real-world corpus in
tests/realworld it dropped the AAS journal macro `\\aj` without a word (the
journal simply vanished from the entry) and printed an HTML entity as
"&Amp;", with no position to report either at; and the seed's footnote 1
("Roggeband & Krizsán, 2021") needs a style pandoc does not ship. Here each
such problem is a warning at its line (checks/bibliography.py).
"""

from __future__ import annotations

import unicodedata

from pybtex.database import Person

from . import pandoc_ast as ast
from .biblatex_model import TYPE_WORDS, TYPES
from .bibliography import Bibliography, Reference
from .bibtex_text import decode_plain

Inlines = list[ast.Node]


def _decoded(parts: list[str]) -> str:
    return " ".join(filter(None, (decode_plain(part) for part in parts)))


def _is_others(person: Person) -> bool:
    """BibTeX's `and others`: the list goes on."""
    return not person.first_names and [part.lower() for part in person.last_names] == ["others"]


def _surname(person: Person) -> str:
    return _decoded(person.prelast_names + person.last_names)


def _initials(person: Person) -> str:
    initials = []
    for name in person.first_names + person.middle_names:
        # "Jean-Paul" -> "J.-P."; "{\'A}ngela" -> "Á."; names given as initials stay as they are
        parts = decode_plain(name).split("-")
        initials.append("-".join(part[0] + "." if part else "" for part in parts))
    return " ".join(initials)


def _listed_name(person: Person) -> str:
    """As the annex lists a person: "King, M. L., Jr." (APA puts the suffix after the initials)."""
    return ", ".join(filter(None, (_surname(person), _initials(person), _decoded(person.lineage_names))))


def _creators(reference: Reference) -> tuple[list[Person], bool]:
    """The people an entry is filed under, and whether they are editors."""
    if reference.people("author"):
        return reference.people("author"), False
    return reference.people("editor"), True


def citation_names(reference: Reference) -> str:
    """The author part of an in-text citation: one, two, or the first "et al."."""
    people, _ = _creators(reference)
    if not people:
        return decode_plain(reference.value("shorttitle") or reference.value("title"))
    surnames = [_surname(person) for person in people if not _is_others(person)]
    if len(people) >= 3 or len(surnames) < len(people):
        return f"{surnames[0]} et al."
    return " & ".join(surnames)


def citation_year(reference: Reference) -> str:
    return reference.year or "n.d."


def _creators_text(reference: Reference) -> str:
    """APA-like list: "Bakke, K. M., Mitchell, N. J., & Smidt, H. M."; editors get ", eds."."""
    people, editors = _creators(reference)
    names = [_listed_name(p) for p in people if not _is_others(p)]
    if len(names) < len(people):
        text = ", ".join([*names, "et al."])
    elif len(names) <= 1:
        text = "".join(names)
    else:
        text = ", ".join(names[:-1]) + ", & " + names[-1]
    if editors and names:
        text += ", eds." if len(people) > 1 else ", ed."
    return text


def _text(reference: Reference, name: str) -> Inlines:
    return list(reference.text(name).inlines)


def _sentence(inlines: Inlines) -> Inlines:
    """Inlines ending with a full stop, unless they already end with punctuation."""
    text = ast.stringify(inlines).rstrip()
    return inlines if not text or text[-1] in ".?!" else [*inlines, {"t": "Str", "c": "."}]


def _title(reference: Reference, field: str = "title", emphasized: bool = False) -> Inlines:
    title = _text(reference, field)
    subtitle = _text(reference, field.replace("title", "subtitle"))
    if subtitle:
        title = [*title, {"t": "Str", "c": ":"}, {"t": "Space"}, *subtitle]
    return [ast.emph(title)] if emphasized and title else title


def _join(*parts: Inlines, separator: str = " ") -> Inlines:
    inlines: Inlines = []
    for part in parts:
        if not part:
            continue
        if inlines:
            inlines += ast.text_inlines(separator)
        inlines += part
    return ast.merge_inlines(inlines)


def _words(text: str) -> Inlines:
    return ast.text_inlines(text)


def _links(reference: Reference) -> Inlines:
    links: list[Inlines] = []
    doi = reference.value("doi")
    if doi:
        links.append([ast.link(_words(f"https://doi.org/{doi}"), f"https://doi.org/{doi}")])
    eprint, prefix = reference.value("eprint"), reference.value("eprinttype").lower()
    if eprint and prefix == "arxiv":
        links.append([ast.link(_words(f"arXiv:{eprint}"), f"https://arxiv.org/abs/{eprint}")])
    url = reference.value("url")
    if url and not (doi and url.endswith(doi)):
        links.append([ast.link(_words(url), url)])
    urn = reference.value("urn")
    if urn:
        links.append(_words(urn))
    return _join(*links)


def _pages(reference: Reference) -> str:
    # BibTeX writes ranges as 85--96; the annex prints 85-96, as the printed declaration does.
    return reference.text("pages").text.replace("–", "-")


def _year(reference: Reference) -> Inlines:
    return _words(f"({citation_year(reference)}).")


def _filed_under(reference: Reference) -> Inlines:
    """ "Creators (Year).": what an entry is filed under, and its label in the PDF's annex list; empty for an
    entry filed under its title."""
    creators = _creators_text(reference)
    return _join(_words(creators), _year(reference)) if creators else []


def _head(reference: Reference, title: Inlines) -> Inlines:
    """ "Creators (Year). " and the title, or "Title (Year). " for an entry filed under its title."""
    filed_under = _filed_under(reference)
    if filed_under:
        return _join(filed_under, _sentence(title))
    return _join(title, _year(reference))


def _publisher(reference: Reference) -> Inlines:
    place, publisher = _text(reference, "location"), _text(reference, "publisher")
    if place and publisher:
        return _sentence(_join(place, publisher, separator=": "))
    return _sentence(publisher)


def _article(reference: Reference) -> Inlines:
    volume = reference.text("volume").text
    number = reference.text("number").text
    issue = volume + (f"({number})" if volume and number else "")
    pages = _pages(reference)
    journal_title = _title(reference, "journaltitle")
    journal = [ast.emph(journal_title)] if journal_title else []
    container = _join(journal, _words(issue), _words(pages), separator=", ")
    return _join(_head(reference, _title(reference)), _sentence(container))


def _book(reference: Reference) -> Inlines:
    series = reference.text("series").text
    number = reference.text("number").text
    in_series = _words(f"({series}{', ' + number if number else ''}).") if series else []
    return _join(_head(reference, _sentence(_title(reference, emphasized=True))), in_series, _publisher(reference))


def _part(reference: Reference) -> Inlines:
    """A part of a book, a collection or proceedings: "In *Book*, pp. 1-23."."""
    book = _title(reference, "booktitle", emphasized=True)
    pages = _pages(reference)
    where = _join(_words("In"), _join(book, _words(f"pp. {pages}") if pages else [], separator=", "))
    return _join(_head(reference, _title(reference)), _sentence(where), _publisher(reference))


def _report(reference: Reference) -> Inlines:
    institution_name = _text(reference, "institution")
    institution = [ast.emph(institution_name)] if institution_name else []
    kind = _type_word(reference) if reference.kind == "thesis" else []
    container = _join(kind, institution, _words(reference.text("number").text), separator=", ")
    return _join(_head(reference, _title(reference)), _sentence(container))


def _patent(reference: Reference) -> Inlines:
    kind = _type_word(reference) or _words("Patent")
    return _join(_head(reference, _title(reference)), _sentence(_join(kind, _words(reference.text("number").text))))


def _misc(reference: Reference) -> Inlines:
    container = _first_text(
        reference, "journaltitle", "booktitle", "institution", "publisher", "howpublished", "organization"
    )
    return _join(_head(reference, _title(reference)), _sentence([ast.emph(container)]) if container else [])


def _type_word(reference: Reference) -> Inlines:
    kind = reference.value("type")
    return _words(TYPE_WORDS.get(kind.lower(), decode_plain(kind))) if kind else []


def _first_text(reference: Reference, *names: str) -> Inlines:
    for name in names:
        if reference.value(name):
            return _text(reference, name)
    return []


_FORMS = {
    "article": _article,
    "book": _book,
    "in": _part,
    "report": _report,
    "thesis": _report,
    "patent": _patent,
    "misc": _misc,
}


def format_reference(reference: Reference) -> Inlines:
    """One annex entry, in the form of its biblatex type (an unknown type prints as @misc)."""
    entry_type = TYPES.get(reference.kind)
    form = _FORMS[entry_type.form if entry_type else "misc"]
    return ast.merge_inlines(_join(form(reference), _links(reference)))


def sort_key(reference: Reference) -> tuple[str, str, str]:
    """Creators, then year, then title, by their decoded text: "{CVE Board}" sorts under C, "Ávila" with "Avila"."""
    people, _ = _creators(reference)
    if people:
        names = " ".join(
            " ".join((_surname(p), _decoded(p.first_names + p.middle_names), _decoded(p.lineage_names))) for p in people
        )
    else:
        names = decode_plain(reference.value("sorttitle") or reference.value("title"))
    title = decode_plain(reference.value("sorttitle") or reference.value("title"))
    return _collation(names), citation_year(reference), _collation(title)


def _collation(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def format_annex(bibliography: Bibliography) -> list[tuple[str, Inlines]]:
    """(key, inlines) for every reference, in annex order."""
    ordered = sorted(bibliography.references, key=lambda reference: (sort_key(reference), reference.key))
    return [(reference.key, format_reference(reference)) for reference in ordered]


def labelled_annex(bibliography: Bibliography) -> list[tuple[str, Inlines, Inlines]]:
    """(key, label, rest) for every reference, in annex order: "Ayvazyan, K. (2019)." and what follows it.

    The label is empty for an entry filed under its title.
    """
    annex = []
    for key, inlines in format_annex(bibliography):
        reference = bibliography.get(key)
        label = ast.merge_inlines(_filed_under(reference)) if reference is not None else []
        split = ast.split_after_text(inlines, ast.stringify(label)) if label else None
        annex.append((key, *(split or ([], inlines))))
    return annex
