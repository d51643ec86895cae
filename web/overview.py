"""The home page (/): what is waiting for the person, and their region at a glance in charts.

Every figure links to the list behind it, filtered to what it counts (`list_url`)."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, render_template, url_for
from flask_login import current_user

from infra import clock
from infra.database import db_session
from models.assets.entities import AssetStatus
from models.assets.queries import RegisterFilter
from models.complaints.entities import Rating
from models.complaints.queries import InboxFilter
from models.maintenance.queries import RecordFilter
from models.overview.figures import Figure, Glance, Share, glance
from models.overview.waiting import Context, ListFilter, MyTasks, waiting_for
from web.assets.pages import register_args
from web.auth import staff
from web.charts import Bar, Point, Ratio, Row, Segment, bar_chart, line_chart, ratio_chart, stacked_bar_chart
from web.complaints.pages import inbox_args
from web.maintenance.pages import record_args

blueprint = Blueprint("overview", __name__)

# Asset statuses keep the colours the register's status badges use.
STATUS_COLOURS = {
    AssetStatus.NORMAL.label: "#0b6e4f",
    AssetStatus.IDLE.label: "#d08c00",
    AssetStatus.DAMAGED.label: "#b3261e",
    AssetStatus.SUSPENDED.label: "#8e4585",
    AssetStatus.DISPOSED.label: "#a3a3a3",
}
RATING_COLOURS = {
    Rating.SATISFIED.label: "#0b6e4f",
    Rating.MOSTLY_SATISFIED.label: "#56b4e9",
    Rating.UNSATISFIED.label: "#b3261e",
}


@blueprint.app_template_global()
def list_url(wanted: ListFilter) -> str:
    """The list page that shows what a figure or a waiting group counts."""
    if isinstance(wanted, RegisterFilter):
        return url_for("assets.index", **register_args(wanted))
    if isinstance(wanted, InboxFilter):
        return url_for("complaints.index", **inbox_args(wanted))
    if isinstance(wanted, RecordFilter):
        return url_for("maintenance.index", **record_args(wanted))
    if wanted is MyTasks:
        return url_for("deadlines.my_tasks")
    raise TypeError(wanted)


@blueprint.route("/")
def home():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    context = Context(db_session(), staff(), clock.now(), clock.today(), current_app.config["TIMEZONE"])
    figures = glance(context)
    return render_template("overview/home.html", waiting=waiting_for(context), glance=figures, charts=charts(figures))


def charts(figures: Glance) -> dict:
    ratings = [_segment(f, RATING_COLOURS) for f in figures.ratings if f.value]
    return {
        "areas": stacked_bar_chart(
            f"各{figures.area_word}资产（按状态）",
            [
                Row(row.label, [_segment(f, STATUS_COLOURS) for f in row.by_status], list_url(row.wanted))
                for row in figures.areas
            ],
            unit="项",
        ),
        "classes": bar_chart("各类资产", [Bar(f.label, f.value, list_url(f.wanted)) for f in figures.classes], "项"),
        "care": ratio_chart("管护覆盖（在用资产）", [_ratio(share) for share in figures.care]),
        "complaints": ratio_chart(f"{figures.year}年群众反映办理", [_ratio(share) for share in figures.complaints]),
        "ratings": stacked_bar_chart("群众评价", [Row("评价", ratings)] if ratings else [], unit="件"),
        "by_month": line_chart(
            f"{figures.year}年每月收到", [Point(f.label, f.value, list_url(f.wanted)) for f in figures.by_month], "件"
        ),
        "repairs": ratio_chart(f"{figures.year}年损毁报告与维修", [_ratio(share) for share in figures.repairs]),
    }


def _segment(figure: Figure, colours: dict[str, str]) -> Segment:
    return Segment(figure.label, figure.value, list_url(figure.wanted), colours.get(figure.label))


def _ratio(share: Share) -> Ratio:
    part, whole = share.part, share.whole
    return Ratio(share.label, part.value, whole.value, list_url(part.wanted), list_url(whole.wanted), whole.label)
