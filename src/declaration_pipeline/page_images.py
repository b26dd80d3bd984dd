"""Pictures of the verified PDF's pages, rendered by PDFium, for `doit serve`'s print page.

Pictures rather than the browser's PDF viewer: Chromium's viewer goes back to
page 1 whenever the file is reloaded, and a page cannot ask it where the reader
was. Pictures of the pages are swapped one by one, so the reader keeps their
place. They are rendered from the PDF itself (the verified bytes), one page at
a time as the browser asks for it, so a 700-page edition costs only the pages
looked at.

PDFium is not thread-safe: in a process that renders and verifies at the same
time, every use of it holds PDFIUM_LOCK.
"""

from __future__ import annotations

import struct
import threading
import zlib

PDFIUM_LOCK = threading.Lock()
# 108 dpi: a page fills a 900-pixel column sharply.
SCALE = 1.5


def page_count(pdf: bytes) -> int:
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(pdf)
        try:
            return len(document)
        finally:
            document.close()


def page_png(pdf: bytes, number: int) -> bytes:
    """Page `number` (from 1) as a PNG."""
    import pypdfium2 as pdfium

    with PDFIUM_LOCK:
        document = pdfium.PdfDocument(pdf)
        try:
            bitmap = document[number - 1].render(scale=SCALE, rev_byteorder=True)  # RGB, not PDFium's BGR
            width, height, stride, channels = bitmap.width, bitmap.height, bitmap.stride, bitmap.n_channels
            pixels = bytes(bitmap.buffer)
        finally:
            document.close()
    return encode_png(
        width, height, channels, [pixels[y * stride : y * stride + width * channels] for y in range(height)]
    )


def encode_png(width: int, height: int, channels: int, rows: list[bytes]) -> bytes:
    """A PNG of 8-bit RGB (3 channels) or RGBA (4) rows; no Pillow needed for so little."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    colour_type = {3: 2, 4: 6}[channels]
    header = struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0)
    # Filter byte 0 (none) before each row; level 1 is ten times faster than 9 and little larger on text.
    image = zlib.compress(b"".join(b"\x00" + row for row in rows), 1)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", image) + chunk(b"IEND", b"")
