"""Drawing for print: the Chinese font, QR codes, text that fits a width, and A4 pages as a PDF.

Asset cards (`assets.card_render`) and notice posters (`notices.poster`) are drawn with these.
The Chinese font is Noto Sans SC (SIL OFL) from the `pylopdf-fonts-zh-cn` wheel, so a fresh
`pip install` prints the same on any machine without an apt font package.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable, Iterator

import pylopdf_fonts_zh_cn
import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

DPI = 200


MM = DPI / 25.4


A4_SIZE = (round(210 * MM), round(297 * MM))


QR_SIDE = round(34 * MM)


PAGES_PER_WRITE = 8


# A code point no font has: whatever the font draws for it is its "missing glyph" box (tofu).
NO_SUCH_CHARACTER = "\U0010fffd"


# Characters that may not begin a line (Chinese line breaking, 避头点): they stay with the line before.
NO_LINE_START = set("，。、；：？！）》」』”’…—%,.;:?!)]}")


# What a line may not be broken inside: a run of Latin letters, digits and their signs (2026年, 10.5万元).
UNBROKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9.,:/%@_+-]*|.", re.DOTALL)


@functools.cache
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(pylopdf_fonts_zh_cn.sans_path()), size)


def missing_glyphs(text: str, size: int = 24) -> set[str]:
    """The characters of `text` the font would draw as tofu boxes."""
    tofu = bytes(font(size).getmask(NO_SUCH_CHARACTER))
    return {ch for ch in set(text) if not ch.isspace() and bytes(font(size).getmask(ch)) == tofu}


def qr_image(text: str, side: int = QR_SIDE) -> Image.Image:
    """A QR code for `text` (error correction M, 4-module quiet zone), about `side` pixels wide."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(text)
    code.make(fit=True)
    modules = code.make_image().get_image().convert("L")
    scale = max(1, side // modules.width)
    return modules.resize((modules.width * scale, modules.height * scale), Image.Resampling.NEAREST)


def fit(draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont, width: int) -> str:
    """`text`, cut with an ellipsis so that it fits in `width` pixels."""
    if draw.textlength(text, font=face) <= width:
        return text
    while text and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return text + "…"


def wrap(draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont, width: int) -> Iterator[str]:
    """The lines `text` takes in `width` pixels: broken between Chinese characters (it has no
    spaces) but not inside a number or a Latin word (unless it is wider than a line), never before
    a closing punctuation mark; each newline starts a new line."""
    for paragraph in text.splitlines() or [""]:
        pieces: list[str] = []
        for piece in UNBROKEN.findall(paragraph.rstrip()):
            pieces.extend(piece if draw.textlength(piece, font=face) > width else [piece])
        line = ""
        for piece in pieces:
            if line and piece[0] not in NO_LINE_START and draw.textlength(line + piece, font=face) > width:
                yield line
                line = ""
            line += piece
        yield line


def pdf(pages: Iterable[Image.Image], title: str) -> bytes:
    """The pages as one PDF at `DPI`, written a few at a time so that many never sit in memory."""
    out, batch = io.BytesIO(), []
    for page in pages:
        batch.append(page)
        if len(batch) == PAGES_PER_WRITE:
            _write(out, batch, title)
            batch = []
    if not batch and not out.tell():
        raise ValueError("no pages to print")
    _write(out, batch, title)
    return out.getvalue()


def _write(out: io.BytesIO, pages: list[Image.Image], title: str) -> None:
    if pages:
        pages[0].save(
            out,
            "PDF",
            resolution=DPI,
            save_all=True,
            append_images=pages[1:],
            title=title,
            append=out.tell() > 0,
            quality=90,
        )
