"""The villagers' complaint pages, no login: the form behind an asset's page, the tracking page
with the rating (asked to confirm) and the appeal against a rejection, and 我的反映 (by WeChat
openid, by this browser, or by number and phone)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, redirect, render_template, request, session, url_for

from infra import clock
from infra.database import db_session
from infra.storage import media_storage
from models.assets.entities import Asset
from models.complaints.entities import ASSET_CATEGORIES, Complaint, ComplaintCategory, Rating
from models.complaints.operations import MAX_PHOTOS, ComplaintLimits, Repeated, appeal, file_complaint, may_appeal
from models.complaints.operations import rate as rate_complaint
from models.complaints.queries import by_number_and_phone, by_token, of_visitor
from models.deadlines.sources import sync_complaint
from models.errors import Invalid
from models.notices.operations import objection_settled
from models.photos import PhotoRejected
from models.storage import StorageUnavailable
from models.wechat.visitors import record_scan
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
    learn = learn_openid()
    if learn:
        return learn
    if visitor_openid():
        record_scan(db_session(), visitor_openid(), found, clock.now())
    category = ComplaintCategory.from_label(request.args.get("category", ""))
    return _form(found, {"category": category.value} if category in ASSET_CATEGORIES else {}, {})


def _form(found: Asset, form, errors: dict[str, str], repeated: Complaint | None = None) -> str:
    return render_template(
        "complaints/public_report.html",
        asset=found,
        form=form,
        errors=errors,
        categories=ASSET_CATEGORIES,
        known=bool(visitor_openid()),
        repeated=repeated,
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
            now=clock.now(),
            limits=limits(),
            own_tokens=own_tokens(),
        )
    except Invalid as error:
        return _form(found, request.form, error.fields), 422
    except (PhotoRejected, StorageUnavailable) as error:
        return _form(found, request.form, {"photos": error.message}), error.status
    except Repeated as repeated:
        return _form(found, request.form, {}, repeated=repeated.earlier), repeated.status
    return filed(complaint)


def own_tokens() -> list[str]:
    """The tracking tokens of what this browser filed (a repeat from it is caught by them)."""
    return session.get(MINE_KEY, [])


def filed(complaint: Complaint) -> Response:
    """After a complaint (or an objection) is filed: its tasks at once, remember it in this
    browser (我的反映) and show its tracking page."""
    sync_complaint(db_session(), complaint, clock.now())
    session[MINE_KEY] = [complaint.public_token, *session.get(MINE_KEY, [])][:MINE_KEPT]
    return redirect(url_for("complaints_public.tracking", token=complaint.public_token, new=1), 303)


def _complaint(token: str) -> Complaint:
    complaint = by_token(db_session(), token)
    if complaint is None:
        abort(Response(render_template("public/not_found.html"), 404))
    return complaint


def _tracking(complaint: Complaint, errors: dict[str, str], form, status: int = 200) -> tuple[str, int]:
    return render_template(
        "complaints/public_tracking.html",
        complaint=complaint,
        new=request.args.get("new"),
        appealed=request.args.get("appealed"),
        ratings=list(Rating),
        may_appeal=may_appeal(complaint),
        errors=errors,
        form=form,
    ), status


@blueprint.get("/t/<token>")
@limiter.limit(lambda: current_app.config["PUBLIC_PAGE_RATE_LIMIT"])
def tracking(token: str) -> tuple[str, int]:
    return _tracking(_complaint(token), {}, {})


@blueprint.post("/t/<token>/rate")
@limiter.limit(lambda: current_app.config["COMPLAINT_RATE_LIMIT"], key_func=visitor_key)
def rate(token: str) -> Response | tuple[str, int]:
    """A rating is asked to confirm first (a page of its own, so it works without scripts)."""
    complaint = _complaint(token)
    chosen = Rating.from_label(request.form.get("rating", ""))
    reason = request.form.get("reason", "")
    if chosen is None:
        return _tracking(complaint, {"rating": "请选择满意、基本满意或不满意。"}, request.form, 422)
    if request.form.get("confirmed") != "1":
        return render_template("complaints/public_rate_confirm.html", complaint=complaint, chosen=chosen, reason=reason)
    try:
        rate_complaint(db_session(), complaint, chosen.value, clock.now(), limits(), reason=reason)
    except Invalid as error:
        return _tracking(complaint, error.fields, request.form, 422)
    sync_complaint(db_session(), complaint, clock.now())
    objection_settled(db_session(), complaint.notice_id, clock.today(), clock.now())
    return redirect(url_for("complaints_public.tracking", token=token), 303)


@blueprint.post("/t/<token>/appeal")
@limiter.limit(lambda: current_app.config["COMPLAINT_RATE_LIMIT"], key_func=visitor_key)
def appeal_rejection(token: str) -> Response | tuple[str, int]:
    """申诉: the villager objects to 不予受理, once; the town takes it up."""
    complaint = _complaint(token)
    try:
        appeal(db_session(), complaint, request.form.get("reason", ""), clock.now(), limits())
    except Invalid as error:
        return _tracking(complaint, error.fields, request.form, 422)
    sync_complaint(db_session(), complaint, clock.now())
    return redirect(url_for("complaints_public.tracking", token=token, appealed=1), 303)


@blueprint.route("/mine", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COMPLAINT_RATE_LIMIT"], methods=["POST"], key_func=visitor_key)
def mine() -> Response | str | tuple[str, int]:
    """我的反映: by WeChat openid, by what this browser filed, or by tracking number (in full or
    just "13") + the phone's last 4 digits."""
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
        number, last4 = request.form.get("number", ""), request.form.get("last4", "")
        complaint = by_number_and_phone(db, number, last4, clock.today().year)
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
