"""Drawing asset cards: one card as a PNG, or A4 print sheets of 2 × 4 cards as a PDF.

The Chinese font is Noto Sans SC (SIL OFL) from the `pylopdf-fonts-zh-cn` wheel, so a fresh
`pip install` renders the same cards on any machine without an apt font package.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Iterable

import pylopdf_fonts_zh_cn
import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M

from models.assets.entities import Asset, format_wan

DPI = 200


MM = DPI / 25.4


CARD_SIZE = (round(95 * MM), round(65 * MM))


A4_SIZE = (round(210 * MM), round(297 * MM))


SHEET_COLUMNS, SHEET_ROWS = 2, 4


CARDS_PER_SHEET = SHEET_COLUMNS * SHEET_ROWS


QR_SIDE = round(34 * MM)


PADDING = round(4 * MM)


PAGES_PER_WRITE = 8


LABEL_WIDTH = 122


SCAN_LINE = "微信扫一扫：查看资产情况、反映问题"


# A code point no font has: whatever the font draws for it is its "missing glyph" box (tofu).
NO_SUCH_CHARACTER = "\U0010fffd"


@functools.cache
def font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(pylopdf_fonts_zh_cn.sans_path()), size)


def missing_glyphs(text: str, size: int = 24) -> set[str]:
    """The characters of `text` the card font would draw as tofu boxes."""
    tofu = bytes(font(size).getmask(NO_SUCH_CHARACTER))
    return {ch for ch in set(text) if not ch.isspace() and bytes(font(size).getmask(ch)) == tofu}


def card_lines(asset: Asset) -> list[tuple[str, str]]:
    """The labelled lines printed on the card, in order."""
    place = asset.village.full_name + (asset.hamlet or "")
    custodian = f"{asset.custodian_name}  {asset.custodian_phone}".strip()
    return [
        ("资产编号", asset.code),
        ("资产类别", f"{asset.asset_class.label} · {asset.subtype.name}"),
        ("建设年度", f"{asset.project_year}年"),
        ("资金来源", asset.funding_text or "—"),
        ("资产原值", f"{format_wan(asset.original_value)}万元"),
        ("产权归属", asset.owner),
        ("管护主体", asset.custodian_body),
        ("管护责任人", custodian),
        ("所在位置", place),
    ]


def qr_image(text: str, side: int = QR_SIDE) -> Image.Image:
    """A QR code for `text` (error correction M, 4-module quiet zone), about `side` pixels wide."""
    code = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=1, border=4)
    code.add_data(text)
    code.make(fit=True)
    modules = code.make_image().get_image().convert("L")
    scale = max(1, side // modules.width)
    return modules.resize((modules.width * scale, modules.height * scale), Image.Resampling.NEAREST)


def _fit(draw: ImageDraw.ImageDraw, text: str, face: ImageFont.FreeTypeFont, width: int) -> str:
    """`text`, cut with an ellipsis so that it fits in `width` pixels."""
    if draw.textlength(text, font=face) <= width:
        return text
    while text and draw.textlength(text + "…", font=face) > width:
        text = text[:-1]
    return text + "…"


def render_card(asset: Asset, qr_text: str) -> Image.Image:
    """One card (95 × 65 mm at 200 dpi, greyscale) whose QR code carries `qr_text`."""
    card = Image.new("L", CARD_SIZE, 255)
    draw = ImageDraw.Draw(card)
    width, height = CARD_SIZE
    draw.rectangle((0, 0, width - 1, height - 1), outline=0, width=3)
    title_face, label_face, small_face = font(34), font(21), font(20)
    title_bottom = PADDING + 48
    draw.rectangle((3, 3, width - 4, title_bottom), fill=0)
    title = _fit(draw, asset.name, title_face, width - 2 * PADDING)
    draw.text((PADDING, PADDING - 4), title, font=title_face, fill=255)
    qr = qr_image(qr_text)
    qr_left = width - PADDING - qr.width
    card.paste(qr, (qr_left, title_bottom + 10))
    text_width = qr_left - PADDING - 8
    y = title_bottom + 12
    for label, value in card_lines(asset):
        draw.text((PADDING, y), label, font=label_face, fill=90)
        value = _fit(draw, value, label_face, text_width - LABEL_WIDTH)
        draw.text((PADDING + LABEL_WIDTH, y), value, font=label_face, fill=0)
        y += 31
    draw.text(
        (qr_left + qr.width // 2, title_bottom + 14 + qr.height), "扫码查看", font=small_face, fill=0, anchor="mt"
    )
    draw.line((PADDING, height - PADDING - 30, width - PADDING, height - PADDING - 30), fill=160, width=1)
    draw.text((width // 2, height - PADDING - 2), SCAN_LINE, font=small_face, fill=0, anchor="mb")
    return card


def card_png(asset: Asset, qr_text: str) -> bytes:
    out = io.BytesIO()
    render_card(asset, qr_text).save(out, "PNG", optimize=True)
    return out.getvalue()


def sheets_pdf(cards: Iterable[tuple[Asset, str]], title: str = "资产卡") -> bytes:
    """A4 pages of 2 × 4 cards (each `(asset, qr_text)`), ready to print at 100 % and cut out.

    Pages are written to the PDF a few at a time, so a whole district's cards never sit in memory.
    """
    out = io.BytesIO()
    pages: list[Image.Image] = []
    gap_x = (A4_SIZE[0] - SHEET_COLUMNS * CARD_SIZE[0]) // (SHEET_COLUMNS + 1)
    gap_y = (A4_SIZE[1] - SHEET_ROWS * CARD_SIZE[1]) // (SHEET_ROWS + 1)
    for index, (asset, qr_text) in enumerate(cards):
        slot = index % CARDS_PER_SHEET
        if slot == 0:
            if len(pages) == PAGES_PER_WRITE:
                _write_pages(out, pages, title)
                pages = []
            pages.append(Image.new("L", A4_SIZE, 255))
        column, row = slot % SHEET_COLUMNS, slot // SHEET_COLUMNS
        position = (gap_x + column * (CARD_SIZE[0] + gap_x), gap_y + row * (CARD_SIZE[1] + gap_y))
        pages[-1].paste(render_card(asset, qr_text), position)
    if not pages and not out.tell():
        raise ValueError("no cards to print")
    _write_pages(out, pages, title)
    return out.getvalue()


def _write_pages(out: io.BytesIO, pages: list[Image.Image], title: str) -> None:
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
