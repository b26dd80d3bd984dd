"""The declaration may not reach outside the project: no images, no local files.

pandoc runs sandboxed and Typst with an empty root, so nothing could be read
anyway; this check says so at the place, instead of a failed or silently
different build. Web links (http, https, mailto) and links inside the
document (#id) are fine: they are only printed, never followed.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from ..declaration import Declaration
from ..diagnostics import Diagnostic, error
from ..pandoc_ast import walk
from ..source_text import line_and_column

_PRINTED_SCHEMES = ("http", "https", "mailto")


def check_resources(declaration: Declaration) -> list[Diagnostic]:
    diagnostics = []
    for node in walk(declaration.ast["blocks"]):
        if node["t"] == "Image":
            target = node["c"][2][0]
            diagnostics.append(
                _at(declaration, target, "resource-image", f'image "{target}": the declaration cannot include images')
            )
        elif node["t"] == "Link":
            target = node["c"][2][0]
            if target.startswith("#"):
                continue
            scheme = urlsplit(target).scheme.lower()
            if scheme not in _PRINTED_SCHEMES:
                diagnostics.append(
                    _at(
                        declaration,
                        target,
                        "resource-local-link",
                        f'link to "{target}" points at a file, not a web address; '
                        "only http, https and mailto links can be published",
                    )
                )
    return diagnostics


def _at(declaration: Declaration, target: str, code: str, message: str) -> Diagnostic:
    offset = declaration.text.find(target)
    line, col = line_and_column(declaration.text, offset) if offset >= 0 else (1, 1)
    return error(declaration.display_path, line, col, code, message)
