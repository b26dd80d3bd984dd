"""The print PDF's structure tree, checked as a screen reader would meet it (PDF/UA-1).

Typst tags the PDF; these checks prove, in the file itself, what a template
change could silently break: headings that do not skip a level, every link
annotation inside a Link element with a description, and page furniture (the
page numbers) kept out of the text as artifacts. The tree is read once
(`read_structure_tree`, pikepdf objects) and every check works on that reading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .diagnostics import Diagnostic, error

_HEADING = re.compile(r"/H([1-6])")

# One marked-content sequence: (the object number of its page, its marked-content id).
MarkedRef = tuple[int, int]


@dataclass(frozen=True)
class TextPiece:
    """One text object of a page: tagged content (it has a marked-content id), an artifact, or neither."""

    page: int
    baseline: float
    tagged: bool
    artifact: bool


@dataclass(frozen=True)
class StructureTree:
    """What the checks read of a structure tree, from one walk in reading order."""

    # every element's tag ("/H1") and title (/T)
    elements: tuple[tuple[str, str], ...]
    # for each tag asked for, each such element's marked content (its whole subtree's), in reading order
    content: dict[str, list[list[MarkedRef]]]


def structure_elements(root: object) -> Iterator[dict]:
    """Every structure element under the tree's root, in document (reading) order (pypdf objects)."""
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


def read_structure_tree(root: object | None, tags: Iterable[str]) -> StructureTree:
    """Walk a structure tree (pikepdf objects) once: every element, and the marked content of those with `tags`.

    A marked-content id is a kid of its element: a number (on the page of the
    nearest /Pg above it) or a marked-content reference (/MCR, with its own /Pg).
    """
    import pikepdf

    content: dict[str, list[list[MarkedRef]]] = {tag: [] for tag in tags}
    elements: list[tuple[str, str]] = []
    if root is None:
        return StructureTree((), content)
    # (node, page object number, the content lists of the wanted elements it is inside)
    stack: list[tuple[object, int | None, tuple[list[MarkedRef], ...]]] = [(root, None, ())]
    while stack:
        node, page, owners = stack.pop()
        if isinstance(node, int):
            if page is not None:
                for owner in owners:
                    owner.append((page, node))
            continue
        if not isinstance(node, pikepdf.Dictionary):
            continue
        tag = node.get("/S")
        page_ref = node.get("/Pg")
        if page_ref is not None:
            page = page_ref.objgen[0]
        if tag is None:  # the root, a marked-content reference, or an object reference (an annotation's)
            mcid = node.get("/MCID")
            if mcid is not None:
                stack.append((int(mcid), page, owners))
                continue
        else:
            tag = str(tag)
            # Only a heading's title is read: asking every element for it costs a tenth of the walk.
            elements.append((tag, str(node.get("/T", "")) if tag.startswith("/H") else ""))
            if tag in content:
                parts: list[MarkedRef] = []
                content[tag].append(parts)
                owners = (*owners, parts)
        kids = node.get("/K")
        if isinstance(kids, pikepdf.Array):
            stack.extend((kid, page, owners) for kid in reversed(list(kids)))  # list() first: 8 times faster
        elif kids is not None:
            stack.append((kids, page, owners))
    return StructureTree(tuple(elements), content)


def heading_problems(where: str, tree: StructureTree) -> list[Diagnostic]:
    """Headings go down one level at a time: H1, H2, H3; never H1 to H3."""
    previous = 0
    for tag, title in tree.elements:
        match = _HEADING.fullmatch(tag)
        if not match:
            continue
        level = int(match[1])
        if level > previous + 1:
            return [
                error(where, 1, 1, "verify-pdf-headings", f'heading "{title}" is H{level} after H{previous}: a skip')
            ]
        previous = level
    return []


def _number_tree(node: object) -> dict[int, object]:
    entries: dict[int, object] = {}
    numbers = node.get("/Nums", [])  # type: ignore[attr-defined]
    for index in range(0, len(numbers) - 1, 2):
        entries[int(numbers[index])] = numbers[index + 1]
    for kid in node.get("/Kids", []):  # type: ignore[attr-defined]
        entries.update(_number_tree(kid))
    return entries


def link_annotation_problems(where: str, root: object, pages: list) -> list[Diagnostic]:
    """Every link annotation is the child of a Link structure element and says where it goes (/Contents).

    `root` is the structure tree's root and `pages` the page dictionaries, as pikepdf objects.
    """
    import pikepdf

    parents = _number_tree(root["/ParentTree"]) if "/ParentTree" in root else {}  # type: ignore[operator, index]
    problems = []
    for number, page in enumerate(pages, 1):
        for annotation in page.get("/Annots") or []:
            if annotation.get("/Subtype") != "/Link":
                continue
            parent = parents.get(int(annotation.get("/StructParent", -1)))
            tag = parent.get("/S") if isinstance(parent, pikepdf.Dictionary) else None
            if tag != "/Link":
                found = tag if tag is not None else "nothing"
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
        if piece.page not in lowest or piece.baseline < lowest[piece.page].baseline:
            lowest[piece.page] = piece
    for page, piece in sorted(lowest.items()):
        if not piece.artifact:
            problems.append(
                error(where, 1, 1, "verify-pdf-artifact", f"page {page}: the footer is read as text, not an artifact")
            )
    return problems
