"""The evaluation's reports: a town's (本镇项目资产绩效自评材料), the district's table and a
village's — every village's items, scores, adjustments and evidence counts — as rows that the
.xlsx (`report_xlsx`) and the PDF (`report_pdf`) both print."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models.evaluations.entities import ItemScore, Stage, VillageEvaluation
from models.evaluations.rating import Honours, TownLine, district_table, honours
from models.evaluations.scoring import subtotals
from models.regions import Region, RegionLevel

ITEM_HEADERS = (
    "村（社区）",
    "类别",
    "序号",
    "考评内容",
    "分值",
    "建议分",
    "村自评",
    "村改动理由",
    "镇复核",
    "镇调整理由",
    "部门评分",
    "部门理由",
    "证据",
)
VILLAGE_HEADERS = ("镇（乡）", "村（社区）", "状态", "村自评", "复核得分", "等次", "调整项数", "纳入评价资产")
TOWN_HEADERS = ("镇（乡）", "村数", "已复核", "纳入评价资产", "建议分", "评定得分", "等次", "调整理由")


@dataclass
class Report:
    title: str
    year: int
    villages: list[tuple[Region, VillageEvaluation | None]] = field(default_factory=list)
    towns: list[TownLine] = field(default_factory=list)
    honours: Honours | None = None
    items: bool = True  # print each village's items (not for the district's PDF: 400 villages)


def evidence_text(score: ItemScore) -> str:
    """The evidence counts as people read them: 有管护责任人 17/20；巡查 40/48."""
    parts = []
    for evidence in score.evidence.get("items", []):
        whole = f"/{evidence['of']}" if evidence.get("of") is not None else ""
        parts.append(f"{evidence['label']} {evidence['count']}{whole}")
    return "；".join(parts)


def item_rows(village: Region, evaluation: VillageEvaluation) -> list[list]:
    return [
        [
            village.name,
            score.item.sheet.asset_class.label,
            score.item.position,
            score.item.text,
            score.item.points,
            score.proposed,
            score.confirmed,
            score.change_reason or "",
            score.town_score,
            score.town_reason or "",
            score.department_score,
            score.department_reason or "",
            evidence_text(score),
        ]
        for score in evaluation.scores
    ]


def village_row(village: Region, evaluation: VillageEvaluation | None) -> list:
    if evaluation is None:
        return [village.parent.name, village.name, "未开始自评", None, None, "", 0, 0]
    adjusted = sum(1 for score in evaluation.scores if score.town_reason or score.department_reason)
    reviewed = evaluation.class_assets is not None
    return [
        village.parent.name,
        village.name,
        evaluation.status.label,
        evaluation.self_score,
        evaluation.score if reviewed else None,
        evaluation.grade.label if reviewed and evaluation.grade else "",
        adjusted,
        sum((evaluation.class_assets or {}).values()),
    ]


def town_row(line: TownLine) -> list:
    result = line.result
    return [
        line.town.name,
        line.villages,
        line.reviewed,
        line.assets,
        line.proposed,
        result.score if result else None,
        result.grade.label if result else "未评定",
        (result.reason or "") if result else "",
    ]


def sheet_totals(evaluation: VillageEvaluation) -> str:
    return "，".join(f"{c.label}表 {total}分" for c, total in subtotals(evaluation).items())


def _villages(session: Session, condition, year: int) -> list[tuple[Region, VillageEvaluation | None]]:
    villages = session.scalars(
        select(Region).where(condition, Region.level == RegionLevel.VILLAGE).order_by(Region.parent_id, Region.id)
    ).all()
    evaluations = {
        evaluation.village_id: evaluation
        for evaluation in session.scalars(
            select(VillageEvaluation)
            .where(
                VillageEvaluation.village_id.in_([village.id for village in villages]),
                VillageEvaluation.year == year,
                VillageEvaluation.stage == Stage.SELF_EVALUATION,
            )
            .options(selectinload(VillageEvaluation.scores))
        )
    }
    return [(village, evaluations.get(village.id)) for village in villages]


def town_report(session: Session, town: Region, year: int) -> Report:
    district = session.get_one(Region, town.own_district_id)
    line = next(line for line in district_table(session, district, year) if line.town.id == town.id)
    report = Report(f"{town.full_name}{year}年度项目资产绩效自评材料", year, towns=[line])
    report.villages = _villages(session, Region.parent_id == town.id, year)
    return report


def village_report(session: Session, village: Region, year: int) -> Report:
    report = Report(f"{village.full_name}{year}年度项目资产绩效评价", year)
    report.villages = _villages(session, Region.id == village.id, year)
    return report


def district_report(session: Session, district: Region, year: int, items: bool = True) -> Report:
    report = Report(f"{district.name}{year}年度项目资产绩效评定", year, items=items)
    report.towns = district_table(session, district, year)
    report.honours = honours(session, district, year)
    report.villages = _villages(session, Region.district_id == district.id, year)
    return report


def shown(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)
