"""Staff pages for public notices: the list of those in one's scope, publishing one (a clerk, a town
official or the district), a notice with its objections and outcome, its A4 poster, withdrawing it,
and the district's default notice period."""

from __future__ import annotations

import datetime as dt

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_login import login_required
from sqlalchemy import select

from infra.clock import now, today
from infra.database import db_session
from models import audit
from models.access import NOTICE_MANAGERS, asset_scope, require_notice_manager, visible_villages
from models.assets.entities import Asset
from models.errors import Forbidden, Invalid, NotFound
from models.notices.entities import MANUAL, MAX_BODY, MAX_REASON, MAX_TITLE, NoticeOutcome, PublicNotice
from models.notices.operations import (
    ACTION_LABELS,
    ENTITY,
    parse_period,
    publish_notice,
    set_default_days,
    withdraw_notice,
)
from models.notices.poster import PosterFacts, poster_pdf
from models.notices.queries import (
    default_days,
    get_visible_notice,
    objection_counts,
    objections_to,
    public_path,
    visible_notices,
)
from models.paging import page_number, page_of
from models.people import Role
from models.regions import Region
from web.auth import staff

blueprint = Blueprint("notices", __name__)
PER_PAGE = 30


@blueprint.get("/notices")
@login_required
def index():
    return _list_page({}, 200)


def _list_page(errors: dict[str, str], status: int):
    session, actor = db_session(), staff()
    outcome = NoticeOutcome.from_label(request.args.get("outcome", "")) if request.args.get("outcome") else None
    query = visible_notices(actor, outcome)
    page = page_of(session, query, page_number(request.args.get("page")), PER_PAGE, (PublicNotice.id.desc(),))
    district_days = default_days(session, actor.region) if actor.role is Role.DISTRICT_ADMIN else None
    return render_template(
        "notices/list.html",
        page=page,
        args=request.args,
        outcome=outcome,
        outcomes=list(NoticeOutcome),
        objections=objection_counts(session, [notice.id for notice in page.items]),
        today=today(),
        may_publish=actor.role in NOTICE_MANAGERS,
        district_days=district_days,
        errors=errors,
    ), status


@blueprint.post("/notices/defaults")
@login_required
def defaults():
    try:
        settings = set_default_days(db_session(), staff(), request.form.get("days", ""), now())
    except Invalid as error:
        return _list_page(error.fields, 422)
    flash(f"已设置：本区公示默认{settings.days}天。")
    return redirect(url_for("notices.index"), 303)


def _form_page(form, errors: dict[str, str], status: int = 200):
    session, actor = db_session(), staff()
    if actor.role not in NOTICE_MANAGERS:
        raise Forbidden("只有村干部、乡镇工作专班和区乡村振兴局可以发布公示。")
    return render_template(
        "notices/form.html",
        villages=visible_villages(session, actor),
        form=form,
        errors=errors,
        limits={"title": MAX_TITLE, "body": MAX_BODY},
        default_days=default_days(session, actor.region),
    ), status


@blueprint.get("/notices/new")
@login_required
def new():
    start = today()
    end = start + dt.timedelta(days=default_days(db_session(), staff().region) - 1)
    return _form_page({"starts_on": start.isoformat(), "ends_on": end.isoformat()}, {})


@blueprint.post("/notices/new")
@login_required
def publish():
    session, actor, form = db_session(), staff(), request.form
    village = session.get(Region, form.get("village_id", type=int) or 0)
    if village is None:
        raise NotFound()  # the same answer as for another region's village
    try:
        starts_on, ends_on = parse_period(form.get("starts_on", ""), form.get("ends_on", ""))
        notice = publish_notice(
            session,
            actor,
            village=village,
            asset=_asset(form.get("asset_code", "")),
            title=form.get("title", ""),
            body=form.get("body", ""),
            starts_on=starts_on,
            ends_on=ends_on,
            now=now(),
        )
    except Invalid as error:
        return _form_page(form, error.fields, 422)
    flash("公示已发布。请下载公示海报，张贴到村务公开栏。")
    return redirect(url_for("notices.detail", notice_id=notice.id), 303)


def _asset(code: str) -> Asset | None:
    """The asset (one the actor may see) a manual notice is about, by its code; None for the village."""
    code = code.strip()
    if not code:
        return None
    asset = db_session().scalar(select(Asset).where(Asset.code == code, asset_scope(staff())))
    if asset is None:
        raise Invalid({"asset_code": f"找不到编号为“{code[:40]}”的资产（或不在您的管辖范围内）。"})
    return asset


@blueprint.get("/notices/<int:notice_id>")
@login_required
def detail(notice_id: int):
    return _detail_page(notice_id, {}, {}, 200)


def _detail_page(notice_id: int, form, errors: dict[str, str], status: int):
    session, actor = db_session(), staff()
    notice = get_visible_notice(session, actor, notice_id)
    return render_template(
        "notices/detail.html",
        notice=notice,
        objections=objections_to(session, notice.id),
        entries=list(reversed(audit.history(session, ENTITY, notice.id))),
        actions=ACTION_LABELS,
        public_url=_public_url(notice),
        today=today(),
        may_withdraw=notice.subject_kind == MANUAL and actor.role in NOTICE_MANAGERS,
        max_reason=MAX_REASON,
        form=form,
        errors=errors,
    ), status


def _public_url(notice: PublicNotice) -> str:
    return current_app.config["PUBLIC_BASE_URL"] + public_path(db_session(), notice)


@blueprint.get("/notices/<int:notice_id>/poster.pdf")
@login_required
def poster(notice_id: int) -> Response:
    notice = get_visible_notice(db_session(), staff(), notice_id)
    facts = PosterFacts(
        online_url=_public_url(notice),
        supervision_phone=notice.village.supervision_phone_above,
        hotline=current_app.config["SUPERVISION_HOTLINE"],
    )
    response = Response(poster_pdf(notice, facts), mimetype="application/pdf")
    response.headers["Content-Disposition"] = "attachment; filename*=UTF-8''notice.pdf"
    response.headers["Cache-Control"] = "no-store"
    return response


@blueprint.post("/notices/<int:notice_id>/withdraw")
@login_required
def withdraw(notice_id: int):
    session, actor = db_session(), staff()
    notice = get_visible_notice(session, actor, notice_id)
    require_notice_manager(actor, notice.village)
    if notice.subject_kind != MANUAL:
        raise Forbidden(f"这项公示由“{notice.subject_label}”自动发布，请在那里重新办理（撤回会随之完成）。")
    try:
        withdraw_notice(session, actor, notice, reason=request.form.get("reason", ""), now=now())
    except Invalid as error:
        return _detail_page(notice_id, request.form, error.fields, 422)
    flash("公示已撤回。")
    return redirect(url_for("notices.detail", notice_id=notice.id), 303)
