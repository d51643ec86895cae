"""The villagers' complaint pages, no login: the form behind an asset's page, the tracking page
with the rating, and 我的反映 (by WeChat openid, by this browser, or by number and phone)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for

from infra.clock import now, today
from infra.database import db_session
from infra.storage import media_storage
from models.assets.entities import Asset
from models.complaints.entities import ASSET_CATEGORIES, Complaint, Rating
from models.complaints.operations import MAX_PHOTOS, ComplaintLimits, file_complaint
from models.complaints.operations import rate as rate_complaint
from models.complaints.queries import by_number_and_phone, by_token, of_visitor
from models.errors import Invalid
from models.notices.operations import objection_settled
from models.photos import PhotoRejected
from web.assets.public import found_asset
from web.security import limiter
from web.uploads import uploaded_photos
from web.wechat.visitors import learn_openid, visitor_key, visitor_openid

blueprint = Blueprint("complaints_public", __name__)

MINE_KEY = "visitor_complaints"  # tracking tokens filed from this browser (outside WeChat)
MINE_KEPT = 10


def limits() -> ComplaintLimits:
    config = current_app.config
    return ComplaintLimits(
        accept_days=int(config["COMPLAINT_ACCEPT_DAYS"]),
        answer_days=int(config["COMPLAINT_ANSWER_DAYS"]),
        timezone=config["TIMEZONE"],
    )


def _asset_key() -> str:
    return "asset:" + (request.view_args or {}).get("token", "")


@blueprint.get("/a/<token>/report")
@limiter.limit(lambda: current_app.config["PUBLIC_PAGE_RATE_LIMIT"])
def report_form(token: str) -> Response | str:
    found = found_asset(token)
    return learn_openid() or render_template(
        "complaints/public_report.html",
        asset=found,
        form={},
        errors={},
        categories=ASSET_CATEGORIES,
        known=bool(visitor_openid()),
    )


@blueprint.post("/a/<token>/report")
@limiter.limit(lambda: current_app.config["COMPLAINT_RATE_LIMIT"], key_func=visitor_key)
@limiter.limit(lambda: current_app.config["COMPLAINT_ASSET_RATE_LIMIT"], key_func=_asset_key)
def report(token: str) -> Response | tuple[str, int]:
    found = found_asset(token)
    try:
        complaint = file_complaint(
            db_session(),
            media_storage(),
            found,
            category=request.form.get("category", ""),
            description=request.form.get("description", ""),
            contact_name=request.form.get("contact_name"),
            contact_phone=request.form.get("contact_phone"),
            photos=uploaded_photos(MAX_PHOTOS),
            openid=visitor_openid(),
            now=now(),
            limits=limits(),
        )
    except Invalid as error:
        return _form_again(found, error.fields, 422)
    except PhotoRejected as error:
        return _form_again(found, {"photos": error.message}, error.status)
    return filed(complaint)


def filed(complaint: Complaint) -> Response:
    """After a complaint (or an objection) is filed: remember it in this browser (我的反映) and
    show its tracking page."""
    session[MINE_KEY] = [complaint.public_token, *session.get(MINE_KEY, [])][:MINE_KEPT]
    return redirect(url_for("complaints_public.tracking", token=complaint.public_token, new=1), 303)


def _form_again(found: Asset, errors: dict[str, str], status: int) -> tuple[str, int]:
    return render_template(
        "complaints/public_report.html",
        asset=found,
        form=request.form,
        errors=errors,
        categories=ASSET_CATEGORIES,
        known=bool(visitor_openid()),
    ), status


def _complaint(token: str) -> Complaint:
    complaint = by_token(db_session(), token)
    if complaint is None:
        abort(Response(render_template("public/not_found.html"), 404))
    return complaint


@blueprint.get("/t/<token>")
@limiter.limit(lambda: current_app.config["PUBLIC_PAGE_RATE_LIMIT"])
def tracking(token: str) -> str:
    return render_template(
        "complaints/public_tracking.html",
        complaint=_complaint(token),
        new=request.args.get("new"),
        ratings=list(Rating),
        errors={},
    )


@blueprint.post("/t/<token>/rate")
@limiter.limit(lambda: current_app.config["COMPLAINT_RATE_LIMIT"], key_func=visitor_key)
def rate(token: str) -> Response:
    complaint = _complaint(token)
    rate_complaint(db_session(), complaint, request.form.get("rating", ""), now(), limits())
    objection_settled(db_session(), complaint.notice_id, today(), now())
    return redirect(url_for("complaints_public.tracking", token=token), 303)


@blueprint.route("/mine", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COMPLAINT_RATE_LIMIT"], methods=["POST"], key_func=visitor_key)
def mine() -> Response | str | tuple[str, int]:
    """我的反映: by WeChat openid, by what this browser filed, or by tracking number + phone's last 4."""
    learn = learn_openid() if request.method == "GET" else None
    if learn:
        return learn
    db = db_session()
    found: dict[int, Complaint] = {}
    openid = visitor_openid()
    for complaint in of_visitor(db, openid) if openid else []:
        found[complaint.id] = complaint
    for token in session.get(MINE_KEY, []):
        complaint = by_token(db, token)
        if complaint is not None:
            found[complaint.id] = complaint
    if request.method == "POST":
        complaint = by_number_and_phone(db, request.form.get("number", ""), request.form.get("last4", ""))
        if complaint is None:
            return render_template(
                "complaints/public_mine.html",
                items=list(found.values()),
                error="没有找到：请核对受理编号和手机号后四位。",
                form=request.form,
            ), 404
        return redirect(url_for("complaints_public.tracking", token=complaint.public_token), 303)
    items = sorted(found.values(), key=lambda c: c.id, reverse=True)
    return render_template("complaints/public_mine.html", items=items, error=None, form={})
