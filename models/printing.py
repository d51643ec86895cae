"""Drawing for print: the Chinese font, QR codes, text wrapped to a width, and pages as a PDF.

Asset cards (`assets.card_render`) and notice posters (`notices.poster`) are drawn with these.
The Chinese font is Noto Sans SC (SIL OFL) from the `pylopdf-fonts-zh-cn` wheel, so a fresh
`pip install` prints the same on any machine without an apt font package.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

import pylopdf_fonts_zh_cn
import qrcode
from PIL import Image, ImageFont
from qrcode.constants import ERROR_CORRECT_M

DPI = 200


MM = DPI / 25.4


A4_SIZE = (round(210 * MM), round(297 * MM))


QR_SIDE = round(34 * MM)


PAGES_PER_WRITE = 8


# A code point no font has: whatever the font draws for it is its "missing glyph" box (tofu).
NO_SUCH_CHARACTER = "\U0010fffd"


# Where a line may break: after these, between phrases (a list of funding sources breaks after 、).
_PHRASE_END = re.compile(r"(?<=[、，；。\u3000])(?=\S)")


# What a line never splits: a run of digits or Latin letters, a character with the opening
# brackets before it and the closing punctuation after it (避头尾), or a run of spaces.
_ATOM = re.compile(r"[（(「《“]*(?:[0-9A-Za-z.\-%]+|\S)[）)」》”’、，；。：:！？!?…—%,.;]*|\s+")


@functools.cache
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(pylopdf_fonts_zh_cn.sans_path()), size)


def line_height(size: int) -> int:
    """The distance between two lines of text printed at `size` pixels."""
    ascent, descent = font(size).getmetrics()
    return ascent + descent


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


def fit(text: str, face: ImageFont.FreeTypeFont, width: float) -> str:
    """`text`, cut with an ellipsis so that it fits on one line of `width` pixels (for a heading
    that repeats what is printed whole elsewhere)."""
    if face.getlength(text) <= width:
        return text
    while text and face.getlength(text + "…") > width:
        text = text[:-1]
    return text + "…"


def wrap(text: str, face: ImageFont.FreeTypeFont, width: float) -> list[str]:
    """`text` as lines no wider than `width` pixels in `face`, nothing left out: each newline
    starts a line; otherwise broken between phrases where it can, else between characters, never
    inside a number or a Latin word, never before closing punctuation. Joined, the lines of a
    paragraph give it back (a space at a break stays at the end of its line)."""
    return [line for paragraph in text.split("\n") for line in _wrap_paragraph(paragraph, face, width)]


def _wrap_paragraph(text: str, face: ImageFont.FreeTypeFont, width: float) -> list[str]:
    def fits(line: str) -> bool:
        return face.getlength(line.rstrip()) <= width

    lines = [""]
    for phrase in _PHRASE_END.split(text):
        if fits(lines[-1] + phrase):
            lines[-1] += phrase
            continue
        if fits(phrase) and lines[-1]:
            lines.append(phrase)
            continue
        for atom in _ATOM.findall(phrase):
            for piece in [atom] if fits(atom) else list(atom):  # an atom wider than a line: by characters
                if fits(lines[-1] + piece) or not lines[-1] or piece.isspace():
                    lines[-1] += piece
                else:
                    lines.append(piece)
    return lines


@dataclass(frozen=True)
class Printed:
    pdf: bytes
    pages: int


def pdf(pages: Iterable[Image.Image], title: str) -> Printed:
    """The pages as one PDF at `DPI`, written a few at a time so that many never sit in memory."""
    out, batch, written = io.BytesIO(), [], 0
    for page in pages:
        batch.append(page)
        if len(batch) == PAGES_PER_WRITE:
            _write(out, batch, title)
            written, batch = written + len(batch), []
    if not batch and not written:
        raise ValueError("no pages to print")
    _write(out, batch, title)
    return Printed(out.getvalue(), written + len(batch))


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
