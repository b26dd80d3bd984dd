"""biblatex's data model, as far as the annex needs it.

Entry types and their BibTeX aliases, the fields each type requires
(biblatex manual, section 2.1.1), the field aliases BibTeX files use, and
how `crossref` passes fields from a parent to a child (appendix B). The
loader resolves inheritance with this table, the check enforces the required
fields, and the annex style picks each type's printed form from it.
"""

from __future__ import annotations

from dataclasses import dataclass

# Who an entry is filed under: "author", "editor", "author/editor" (either), or "" (neither needed).
# Books and their parts accept an editor instead of an author, as BibTeX's @book always did: an
# edited volume is a book.
Creators = str


@dataclass(frozen=True)
class EntryType:
    # the form the annex prints: article, book, in (a part of a book), report, thesis, patent, misc
    form: str
    creators: Creators
    # each item is one required field, or alternatives separated by "/" (any one will do)
    required: tuple[str, ...] = ()


_DATED = ("title", "year/date")
TYPES: dict[str, EntryType] = {
    "article": EntryType("article", "author", (*_DATED, "journaltitle")),
    "book": EntryType("book", "author/editor", _DATED),
    "mvbook": EntryType("book", "author/editor", _DATED),
    "inbook": EntryType("in", "author/editor", (*_DATED, "booktitle")),
    "bookinbook": EntryType("in", "author/editor", (*_DATED, "booktitle")),
    "suppbook": EntryType("in", "author/editor", (*_DATED, "booktitle")),
    "booklet": EntryType("misc", "author/editor", _DATED),
    "collection": EntryType("book", "editor", _DATED),
    "mvcollection": EntryType("book", "editor", _DATED),
    "incollection": EntryType("in", "author", (*_DATED, "booktitle")),
    "suppcollection": EntryType("in", "author", (*_DATED, "booktitle")),
    "dataset": EntryType("misc", "author/editor", _DATED),
    "manual": EntryType("book", "author/editor", _DATED),
    "misc": EntryType("misc", "author/editor", _DATED),
    "online": EntryType("misc", "author/editor", (*_DATED, "doi/eprint/url")),
    "patent": EntryType("patent", "author", (*_DATED, "number")),
    "periodical": EntryType("book", "editor", _DATED),
    "suppperiodical": EntryType("article", "author", (*_DATED, "journaltitle")),
    "proceedings": EntryType("book", "", _DATED),
    "mvproceedings": EntryType("book", "", _DATED),
    "inproceedings": EntryType("in", "author", (*_DATED, "booktitle")),
    "reference": EntryType("book", "editor", _DATED),
    "mvreference": EntryType("book", "editor", _DATED),
    "inreference": EntryType("in", "author", (*_DATED, "booktitle")),
    "report": EntryType("report", "author", (*_DATED, "type", "institution")),
    "software": EntryType("misc", "author/editor", _DATED),
    "thesis": EntryType("thesis", "author", (*_DATED, "type", "institution")),
    "unpublished": EntryType("misc", "author", _DATED),
}
# BibTeX's names, and the types biblatex accepts but styles print as @misc.
TYPE_ALIASES = {
    "conference": "inproceedings",
    "electronic": "online",
    "www": "online",
    "mastersthesis": "thesis",
    "phdthesis": "thesis",
    "techreport": "report",
    **{
        name: "misc"
        for name in (
            "artwork",
            "audio",
            "bibnote",
            "commentary",
            "image",
            "jurisdiction",
            "legislation",
            "legal",
            "letter",
            "movie",
            "music",
            "performance",
            "review",
            "standard",
            "video",
        )
    },
}
# The `type` field the BibTeX aliases imply.
IMPLIED_TYPE = {"mastersthesis": "mathesis", "phdthesis": "phdthesis", "techreport": "techreport"}
# Entries that hold data for others and are never printed on their own.
NOT_PRINTED = {"set", "xdata"}

# biblatex name -> the BibTeX name that means the same.
FIELD_ALIASES = {
    "journaltitle": "journal",
    "location": "address",
    "institution": "school",
    "annotation": "annote",
    "eprinttype": "archiveprefix",
    "eprintclass": "primaryclass",
}

# Localisation keys biblatex prints as words, for `type` fields.
TYPE_WORDS = {
    "phdthesis": "PhD thesis",
    "mathesis": "Master's thesis",
    "candthesis": "Candidate thesis",
    "techreport": "Technical report",
    "resreport": "Research report",
    "software": "Computer software",
    "datacd": "CD-ROM",
    "audiocd": "Audio CD",
    "patent": "Patent",
    "patentus": "U.S. patent",
    "patenteu": "European patent",
    "patentuk": "British patent",
    "patentde": "German patent",
    "patentfr": "French patent",
    "patreq": "Patent request",
    "patrequs": "U.S. patent request",
    "patreqeu": "European patent request",
    "patrequk": "British patent request",
    "patreqde": "German patent request",
    "patreqfr": "French patent request",
}

# crossref: what a child of these types takes from a parent of those, under another name.
_BOOK_PARTS = {"title": ("booktitle",), "subtitle": ("booksubtitle",), "titleaddon": ("booktitleaddon",)}
_RENAMED_FROM_PARENT: list[tuple[set[str], set[str], dict[str, tuple[str, ...]]]] = [
    ({"mvbook", "book"}, {"inbook", "bookinbook", "suppbook"}, {**_BOOK_PARTS, "author": ("author", "bookauthor")}),
    (
        {"collection", "reference", "mvcollection", "mvreference"},
        {"incollection", "suppcollection", "inreference"},
        _BOOK_PARTS,
    ),
    ({"proceedings", "mvproceedings"}, {"inproceedings"}, _BOOK_PARTS),
    (
        {"periodical"},
        {"article", "suppperiodical"},
        {"title": ("journaltitle",), "subtitle": ("journalsubtitle",)},
    ),
]
# Never inherited (biblatex's \DefaultInheritance exceptions).
NOT_INHERITED = {
    "ids",
    "crossref",
    "xref",
    "xdata",
    "entryset",
    "entrysubtype",
    "execute",
    "label",
    "options",
    "presort",
    "related",
    "relatedoptions",
    "relatedstring",
    "relatedtype",
    "shorthand",
    "shorthandintro",
    "sortkey",
    "shorttitle",
    "sorttitle",
    "indextitle",
    "indexsorttitle",
}


def biblatex_type(entry_type: str) -> str:
    """The biblatex type of an entry type as written ("phdthesis" -> "thesis")."""
    entry_type = entry_type.lower()
    return TYPE_ALIASES.get(entry_type, entry_type)


def inherited_names(parent_type: str, child_type: str, name: str) -> tuple[str, ...]:
    """The names a parent's field takes in the child: none when it is not inherited."""
    if name in NOT_INHERITED:
        return ()
    parent, child = biblatex_type(parent_type), biblatex_type(child_type)
    for parents, children, renamed in _RENAMED_FROM_PARENT:
        if parent in parents and child in children:
            if name in renamed:
                return renamed[name]
            if name in ("title", "subtitle", "titleaddon"):
                return ()
    return (name,)
