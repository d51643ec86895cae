"""The villagers' notice pages, no login: a village's board (/v/<token>), a notice on it, and the
form to object to it (提出异议). Anonymous visitors share a short-lived copy of the pages (like the
asset page); the objection becomes a complaint the town handles, tracked on its /t/ page."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, render_template, request

from infra.clock import now, today
from infra.database import db_session
from models.complaints.entities import Complaint
from models.complaints.operations import Repeated, WrongStep, file_objection
from models.errors import Invalid
from models.notices.entities import NoticeBoard, NoticeOutcome, PublicNotice
from models.notices.queries import board_by_token, board_of, notice_on_board, objection_counts
from web.assets.page_cache import cached_page
from web.complaints.public import filed, limits, own_tokens
from web.security import limiter
from web.wechat.visitors import learn_openid, visitor_key, visitor_openid

blueprint = Blueprint("notices_public", __name__)


def _board(token: str) -> NoticeBoard:
    board = board_by_token(db_session(), token)
    if board is None:
        abort(Response(render_template("notices/not_found.html"), 404))
    return board


def _notice(token: str, notice_id: int) -> PublicNotice:
    notice = notice_on_board(db_session(), _board(token), notice_id)
    if notice is None:
        abort(Response(render_template("notices/not_found.html"), 404))
    if notice.outcome is NoticeOutcome.WITHDRAWN:
        abort(Response(render_template("notices/withdrawn.html", notice=notice, token=token), 410))
    return notice


def _hotline() -> str:
    return current_app.config["SUPERVISION_HOTLINE"]


@blueprint.get("/v/<token>")
@limiter.limit(lambda: current_app.config["PUBLIC_PAGE_RATE_LIMIT"])
def board(token: str) -> bytes:
    def render() -> str:
        found = board_of(db_session(), _board(token), today())
        return render_template("notices/board.html", board=found, token=token, today=today(), hotline=_hotline())

    return cached_page(f"v:{token}", render)


@blueprint.get("/v/<token>/n/<int:notice_id>")
@limiter.limit(lambda: current_app.config["PUBLIC_PAGE_RATE_LIMIT"])
def notice(token: str, notice_id: int) -> bytes:
    def render() -> str:
        found = _notice(token, notice_id)
        return render_template(
            "notices/public_notice.html",
            notice=found,
            token=token,
            today=today(),
            objections=objection_counts(db_session(), [found.id]).get(found.id, 0),
            hotline=_hotline(),
        )

    return cached_page(f"v:{token}:{notice_id}", render)


def _objection_form(
    notice: PublicNotice,
    token: str,
    form,
    errors: dict[str, str],
    status: int = 200,
    repeated: Complaint | None = None,
):
    return render_template(
        "notices/objection.html",
        notice=notice,
        token=token,
        form=form,
        errors=errors,
        running=notice.running_on(today()),
        known=bool(visitor_openid()),
        repeated=repeated,
    ), status


@blueprint.get("/v/<token>/n/<int:notice_id>/object")
@limiter.limit(lambda: current_app.config["PUBLIC_PAGE_RATE_LIMIT"])
def objection_form(token: str, notice_id: int):
    found = _notice(token, notice_id)
    return learn_openid() or _objection_form(found, token, {}, {})


def _notice_key() -> str:
    return "notice:" + str((request.view_args or {}).get("notice_id", ""))


@blueprint.post("/v/<token>/n/<int:notice_id>/object")
@limiter.limit(lambda: current_app.config["COMPLAINT_RATE_LIMIT"], key_func=visitor_key)
@limiter.limit(lambda: current_app.config["OBJECTION_NOTICE_RATE_LIMIT"], key_func=_notice_key)
def object_to(token: str, notice_id: int):
    found = _notice(token, notice_id)
    try:
        objection = file_objection(
            db_session(),
            found,
            reason=request.form.get("reason", ""),
            contact_name=request.form.get("contact_name"),
            contact_phone=request.form.get("contact_phone"),
            openid=visitor_openid(),
            now=now(),
            limits=limits(),
            own_tokens=own_tokens(),
        )
    except Invalid as error:
        return _objection_form(found, token, request.form, error.fields, 422)
    except Repeated as repeated:
        return _objection_form(found, token, request.form, {}, repeated.status, repeated.earlier)
    except WrongStep as error:  # the period is over (or has not begun)
        return _objection_form(found, token, request.form, {"reason": error.message}, error.status)
    return filed(objection)
