"""TeX in BibTeX field values, turned into the text the annex prints.

One decoder for every printed field and every name part: accents become
Unicode, protective braces go, `\\emph{…}` becomes emphasis and
`\\mkbibquote{…}` quotation marks. What it cannot decode (an unknown macro such
as `\\apj`, an HTML entity a web import left, math beyond letters and
sub/superscripts) is still printed as well as it can be, and returned as a
`TexProblem`, so that the check reports it: nothing raw reaches the outputs in
silence.

pybtex's own `Text.from_latex` decodes accents but prints every other macro as
written (`\\mkbibquote Intention`), and latexcodec does not remove braces; both
are used below only for the symbols they know.
"""

from __future__ import annotations

import codecs
import html
import re
import unicodedata
from dataclasses import dataclass
from functools import cache

from . import pandoc_ast as ast


@dataclass(frozen=True)
class TexProblem:
    """TeX the decoder could not turn into text. `source` is the text as written, to find it in the file."""

    source: str
    message: str


@dataclass(frozen=True)
class DecodedText:
    text: str
    # pandoc inlines with the same text, emphasis and strong emphasis kept
    inlines: tuple[ast.Node, ...]
    problems: tuple[TexProblem, ...]


# Accent commands, as combining characters.
_ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "d": "\u0323",
    "b": "\u0331",
    "r": "\u030a",
    "t": "\u0361",
}
# Commands without an argument that stand for text. latexcodec knows more (Greek letters, math symbols).
_SYMBOLS = {
    "i": "ı",
    "j": "ȷ",
    "l": "ł",
    "L": "Ł",
    "o": "ø",
    "O": "Ø",
    "ss": "ß",
    "SS": "SS",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "dh": "ð",
    "DH": "Ð",
    "th": "þ",
    "TH": "Þ",
    "ng": "ŋ",
    "NG": "Ŋ",
    "dj": "đ",
    "DJ": "Đ",
    "TeX": "TeX",
    "LaTeX": "LaTeX",
    "LaTeXe": "LaTeX2ε",
    "BibTeX": "BibTeX",
    "textless": "<",
    "textgreater": ">",
    "textbar": "|",
    "textasciitilde": "~",
    "textasciicircum": "^",
    "textbackslash": "\\",
    "textunderscore": "_",
    "textendash": "–",
    "textemdash": "—",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "textcopyright": "©",
    "copyright": "©",
    "textregistered": "®",
    "texttrademark": "™",
    "textdegree": "°",
    "textperiodcentered": "·",
    "textbullet": "•",
    "textsection": "§",
    "S": "§",
    "P": "¶",
    "dag": "†",
    "ddag": "‡",
    "pounds": "£",
    "euro": "€",
    "texteuro": "€",
    "dots": "…",
    "ldots": "…",
    "textellipsis": "…",
    "guillemotleft": "«",
    "guillemotright": "»",
    "quad": " ",
    "qquad": " ",
    "slash": "/",
    "hyphen": "-",
    "space": " ",
    "nobreakspace": "\u00a0",
    # commands that print nothing in a reference
    "relax": "",
    "protect": "",
    "nobreakdash": "",
    "break": "",
    "newblock": " ",
    "noopsort": "",
}
_CONTROL_SYMBOLS = {
    "&": "&",
    "%": "%",
    "$": "$",
    "#": "#",
    "_": "_",
    "{": "{",
    "}": "}",
    " ": " ",
    ",": "\u202f",
    ";": " ",
    "@": "",
    "/": "",
    "-": "",
    "\\": " ",
    "\n": " ",
}
# Commands whose one argument is printed, with a style.
_EMPHASIS = {"emph", "textit", "textsl", "mkbibemph", "mkbibitalic", "it", "em", "sl"}
_STRONG = {"textbf", "mkbibbold", "bf"}
_QUOTED = {"mkbibquote", "enquote", "textquote", "mkbibquote*"}
_PLAIN = {
    "textrm",
    "textsf",
    "texttt",
    "textsc",
    "textnormal",
    "textup",
    "textmd",
    "mbox",
    "hbox",
    "text",
    "NoCaseChange",
    "nocase",
    "ensuremath",
    "autocap",
    "mathrm",
    "mathit",
    "mathbf",
    "mathsf",
    "mathtt",
    "operatorname",
    "rm",
    "sc",
    "tt",
    "sf",
    "normalfont",
    "bibstring",
}
# Declarations that take no argument and only switch a font: their text follows.
_SWITCHES = {"it", "em", "sl", "bf", "rm", "sc", "tt", "sf", "normalfont", "itshape", "bfseries", "scshape", "upshape"}

_SUPERSCRIPTS = dict(zip("0123456789+-=()ni", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱ", strict=True))
_SUBSCRIPTS = dict(zip("0123456789+-=()aeox", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₒₓ", strict=True))

_HTML_ENTITY = re.compile(r"&(#\d+|#[xX][0-9a-fA-F]+|[A-Za-z][A-Za-z0-9]*);")
_HTML_TAG = re.compile(r"</?(?:i|b|em|strong|sup|sub|sc|span|p|br)\b[^<>]*>", re.IGNORECASE)

Piece = str | tuple[str, list]  # literal text, or (style, pieces) with style "emph" or "strong"


@cache
def decode_tex(value: str) -> DecodedText:
    """A BibTeX field value as text and inlines, with what could not be decoded."""
    decoder = _Decoder(value)
    pieces = decoder.pieces()
    pieces = _replace_html(pieces, decoder.problems)
    text = _normalize_space(_plain(pieces))
    inlines = ast.merge_inlines(_inlines(pieces))
    return DecodedText(text, tuple(inlines), tuple(decoder.problems))


def decode_plain(value: str) -> str:
    """Only the text (for names, sorting and citations)."""
    return decode_tex(value).text


class _Decoder:
    """A recursive-descent reader of the small part of TeX that bibliographies use."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.problems: list[TexProblem] = []

    def pieces(self, until: str | None = None) -> list[Piece]:
        pieces: list[Piece] = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            if until is not None and char == until:
                self.pos += 1
                return pieces
            if char == "{":
                self.pos += 1
                pieces += self.pieces(until="}")
            elif char == "}":
                self.pos += 1  # a stray closing brace: the loader already reported unbalanced braces
            elif char == "\\":
                pieces += self.command(pieces)
            elif char == "$":
                pieces.append(self.math("$$" if self.text.startswith("$$", self.pos) else "$"))
            elif char == "~":
                self.pos += 1
                pieces.append("\u00a0")
            else:
                pieces.append(self.literal())
        return pieces

    def literal(self) -> str:
        match = re.compile(r"[^{}\\$~]+").match(self.text, self.pos)
        assert match is not None
        self.pos = match.end()
        text = match.group()
        text = text.replace("---", "—").replace("--", "–").replace("``", "“").replace("''", "”")
        return text

    def argument(self) -> list[Piece]:
        """The next argument: a braced group, or one character or command."""
        while self.pos < len(self.text) and self.text[self.pos] in " \t\n":
            self.pos += 1
        if self.pos >= len(self.text):
            return []
        if self.text[self.pos] == "{":
            self.pos += 1
            return self.pieces(until="}")
        if self.text[self.pos] == "\\":
            return self.command([])
        self.pos += 1
        return [self.text[self.pos - 1]]

    def command(self, before: list[Piece]) -> list[Piece]:
        start = self.pos
        match = re.compile(r"\\([A-Za-z]+\*?|.)", re.DOTALL).match(self.text, self.pos)
        if match is None:  # a backslash at the very end
            self.pos += 1
            return []
        self.pos = match.end()
        name = match.group(1)
        if name.isalpha() or name.endswith("*"):
            while self.pos < len(self.text) and self.text[self.pos] in " \t\n":
                self.pos += 1
        if name in _ACCENTS:
            return [_accent(_plain(self.argument()), _ACCENTS[name])]
        if name in _CONTROL_SYMBOLS:
            return [_CONTROL_SYMBOLS[name]]
        if name == "(":
            self.pos = start
            return [self.math("\\(", close="\\)")]
        if name in _SWITCHES and name not in _EMPHASIS | _STRONG:
            return []
        if name in _SWITCHES:
            # {\em text}: the rest of the group takes the style
            rest = self.pieces(until="}")
            self.pos -= 1 if self.pos <= len(self.text) and self.text[self.pos - 1] == "}" else 0
            return [("emph" if name in _EMPHASIS else "strong", rest)]
        if name in _EMPHASIS:
            return [("emph", self.argument())]
        if name in _STRONG:
            return [("strong", self.argument())]
        if name in _QUOTED:
            return ["“", *self.argument(), "”"]
        if name in _PLAIN:
            return self.argument()
        if name in ("url", "href"):
            target = _plain(self.argument())
            shown = self.argument() if name == "href" else [target]
            self.problems.append(
                TexProblem(
                    self.text[start : self.pos],
                    f"\\{name}{{…}} prints as plain text here; put the address in the url field",
                )
            )
            return shown
        if name in _SYMBOLS:
            return [_SYMBOLS[name]]
        known = _latexcodec_symbol(name)
        if known is not None:
            return [known]
        self.problems.append(
            TexProblem(
                "\\" + name,
                f"unknown TeX command \\{name}: it is left out of the annex; write the text it stands for",
            )
        )
        return []

    def math(self, open_: str, close: str | None = None) -> str:
        close = close or open_
        start = self.pos
        end = self.text.find(close, start + len(open_))
        if end < 0:
            self.pos = len(self.text)
            source = self.text[start:]
        else:
            self.pos = end + len(close)
            source = self.text[start : self.pos]
        body = source[len(open_) : len(source) - len(close) if end >= 0 else None]
        text = _math_text(body)
        if text is None:
            self.problems.append(
                TexProblem(source, f"math {source} cannot be set as text; it is printed as its TeX source")
            )
            return body
        return text


def _accent(base: str, combining: str) -> str:
    if not base:
        return combining.strip() or ""
    first = {"ı": "i", "ȷ": "j"}.get(base[0], base[0])
    return unicodedata.normalize("NFC", first + combining) + base[1:]


@cache
def _latexcodec_symbol(name: str) -> str | None:
    import latexcodec  # noqa: F401  (registers the "ulatex" codec; 0.03 s to import, so only when a field needs it)

    # latexcodec knows some symbols only in math mode ($\\alpha$)
    for source in ("\\" + name, f"${{\\{name}}}$", f"$\\{name}$"):
        try:
            decoded = codecs.decode(source, "ulatex").strip()
        except (ValueError, UnicodeDecodeError):
            continue
        if decoded and not any(c in decoded for c in "\\${}"):
            return decoded
    return None


def _math_text(body: str) -> str | None:
    """Simple math as Unicode text ($\\alpha$, $x^2$, $\\Sigma\\Delta$), or None."""
    decoder = _Decoder(re.sub(r"\\mbox|\\text|\\mathrm", "", body))
    out: list[str] = []
    while decoder.pos < len(decoder.text):
        char = decoder.text[decoder.pos]
        if char in "^_":
            decoder.pos += 1
            argument = _plain(decoder.argument())
            table = _SUPERSCRIPTS if char == "^" else _SUBSCRIPTS
            if not all(c in table for c in argument):
                return None
            out.append("".join(table[c] for c in argument))
        elif char == "{":
            decoder.pos += 1
            inner = _math_text(_group_source(decoder))
            if inner is None:
                return None
            out.append(inner)
        elif char == "\\":
            pieces = decoder.command([])
            if decoder.problems:
                return None
            out.append(_plain(pieces))
        elif char in " ":
            decoder.pos += 1
        else:
            out.append(char)
            decoder.pos += 1
    return "".join(out)


def _group_source(decoder: _Decoder) -> str:
    depth, start = 1, decoder.pos
    while decoder.pos < len(decoder.text) and depth:
        depth += {"{": 1, "}": -1}.get(decoder.text[decoder.pos], 0)
        decoder.pos += 1
    return decoder.text[start : decoder.pos - 1]


def _replace_html(pieces: list[Piece], problems: list[TexProblem]) -> list[Piece]:
    """HTML entities and tags that web imports leave: decoded, and reported."""
    result: list[Piece] = []
    for piece in pieces:
        if isinstance(piece, tuple):
            result.append((piece[0], _replace_html(piece[1], problems)))
            continue
        for entity in _HTML_ENTITY.findall(piece):
            problems.append(
                TexProblem(f"&{entity};", f"HTML entity &{entity}; in BibTeX; write the character itself (& as \\&)")
            )
        for tag in _HTML_TAG.findall(piece):
            problems.append(TexProblem(tag, f"HTML tag {tag} in BibTeX; use \\emph{{…}} or plain text"))
        result.append(html.unescape(_HTML_TAG.sub("", piece)))
    return result


def _plain(pieces: list[Piece]) -> str:
    return "".join(piece if isinstance(piece, str) else _plain(piece[1]) for piece in pieces)


def _normalize_space(text: str) -> str:
    return re.sub(r"[ \t\n\r]+", " ", text).strip()


def _inlines(pieces: list[Piece]) -> list[ast.Node]:
    inlines: list[ast.Node] = []
    for piece in pieces:
        if isinstance(piece, str):
            inlines += ast.text_inlines(re.sub(r"[ \t\n\r]+", " ", piece))
        else:
            children = ast.merge_inlines(_inlines(piece[1]))
            inlines.append(ast.emph(children) if piece[0] == "emph" else {"t": "Strong", "c": children})
    return inlines
