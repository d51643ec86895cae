"""Drawing asset cards: one card as a PNG, or A4 print sheets of 2 × 4 cards as a PDF (with the
font, QR codes, wrapping and pages of `models.printing`).

Nothing on a card is cut off. A long value wraps onto more lines; when the lines do not fit the
card, the print steps down a size; past the smallest size the card grows taller (and takes a
taller row on the sheet). What villagers read first — the asset's name, its custodian and phone,
the supervision phones — is in large print.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from PIL import Image, ImageDraw

from models.assets.entities import Asset, format_wan
from models.printing import A4_SIZE, MM, Printed, font, line_height, pdf, qr_image, wrap

CARD_SIZE = (round(95 * MM), round(65 * MM))


SHEET_COLUMNS, SHEET_ROWS = 2, 4


CARDS_PER_SHEET = SHEET_COLUMNS * SHEET_ROWS


QR_SIDE = round(32 * MM)  # the widest a QR code gets; most codes come out 28–31 mm


PADDING = round(4 * MM)


SCAN_LINE = "微信扫一扫：查看资产情况、反映问题"


CUSTODIAN_LABEL = "管护责任人"


LABEL_GREY = 90  # the labels' ink (0 black, 255 white)


RULE_SPACE = 14  # between the custodian and the supervision phones, with a thin rule in its middle


def card_lines(asset: Asset) -> list[tuple[str, str]]:
    """The labelled lines printed in small type beside the QR code, in order."""
    place = asset.village.full_name + (asset.hamlet or "")
    return [
        ("资产编号", asset.code),
        ("资产类别", f"{asset.asset_class.label} · {asset.subtype.name}"),
        ("建设年度", f"{asset.project_year}年"),
        ("资金来源", asset.funding_text or "—"),
        ("资产原值", f"{format_wan(asset.original_value)}万元"),
        ("产权归属", asset.owner),
        ("管护主体", asset.custodian_body),
        ("所在位置", place),
    ]


def custodian_line(asset: Asset) -> str:
    """The custodian and their phone, in large print."""
    return f"{asset.custodian_name}  {asset.custodian_phone}".strip() or "—"


def supervision_line(asset: Asset, hotline: str) -> str:
    """The supervision phones, as the public page shows them: the national hotline, and the
    asset's town's (or district's) own when it has one."""
    local = asset.village.supervision_phone_above
    return f"监督电话：{hotline}" + (f"\u3000本地监督电话：{local}" if local else "")


@dataclass(frozen=True)
class PrintSize:
    """Type sizes in pixels: the title (the asset's name), the small print, the large print."""

    title: int
    small: int
    large: int


# From the largest down: the first size at which everything fits the card is used.
PRINT_SIZES = (
    PrintSize(36, 20, 32),
    PrintSize(34, 19, 30),
    PrintSize(32, 18, 28),
    PrintSize(30, 17, 27),
    PrintSize(28, 16, 26),
)


@dataclass(frozen=True)
class PlacedText:
    """One line of text on the card: what it shows (`part`: the title, a label, a field's value,
    the custodian, the supervision phones …), where its top left is, and how it is printed."""

    part: str
    text: str
    xy: tuple[int, int]
    size: int
    fill: int = 0
    bold: bool = False

    @property
    def stroke(self) -> int:
        return 1 if self.bold else 0

    def box(self) -> tuple[int, int, int, int]:
        """The pixels the inked text covers (left, top, right, bottom)."""
        left, top, right, bottom = font(self.size).getbbox(self.text.rstrip(), anchor="la", stroke_width=self.stroke)
        x, y = self.xy
        return (x + int(left), y + int(top), x + int(right) + 1, y + int(bottom) + 1)


@dataclass(frozen=True)
class CardLayout:
    """Where everything goes on one card."""

    size: tuple[int, int]
    print_size: PrintSize
    title_bottom: int  # the black title bar ends here
    qr_position: tuple[int, int]
    footer_rule: int  # the thin line above the supervision phones
    texts: list[PlacedText]

    def lines_of(self, part: str) -> list[str]:
        return [text.text for text in self.texts if text.part == part]


def card_layout(asset: Asset, qr_side: int, hotline: str) -> CardLayout:
    """The layout of the asset's card with a QR code `qr_side` pixels wide: at the largest print
    size that fits the card, else at the smallest, with the card grown to hold it all."""
    for size in PRINT_SIZES:
        layout = _layout(asset, qr_side, hotline, size)
        if layout.size == CARD_SIZE:
            return layout
    return layout


def _layout(asset: Asset, qr_side: int, hotline: str, size: PrintSize) -> CardLayout:
    width, height = CARD_SIZE
    left, right = PADDING, width - PADDING
    title = wrap(asset.name, font(size.title), right - left)
    texts = _placed("title", title, (left, PADDING - 6), size.title, fill=255, bold=True)
    title_bottom = PADDING - 6 + _height(title, size.title) + 4

    qr_position = (right - qr_side, title_bottom + 10)
    beside_qr_until = qr_position[1] + qr_side
    value_left = left + max(_width(label, size.small) for label, _ in card_lines(asset)) + 12
    y = title_bottom + 14
    for label, value in card_lines(asset):
        value_right = qr_position[0] - 12 if y < beside_qr_until else right
        lines = wrap(value, font(size.small), value_right - value_left)
        texts += _placed("label", [label], (left, y), size.small, fill=LABEL_GREY)
        texts += _placed(label, lines, (value_left, y), size.small)
        y += _height(lines, size.small)
    body_bottom = max(y, beside_qr_until)

    # At the bottom edge: the custodian in large print, a rule, the supervision phones, how to scan.
    custodian_left = left + _width(CUSTODIAN_LABEL, size.small) + 12
    custodian = wrap(custodian_line(asset), font(size.large), right - custodian_left)
    supervision = wrap(supervision_line(asset, hotline), font(size.large - 4), right - left)
    scan = wrap(SCAN_LINE, font(size.small), right - left)
    lower_height = (
        _height(custodian, size.large)
        + RULE_SPACE
        + _height(supervision, size.large - 4)
        + _height(scan, size.small)
        + PADDING
        - 8
    )
    height = max(height, body_bottom + 10 + lower_height)
    y = height - lower_height
    texts += _placed("custodian", custodian, (custodian_left, y), size.large, bold=True)
    baseline = font(size.large).getmetrics()[0] - font(size.small).getmetrics()[0]
    texts += _placed("label", [CUSTODIAN_LABEL], (left, y + baseline), size.small, fill=LABEL_GREY)
    y += _height(custodian, size.large)
    footer_rule = y + RULE_SPACE // 2 - 1
    y += RULE_SPACE
    texts += _placed("supervision", supervision, (left, y), size.large - 4, bold=True)
    y += _height(supervision, size.large - 4)
    texts += _placed("scan", scan, (left, y), size.small)
    return CardLayout((width, height), size, title_bottom, qr_position, footer_rule, texts)


def _placed(
    part: str, lines: list[str], xy: tuple[int, int], size: int, *, fill: int = 0, bold: bool = False
) -> list[PlacedText]:
    """The lines one under the other from `xy` down."""
    x, y = xy
    return [PlacedText(part, line, (x, y + n * line_height(size)), size, fill, bold) for n, line in enumerate(lines)]


def _height(lines: list[str], size: int) -> int:
    return len(lines) * line_height(size)


def _width(text: str, size: int) -> int:
    return round(font(size).getlength(text))


def render_card(asset: Asset, qr_text: str, hotline: str) -> Image.Image:
    """One card (95 × 65 mm at 200 dpi, greyscale; taller only when its text needs it) whose QR
    code carries `qr_text`; `hotline` is the national supervision hotline."""
    qr = qr_image(qr_text, QR_SIDE)
    layout = card_layout(asset, qr.width, hotline)
    width, height = layout.size
    card = Image.new("L", layout.size, 255)
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, 0, width - 1, height - 1), outline=0, width=3)
    draw.rectangle((3, 3, width - 4, layout.title_bottom), fill=0)
    card.paste(qr, layout.qr_position)
    draw.line((PADDING, layout.footer_rule, width - PADDING, layout.footer_rule), fill=160, width=1)
    for text in layout.texts:
        face = font(text.size)
        draw.text(
            text.xy, text.text, font=face, fill=text.fill, anchor="la", stroke_width=text.stroke, stroke_fill=text.fill
        )
    return card


def card_png(asset: Asset, qr_text: str, hotline: str) -> bytes:
    out = io.BytesIO()
    render_card(asset, qr_text, hotline).save(out, "PNG", optimize=True)
    return out.getvalue()


def sheets_pdf(cards: Iterable[tuple[Asset, str]], hotline: str, title: str = "资产卡") -> Printed:
    """A4 pages of 2 × 4 cards (each `(asset, qr_text)`), ready to print at 100 % and cut out; a
    card grown taller makes its row taller, and fewer rows fit that page.

    Pages are written to the PDF a few at a time, so a whole district's cards never sit in memory.
    """
    return pdf(_sheet_pages(render_card(asset, qr_text, hotline) for asset, qr_text in cards), title)


def _sheet_pages(cards: Iterable[Image.Image]) -> Iterator[Image.Image]:
    """A4 pages with the cards placed row by row, two to a row."""
    gap_x = (A4_SIZE[0] - SHEET_COLUMNS * CARD_SIZE[0]) // (SHEET_COLUMNS + 1)
    gap_y = (A4_SIZE[1] - SHEET_ROWS * CARD_SIZE[1]) // (SHEET_ROWS + 1)
    page, y = None, gap_y
    for row in _rows(cards):
        row_height = max(card.height for card in row)
        if page is None or y + row_height + gap_y > A4_SIZE[1]:
            if page is not None:
                yield page
            page, y = Image.new("L", A4_SIZE, 255), gap_y
        for column, card in enumerate(row):
            page.paste(card, (gap_x + column * (CARD_SIZE[0] + gap_x), y))
        y += row_height + gap_y
    if page is not None:
        yield page


def _rows(cards: Iterable[Image.Image]) -> Iterator[list[Image.Image]]:
    row: list[Image.Image] = []
    for card in cards:
        row.append(card)
        if len(row) == SHEET_COLUMNS:
            yield row
            row = []
    if row:
        yield row
