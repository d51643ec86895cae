"""The district's notice of the year's rating (区级通报): its title, the towns by grade, the units
rated 好 and 较差 (towns and villages), and the date it is sent — as the lines both the PDF and the
.xlsx print."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from models.evaluations.entities import Grade
from models.evaluations.rating import district_table, honours
from models.regions import Region


@dataclass(frozen=True)
class Bulletin:
    title: str
    year: int
    district: str
    towns_by_grade: list[tuple[Grade, list[tuple[str, Decimal]]]]  # every grade, best first
    excellent: list[tuple[str, Decimal]]  # 好: towns, then villages
    poor: list[tuple[str, Decimal]]  # 较差
    dated: dt.date

    @property
    def date_text(self) -> str:
        return f"{self.dated.year}年{self.dated.month}月{self.dated.day}日"

    @property
    def opening(self) -> str:
        return (
            f"根据项目资产后续管护绩效评价工作安排，经各村自评、乡镇复核、区级评定，"
            f"现将{self.year}年度各乡镇项目资产管护绩效评价结果通报如下。"
        )

    def lines(self) -> list[tuple[str, str]]:
        """(heading, text) in the order the notice reads."""
        lines = [(f"评价结果为「{grade.label}」的乡镇", _names(towns)) for grade, towns in self.towns_by_grade]
        lines.append(("评价结果为「好」的单位", _names(self.excellent)))
        lines.append(("评价结果为「较差」的单位", _names(self.poor)))
        return lines


def _names(named: list[tuple[str, Decimal]]) -> str:
    return "、".join(f"{name}（{score:f}分）" for name, score in named) or "无"


def bulletin(session: Session, district: Region, year: int, today: dt.date) -> Bulletin:
    """The notice as it stands: only towns the district has rated are named."""
    rated = sorted(
        ((line.town, line.result) for line in district_table(session, district, year) if line.result is not None),
        key=lambda rated: (-rated[1].score, rated[0].id),
    )
    by_grade = [
        (grade, [(town.full_name, result.score) for town, result in rated if result.grade is grade]) for grade in Grade
    ]
    named = honours(session, district, year)
    return Bulletin(
        title=f"关于{district.name}{year}年度项目资产管护绩效评价结果的通报",
        year=year,
        district=district.name,
        towns_by_grade=by_grade,
        excellent=[(region.full_name, score) for region, score in named.excellent],
        poor=[(region.full_name, score) for region, score in named.poor],
        dated=today,
    )
