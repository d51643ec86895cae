"""Drawing asset cards: one card as a PNG, or A4 print sheets of 2 × 4 cards as a PDF (with the
font, QR codes and pages of `models.printing`)."""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator

from PIL import Image, ImageDraw

from models.assets.entities import Asset, format_wan
from models.printing import A4_SIZE, MM, fit, font, pdf, qr_image

CARD_SIZE = (round(95 * MM), round(65 * MM))


SHEET_COLUMNS, SHEET_ROWS = 2, 4


CARDS_PER_SHEET = SHEET_COLUMNS * SHEET_ROWS


PADDING = round(4 * MM)


LABEL_WIDTH = 122


SCAN_LINE = "微信扫一扫：查看资产情况、反映问题"


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


def render_card(asset: Asset, qr_text: str) -> Image.Image:
    """One card (95 × 65 mm at 200 dpi, greyscale) whose QR code carries `qr_text`."""
    card = Image.new("L", CARD_SIZE, 255)
    draw = ImageDraw.Draw(card)
    width, height = CARD_SIZE
    draw.rectangle((0, 0, width - 1, height - 1), outline=0, width=3)
    title_face, label_face, small_face = font(34), font(21), font(20)
    title_bottom = PADDING + 48
    draw.rectangle((3, 3, width - 4, title_bottom), fill=0)
    title = fit(draw, asset.name, title_face, width - 2 * PADDING)
    draw.text((PADDING, PADDING - 4), title, font=title_face, fill=255)
    qr = qr_image(qr_text)
    qr_left = width - PADDING - qr.width
    card.paste(qr, (qr_left, title_bottom + 10))
    text_width = qr_left - PADDING - 8
    y = title_bottom + 12
    for label, value in card_lines(asset):
        draw.text((PADDING, y), label, font=label_face, fill=90)
        value = fit(draw, value, label_face, text_width - LABEL_WIDTH)
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

    Pages are drawn as the PDF is written, so a whole district's cards never sit in memory.
    """
    return pdf(_sheets(cards), title)


def _sheets(cards: Iterable[tuple[Asset, str]]) -> Iterator[Image.Image]:
    gap_x = (A4_SIZE[0] - SHEET_COLUMNS * CARD_SIZE[0]) // (SHEET_COLUMNS + 1)
    gap_y = (A4_SIZE[1] - SHEET_ROWS * CARD_SIZE[1]) // (SHEET_ROWS + 1)
    page = None
    for index, (asset, qr_text) in enumerate(cards):
        slot = index % CARDS_PER_SHEET
        if slot == 0:
            if page is not None:
                yield page
            page = Image.new("L", A4_SIZE, 255)
        column, row = slot % SHEET_COLUMNS, slot // SHEET_COLUMNS
        position = (gap_x + column * (CARD_SIZE[0] + gap_x), gap_y + row * (CARD_SIZE[1] + gap_y))
        page.paste(render_card(asset, qr_text), position)
    if page is not None:
        yield page
