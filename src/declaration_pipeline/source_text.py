"""Reading a source file into text the rest of the pipeline can trust.

Every loader goes through `read_source`, so encoding problems, NUL bytes,
oversized files and missing files are reported the same way for all three
sources. A UTF-8 byte order mark and CRLF line endings simply work: they are
removed here, and since only whole characters are dropped, line and column
numbers still match what an editor shows.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from pathlib import Path

from .diagnostics import Diagnostic, error

# Far beyond any real declaration; refusing early keeps a hostile or mistaken
# input from tying up the machine (see README, "Limits"). 16 MB of YAML holds
# about 400,000 names.
MAX_SOURCE_BYTES = {".md": 2_000_000, ".bib": 4_000_000, ".yaml": 16_000_000}


@dataclass(frozen=True)
class SourceText:
    """A source's text as loaded: `display_path` is what diagnostics print."""

    display_path: str
    text: str


def read_source(path: Path, display_path: str) -> tuple[SourceText | None, list[Diagnostic]]:
    limit = MAX_SOURCE_BYTES.get(path.suffix, min(MAX_SOURCE_BYTES.values()))
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None, [error(display_path, 1, 1, "source-missing", "file not found")]
    except OSError as exc:
        return None, [error(display_path, 1, 1, "source-unreadable", f"cannot read: {exc.strerror}")]
    if size > limit:
        return None, [
            error(
                display_path,
                1,
                1,
                "source-too-large",
                f"file is {size / 1e6:.1f} MB; the limit for a {path.suffix} source is {limit / 1e6:.0f} MB",
            )
        ]
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, [error(display_path, 1, 1, "source-unreadable", f"cannot read: {exc.strerror}")]
    return decode_source(data, display_path)


def decode_source(data: bytes, display_path: str) -> tuple[SourceText | None, list[Diagnostic]]:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        valid_prefix = data[: exc.start].decode("utf-8")
        line, col = line_and_column(valid_prefix, len(valid_prefix))
        return None, [
            error(
                display_path,
                line,
                col,
                "source-encoding",
                f"invalid UTF-8 (byte 0x{data[exc.start]:02x}); save the file as UTF-8",
            )
        ]
    nul = text.find("\0")
    if nul >= 0:
        line, col = line_and_column(text, nul)
        return None, [error(display_path, line, col, "source-nul-byte", "NUL byte in text file")]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, [error(display_path, 1, 1, "source-empty", "file is empty")]
    return SourceText(display_path, text), []


def line_and_column(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


class LineIndex:
    """Offset -> (line, column) for many lookups in one text, in O(log n) each."""

    def __init__(self, text: str) -> None:
        self._starts = [0]
        start = text.find("\n")
        while start >= 0:
            self._starts.append(start + 1)
            start = text.find("\n", start + 1)

    def position(self, offset: int) -> tuple[int, int]:
        index = bisect_right(self._starts, offset) - 1
        return index + 1, offset - self._starts[index] + 1
