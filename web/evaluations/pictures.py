"""The district's evaluation in pictures (inline SVG from `web.charts`): the grades of each town's
villages, the items most often lost, each town this year against last, each village's trend. Every
figure links to what is behind it."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_login import login_required

from infra.database import db_session
from models.access import require_report_reader
from models.evaluations.entities import Grade
from models.evaluations.pictures import pictures
from models.regions import Region
from web.auth import staff
from web.charts import Bar, Point, Row, Segment, bar_chart, line_chart, stacked_bar_chart
from web.evaluations.review import requested_year

blueprint = Blueprint("evaluation_pictures", __name__, url_prefix="/evaluations/pictures")
GRADE_COLOURS = {Grade.EXCELLENT: "#0b6e4f", Grade.GOOD: "#0072b2", Grade.FAIR: "#d08c00", Grade.POOR: "#b3261e"}


@blueprint.get("")
@login_required
def index():
    session, actor, year = db_session(), staff(), requested_year()
    district = session.get_one(Region, actor.region.own_district_id)
    require_report_reader(actor, district)  # the district office and its departments
    town_id = request.args.get("town", "")
    seen = pictures(session, district, year, None)
    town = next((t for t in seen.towns if str(t.id) == town_id), seen.towns[0] if seen.towns else None)
    seen = pictures(session, district, year, town)

    def town_page(town: Region, for_year: int = year) -> str:
        return url_for("evaluation_reports.region_report", region_id=town.id, fmt="pdf", year=for_year)

    titles = [
        f"{year}年度各镇村级评价等次分布",
        f"{year}年度失分最多的考评项目",
        f"各镇得分：{year}年度与{year - 1}年度",
    ]
    grades = stacked_bar_chart(
        titles[0],
        [
            Row(
                t.name,
                [Segment(grade.label, seen.grades[t.id][grade], town_page(t), GRADE_COLOURS[grade]) for grade in Grade],
                town_page(t),
            )
            for t in seen.towns
        ],
        unit="个村",
    )
    district_sheet = url_for("evaluation_reports.region_report", region_id=district.id, fmt="xlsx", year=year)
    lost = bar_chart(titles[1], [Bar(text, count, district_sheet) for text, count in seen.lost], unit="个村")
    compared = bar_chart(
        titles[2],
        [
            Bar(f"{t.name}{y}", float(seen.town_scores[t.id][y]), town_page(t, y))
            for t in seen.towns
            for y in (year, year - 1)
            if y in seen.town_scores.get(t.id, {})
        ],
        unit="分",
    )
    trends = [
        (
            village.name,
            line_chart(
                f"{village.name}历年得分",
                [
                    Point(
                        str(y),
                        float(score),
                        url_for("evaluation_reports.region_report", region_id=village.id, fmt="pdf", year=y),
                    )
                    for y, score in sorted(seen.village_scores.get(village.id, {}).items())
                ],
                unit="分",
            ),
        )
        for village in seen.villages
    ]
    return render_template(
        "evaluations/pictures.html",
        year=year,
        district=district,
        towns=seen.towns,
        town=town,
        charts=list(zip(titles, [grades, lost, compared], strict=True)),
        trends=trends,
    )
