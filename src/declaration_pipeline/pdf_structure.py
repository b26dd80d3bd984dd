"""The print PDF's structure tree, checked as a screen reader would meet it (PDF/UA-1).

Typst tags the PDF; these checks prove, in the file itself, what a template
change could silently break: headings that do not skip a level, every link
annotation inside a Link element with a description, and page furniture (the
page numbers) kept out of the text as artifacts.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .diagnostics import Diagnostic, error

_HEADING = re.compile(r"/H([1-6])")


@dataclass(frozen=True)
class TextPiece:
    """One text object of a page: tagged content (it has a marked-content id), an artifact, or neither."""

    page: int
    bottom: float
    tagged: bool
    artifact: bool


def structure_elements(root: object) -> Iterator[dict]:
    """Every structure element under the tree's root, in document (reading) order."""
    stack = [root]
    while stack:
        node = stack.pop()
        node = node.get_object() if hasattr(node, "get_object") else node
        if not hasattr(node, "get") or "/MCID" in node or node.get("/Type") == "/OBJR":
            continue
        if "/S" in node:
            yield node
        kids = node.get("/K")
        kids = kids if isinstance(kids, list) else [] if kids is None else [kids]
        stack.extend(reversed(kids))


def heading_problems(where: str, root: object) -> list[Diagnostic]:
    """Headings go down one level at a time: H1, H2, H3; never H1 to H3."""
    previous = 0
    for element in structure_elements(root):
        match = _HEADING.fullmatch(str(element["/S"]))
        if not match:
            continue
        level = int(match[1])
        if level > previous + 1:
            title = element.get("/T", "")
            return [
                error(where, 1, 1, "verify-pdf-headings", f'heading "{title}" is H{level} after H{previous}: a skip')
            ]
        previous = level
    return []


def _number_tree(node: object) -> dict[int, object]:
    node = node.get_object() if hasattr(node, "get_object") else node
    entries: dict[int, object] = {}
    numbers = node.get("/Nums", [])  # type: ignore[attr-defined]
    for index in range(0, len(numbers) - 1, 2):
        entries[int(numbers[index])] = numbers[index + 1]
    for kid in node.get("/Kids", []):  # type: ignore[attr-defined]
        entries.update(_number_tree(kid))
    return entries


def link_annotation_problems(where: str, root: object, pages: list) -> list[Diagnostic]:
    """Every link annotation is the child of a Link structure element and says where it goes (/Contents)."""
    parents = _number_tree(root["/ParentTree"]) if "/ParentTree" in root else {}  # type: ignore[operator, index]
    problems = []
    for number, page in enumerate(pages, 1):
        for annotation in page.get("/Annots") or []:
            annotation = annotation.get_object()
            if annotation.get("/Subtype") != "/Link":
                continue
            parent = parents.get(int(annotation.get("/StructParent", -1)))
            parent = parent.get_object() if hasattr(parent, "get_object") else parent
            if parent is None or not hasattr(parent, "get") or parent.get("/S") != "/Link":
                found = parent.get("/S") if hasattr(parent, "get") else "nothing"
                problems.append(
                    error(where, 1, 1, "verify-pdf-link-tags", f"a link on page {number} is inside {found}, not a Link")
                )
            if not str(annotation.get("/Contents", "")).strip():
                problems.append(
                    error(
                        where, 1, 1, "verify-pdf-link-tags", f"a link on page {number} has no description (/Contents)"
                    )
                )
    return problems


def furniture_problems(where: str, pieces: list[TextPiece]) -> list[Diagnostic]:
    """No text is both untagged and not an artifact, and the lowest text of each page (its number) is an artifact."""
    problems = []
    stray = sorted({piece.page for piece in pieces if not piece.tagged and not piece.artifact})
    if stray:
        pages = ", ".join(map(str, stray[:5])) + (", ..." if len(stray) > 5 else "")
        problems.append(
            error(where, 1, 1, "verify-pdf-artifact", f"text neither tagged nor marked as an artifact on pages {pages}")
        )
    lowest: dict[int, TextPiece] = {}
    for piece in pieces:
        if piece.page not in lowest or piece.bottom < lowest[piece.page].bottom:
            lowest[piece.page] = piece
    for page, piece in sorted(lowest.items()):
        if not piece.artifact:
            problems.append(
                error(where, 1, 1, "verify-pdf-artifact", f"page {page}: the footer is read as text, not an artifact")
            )
    return problems
