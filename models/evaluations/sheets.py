"""Score sheets (考评表) and grade bands as data, per district and year.

A district's first year gets the items of seed 000 section 四 (eight per evaluated class, the
points split evenly to 100) and the grade bands of section 五(三)3; every later year starts as a
copy of the last one the district had.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.assets.entities import AssetClass
from models.evaluations.entities import EVALUATED_CLASSES, Grade, GradeBand, ScoreSheet, SheetItem
from models.regions import Region

FULL_MARKS = Decimal(100)

# (text, guidance, rule, parameters): seed 000 四(一) and 四(二), in the seed's order; both end alike.
SHARED_ITEMS = (
    ("按照有关规定处置资产", "资产处置须履行规定程序；未按程序处置的不得分。", "disposal", {}),
    (
        "群众满意认可",
        "群众对反映办理的评价及对资产管护的年度评价中，满意和基本满意的比例达到目标得满分。",
        "villagers_satisfied",
        {"min_answers": 3},
    ),
    (
        "无因管护工作不到位引发的群众信访投诉",
        "因损坏需维修、无人管护、被占用或私用被查实的反映，每件扣分，扣完为止。",
        "no_custody_complaints",
        {"deduction": "2"},
    ),
)
DEFAULT_ITEMS: dict[AssetClass, tuple[tuple[str, str, str | None, dict[str, Any]], ...]] = {
    AssetClass.PUBLIC_BENEFIT: (
        (
            "明确村级组织管护主体责任",
            "每项纳入评价的资产都应明确管护主体和管护责任人，按已明确的资产比例得分。",
            "custodian_coverage",
            {},
        ),
        (
            "落实日常管护制度",
            "按各类资产的巡查周期，全年巡查次数达到应巡查次数的，得满分；按完成比例得分。",
            "daily_custody",
            {},
        ),
        (
            "明确管护责任人且履职到位",
            "管护责任人明确、联系方式有效，按时巡查、及时报告问题。",
            "custodian_coverage",
            {},
        ),
        ("落实管护经费", "管护经费有来源、有预算、有支出记录。无系统记录的，人工评分。", None, {}),
        (
            "建立损毁报告预警和修缮机制",
            "损毁报告在维修时限内修复的比例；时限内修复率达到目标得满分，按比例得分。",
            "repairs_in_limit",
            {},
        ),
        *SHARED_ITEMS,
    ),
    AssetClass.OPERATING: (
        ("落实运营方案，履行经营权、收益权、处置权等权利义务", "有运营方案和合同，各方权利义务明确并履行。", None, {}),
        ("做好风险防控", "有风险评估和防控措施，经营主体按约履约。", None, {}),
        ("资产保值增值", "资产价值保持或增加；本年有收益记录。", "operating_income", {}),
        ("无资产闲置浪费或被私人侵吞", "资产在用，无闲置、浪费或被私人侵占。", "operating_idle", {}),
        (
            "按规定程序科学制定收益分配方案",
            "收益分配方案经民主程序制定并公示，本年收益已分配。",
            "operating_income",
            {},
        ),
        *SHARED_ITEMS,
    ),
}

# seed 000 五(三)3: ≥ 90 好 · 80–89.x 较好 · 70–79.x 一般 · < 70 较差
DEFAULT_BANDS = {Grade.EXCELLENT: Decimal(90), Grade.GOOD: Decimal(80), Grade.FAIR: Decimal(70), Grade.POOR: Decimal(0)}


def even_points(count: int) -> list[Decimal]:
    """100 split into `count` parts of one decimal each, the remainder on the first ones."""
    if count == 0:
        return []
    tenths = int(FULL_MARKS * 10)
    share, rest = divmod(tenths, count)
    return [Decimal(share + (1 if index < rest else 0)) / 10 for index in range(count)]


def ensure_sheets(session: Session, district: Region, year: int, now: dt.datetime) -> dict[AssetClass, ScoreSheet]:
    """The district's sheets for `year`, made when missing: a copy of its latest earlier year's,
    else the seed's items."""
    sheets = sheets_of(session, district.id, year)
    for asset_class in EVALUATED_CLASSES:
        if asset_class in sheets:
            continue
        earlier = session.scalar(
            select(ScoreSheet)
            .where(ScoreSheet.district_id == district.id, ScoreSheet.asset_class == asset_class, ScoreSheet.year < year)
            .order_by(ScoreSheet.year.desc())
            .limit(1)
        )
        sheet = ScoreSheet(district_id=district.id, year=year, asset_class=asset_class, created_at=now)
        if earlier is not None:
            rows = [(i.text, i.guidance, i.rule, dict(i.parameters), i.points) for i in earlier.items]
        else:
            defaults = DEFAULT_ITEMS[asset_class]
            rows = [(*row, points) for row, points in zip(defaults, even_points(len(defaults)), strict=True)]
        sheet.items = [
            SheetItem(
                position=position, text=text, guidance=guidance, rule=rule, parameters=dict(parameters), points=points
            )
            for position, (text, guidance, rule, parameters, points) in enumerate(rows, start=1)
        ]
        if earlier is not None:  # the sheet's weight and the items' departments carry over too
            sheet.weight = earlier.weight
            for item, before in zip(sheet.items, earlier.items, strict=True):
                item.department_id = before.department_id
        session.add(sheet)
        sheets[asset_class] = sheet
    ensure_bands(session, district, year)
    session.flush()
    return sheets


def sheets_of(session: Session, district_id: int, year: int) -> dict[AssetClass, ScoreSheet]:
    rows = session.scalars(select(ScoreSheet).where(ScoreSheet.district_id == district_id, ScoreSheet.year == year))
    return {sheet.asset_class: sheet for sheet in rows}


def ensure_bands(session: Session, district: Region, year: int) -> dict[Grade, Decimal]:
    """The district's grade bands for `year`, copied from its latest earlier year, else the seed's."""
    bands = bands_of(session, district.id, year)
    if bands:
        return bands
    earlier_year = session.scalar(
        select(func.max(GradeBand.year)).where(GradeBand.district_id == district.id, GradeBand.year < year)
    )
    bands = bands_of(session, district.id, earlier_year) if earlier_year else dict(DEFAULT_BANDS)
    session.add_all(
        GradeBand(district_id=district.id, year=year, grade=grade, min_score=minimum)
        for grade, minimum in bands.items()
    )
    return bands


def bands_of(session: Session, district_id: int, year: int) -> dict[Grade, Decimal]:
    rows = session.scalars(select(GradeBand).where(GradeBand.district_id == district_id, GradeBand.year == year))
    return {band.grade: band.min_score for band in rows}


def grade_for(score: Decimal, bands: dict[Grade, Decimal] | None = None) -> Grade:
    """The grade of `score`: the best one whose lowest score it reaches."""
    bands = bands or DEFAULT_BANDS
    for grade in Grade:
        if score >= bands.get(grade, DEFAULT_BANDS[grade]):
            return grade
    return Grade.POOR
