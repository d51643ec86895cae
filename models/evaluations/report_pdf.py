"""A report (`reports.Report`) as A4 PDF pages, drawn with the cards' Chinese font: the towns'
table and the 通报 lists (for the district), the villages' scores, then each village's items with
their scores, adjustments and evidence counts."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from PIL import Image, ImageDraw

from models.evaluations.bulletin import Bulletin
from models.evaluations.reports import (
    TOWN_HEADERS,
    VILLAGE_HEADERS,
    Report,
    evidence_text,
    sheet_totals,
    shown,
    town_row,
    village_row,
)
from models.printing import A4_SIZE, MM, font, line_height, pdf, wrap

MARGIN = round(15 * MM)
SIZE, TITLE_SIZE = 26, 40
PAD = 6
WIDTH = A4_SIZE[0] - 2 * MARGIN
ITEM_COLUMNS = ("序号", "考评内容", "分值", "村自评", "镇复核", "部门", "调整理由、证据")
ITEM_SHARES = (0.06, 0.30, 0.07, 0.08, 0.08, 0.07, 0.34)


class Pages:
    """Rows of wrapped cells laid down page after page."""

    def __init__(self, title: str):
        self.title, self.done, self.page = title, [], None
        self.face, self.bold = font(SIZE), font(SIZE + 2)
        self.line = line_height(SIZE)
        self._new_page()

    def _new_page(self) -> None:
        if self.page is not None:
            self.done.append(self.page)
        self.page = Image.new("L", A4_SIZE, 255)
        self.draw = ImageDraw.Draw(self.page)
        self.y = MARGIN
        self.draw.text((MARGIN, A4_SIZE[1] - MARGIN // 2), f"{self.title} · 第{len(self.done) + 1}页", 120, self.face)

    def heading(self, text: str, size: int = TITLE_SIZE) -> None:
        face = font(size)
        lines = wrap(text, face, WIDTH)
        if self.y + len(lines) * line_height(size) + 3 * self.line > A4_SIZE[1] - MARGIN:
            self._new_page()
        for line in lines:
            self.draw.text((MARGIN, self.y), line, 0, face)
            self.y += line_height(size)
        self.y += PAD

    def row(self, cells: Sequence[str], shares: Sequence[float], header: bool = False) -> None:
        widths = [WIDTH * share for share in shares]
        face = self.bold if header else self.face
        wrapped = [wrap(cell, face, width - 2 * PAD) or [""] for cell, width in zip(cells, widths, strict=True)]
        height = max(len(lines) for lines in wrapped) * self.line + 2 * PAD
        if self.y + height > A4_SIZE[1] - MARGIN:
            self._new_page()
        x = MARGIN
        for lines, width in zip(wrapped, widths, strict=True):
            self.draw.rectangle((x, self.y, x + width, self.y + height), outline=90, fill=235 if header else None)
            for number, line in enumerate(lines):
                self.draw.text((x + PAD, self.y + PAD + number * self.line), line, 0, face)
            x += width
        self.y += height

    def table(self, headers: Sequence[str], rows: list[list], shares: Sequence[float]) -> None:
        self.row(headers, shares, header=True)
        for row in rows:
            self.row([shown(value) for value in row], shares)
        self.y += self.line

    def pages(self) -> Iterator[Image.Image]:
        yield from self.done
        yield self.page


def print_report(report: Report) -> bytes:
    sheet = Pages(report.title)
    sheet.heading(report.title)
    if len(report.towns) > 1 or report.honours is not None:
        sheet.heading("各镇评定", SIZE + 6)
        even = [1 / len(TOWN_HEADERS)] * len(TOWN_HEADERS)
        sheet.table(TOWN_HEADERS, [town_row(line) for line in report.towns], even)
    if report.honours is not None:
        for label, named in (("好", report.honours.excellent), ("较差", report.honours.poor)):
            names = "、".join(f"{region.full_name}（{score}分）" for region, score in named) or "无"
            sheet.heading(f"评价结果为「{label}」的单位：{names}", SIZE + 2)
    sheet.heading("各村得分", SIZE + 6)
    even = [1 / len(VILLAGE_HEADERS)] * len(VILLAGE_HEADERS)
    sheet.table(VILLAGE_HEADERS, [village_row(v, e) for v, e in report.villages], even)
    if report.items:
        for village, evaluation in report.villages:
            if evaluation is None:
                continue
            sheet.heading(f"{village.full_name}：{evaluation.status.label}（{sheet_totals(evaluation)}）", SIZE + 6)
            sheet.table(ITEM_COLUMNS, [_item(score) for score in evaluation.scores], ITEM_SHARES)
    return pdf(sheet.pages(), report.title).pdf


def _item(score) -> list:
    notes = [
        f"村：{score.change_reason}" if score.change_reason else "",
        f"镇：{score.town_reason}" if score.town_reason else "",
        f"部门：{score.department_reason}" if score.department_reason else "",
    ]
    return [
        f"{score.item.sheet.asset_class.label[:2]}{score.item.position}",
        score.item.text,
        score.item.points,
        score.confirmed,
        score.town_score,
        score.department_score,
        "；".join(note for note in [*notes, evidence_text(score)] if note),
    ]


def print_bulletin(bulletin: Bulletin) -> bytes:
    """The 区级通报 on A4: title, the opening, the towns by grade, the 好 and 较差 units, sender and date."""
    sheet = Pages(bulletin.title)
    sheet.heading(bulletin.title)
    sheet.heading(bulletin.opening, SIZE + 2)
    for heading, names in bulletin.lines():
        sheet.heading(f"{heading}：{names}", SIZE + 2)
    sheet.heading(f"{bulletin.district}乡村振兴局", SIZE + 2)
    sheet.heading(bulletin.date_text, SIZE + 2)
    return pdf(sheet.pages(), bulletin.title).pdf
