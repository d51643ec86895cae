"""A notice as an A4 poster for the village's notice board (村务公开栏): the title, the frozen text
(wrapped, over as many pages as it needs), and on every page the period, how to object and a QR
code to the copy online, where villagers object."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from PIL import Image, ImageDraw

from models.notices.entities import PublicNotice
from models.printing import A4_SIZE, MM, fit, font, pdf, qr_image, wrap

MARGIN = round(15 * MM)
WIDTH, HEIGHT = A4_SIZE
TEXT_WIDTH = WIDTH - 2 * MARGIN
QR_SIDE = round(38 * MM)
FOOTER_TOP = HEIGHT - MARGIN - QR_SIDE - 110  # the QR code, its caption and the page number below
BODY_SIZE, BODY_LINE = 40, 64
FOOTER_SIZE, FOOTER_LINE = 32, 50
HEADING, TITLE_SIZE = "公  示", 56
SCAN_CAPTION = "扫码查看原文、提出异议"


@dataclass(frozen=True)
class PosterFacts:
    """What a poster says besides the notice itself."""

    online_url: str  # where the QR code leads: the notice's public page
    supervision_phone: str | None
    hotline: str


def _date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def footer_lines(notice: PublicNotice, facts: PosterFacts) -> list[str]:
    """The period, how to object and whom to call, as printed under the text on every page."""
    phones = f"全国乡村振兴监督举报电话：{facts.hotline}"
    if facts.supervision_phone:
        phones = f"监督电话：{facts.supervision_phone}；{phones}"
    return [
        f"公示时间：{_date(notice.starts_on)}至{_date(notice.ends_on)}（共{notice.days}天）",
        "公示期间如有异议，请用微信扫描右侧二维码在线提出（可以匿名），也可以向村委会或乡镇反映。",
        phones,
    ]


def poster_pdf(notice: PublicNotice, facts: PosterFacts) -> bytes:
    return pdf(poster_pages(notice, facts), title=f"公示：{notice.title}").pdf


def poster_pages(notice: PublicNotice, facts: PosterFacts) -> Iterator[Image.Image]:
    """The A4 pages (200 dpi, greyscale), the text flowing from one to the next."""
    title_lines = wrap(notice.title, font(TITLE_SIZE), TEXT_WIDTH)
    first_top = MARGIN + 120 + len(title_lines) * (TITLE_SIZE + 20) + 70
    later_top = MARGIN + 90
    lines = wrap(notice.body, font(BODY_SIZE), TEXT_WIDTH)
    chunks = [lines[: _fitting(first_top)]]
    rest = lines[len(chunks[0]) :]
    while rest:
        chunks.append(rest[: _fitting(later_top)])
        rest = rest[len(chunks[-1]) :]
    qr = qr_image(facts.online_url, QR_SIDE)
    for number, chunk in enumerate(chunks, start=1):
        page = Image.new("L", A4_SIZE, 255)
        draw = ImageDraw.Draw(page)
        if number == 1:
            top = _first_header(draw, notice, title_lines)
        else:
            top = _later_header(draw, notice)
        for index, line in enumerate(chunk):
            draw.text((MARGIN, top + index * BODY_LINE), line, font=font(BODY_SIZE), fill=0)
        _footer(page, draw, notice, facts, qr, f"第{number}页 共{len(chunks)}页")
        yield page


def _fitting(top: int) -> int:
    return max(1, (FOOTER_TOP - 30 - top) // BODY_LINE)


def _first_header(draw: ImageDraw.ImageDraw, notice: PublicNotice, title_lines: list[str]) -> int:
    draw.text((WIDTH // 2, MARGIN), HEADING, font=font(96), fill=0, anchor="mt")
    y = MARGIN + 120
    for line in title_lines:
        draw.text((WIDTH // 2, y), line, font=font(TITLE_SIZE), fill=0, anchor="mt")
        y += TITLE_SIZE + 20
    place = fit(notice.place, font(FOOTER_SIZE), TEXT_WIDTH)
    draw.text((WIDTH // 2, y + 4), place, font=font(FOOTER_SIZE), fill=70, anchor="mt")
    draw.line((MARGIN, y + 52, WIDTH - MARGIN, y + 52), fill=0, width=3)
    return y + 70


def _later_header(draw: ImageDraw.ImageDraw, notice: PublicNotice) -> int:
    heading = fit(f"公示（续）：{notice.title}", font(FOOTER_SIZE), TEXT_WIDTH)
    draw.text((MARGIN, MARGIN), heading, font=font(FOOTER_SIZE), fill=70)
    draw.line((MARGIN, MARGIN + 56, WIDTH - MARGIN, MARGIN + 56), fill=0, width=2)
    return MARGIN + 90


def _footer(
    page: Image.Image,
    draw: ImageDraw.ImageDraw,
    notice: PublicNotice,
    facts: PosterFacts,
    qr: Image.Image,
    page_text: str,
) -> None:
    draw.line((MARGIN, FOOTER_TOP, WIDTH - MARGIN, FOOTER_TOP), fill=0, width=3)
    qr_left = WIDTH - MARGIN - qr.width
    page.paste(qr, (qr_left, FOOTER_TOP + 20))
    caption_y = FOOTER_TOP + 24 + qr.height
    draw.text((qr_left + qr.width // 2, caption_y), SCAN_CAPTION, font=font(26), fill=0, anchor="mt")
    face, y = font(FOOTER_SIZE), FOOTER_TOP + 30
    for text in footer_lines(notice, facts):
        for line in wrap(text, face, qr_left - MARGIN - 40):
            draw.text((MARGIN, y), line, font=face, fill=0)
            y += FOOTER_LINE
        y += 12
    draw.text((WIDTH // 2, HEIGHT - MARGIN + 10), page_text, font=font(26), fill=70, anchor="mb")
