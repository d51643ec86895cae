"""The villager's pages, no login: the asset page behind a card's QR code, the complaint form,
the tracking page with the rating, 我的反映, and the photos they show (thumbnails by token)."""

from __future__ import annotations

import logging
import secrets

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    send_file,
    session,
    url_for,
)
from flask_limiter.util import get_remote_address
from flask_login import current_user
from sqlalchemy import select

from bot.client import WeChatError, wechat_client
from infra.clock import now, today
from infra.database import db_session
from infra.storage import media_storage
from models.access import require_can_record_maintenance
from models.assets.entities import Asset, AssetStatus
from models.assets.public_page import asset_by_token, asset_page
from models.complaints.entities import Complaint, ComplaintCategory, Rating
from models.complaints.operations import MAX_PHOTOS, ComplaintLimits, file_complaint
from models.complaints.operations import rate as rate_complaint
from models.complaints.queries import by_number_and_phone, by_token, of_visitor
from models.errors import Forbidden, Invalid
from models.people import User
from models.photos import Photo, PhotoRejected
from models.wechat.visitors import staff_for_openid
from web.page_cache import page_cache
from web.public_door import PublicPageDoor
from web.security import limiter
from web.uploads import uploaded_photos

blueprint = Blueprint("public", __name__)
log = logging.getLogger("guanhu.web")

VISITOR_KEY = "visitor_openid"  # the WeChat openid learnt by snsapi_base
OAUTH_KEY = "visitor_oauth"  # {state, next} while OAuth is under way; "tried" after a failure
MINE_KEY = "visitor_complaints"  # tracking tokens filed from this browser (outside WeChat)
MINE_KEPT = 10


def init_app(app: Flask) -> None:
    app.register_blueprint(blueprint)
    cache = app.extensions["public_page_cache"]
    if cache is not None:
        app.wsgi_app = PublicPageDoor(app.wsgi_app, cache)  # type: ignore[method-assign]


def limits() -> ComplaintLimits:
    config = current_app.config
    return ComplaintLimits(
        accept_days=int(config["COMPLAINT_ACCEPT_DAYS"]),
        answer_days=int(config["COMPLAINT_ANSWER_DAYS"]),
        timezone=config["TIMEZONE"],
    )


def _visitor_key() -> str:
    return session.get(VISITOR_KEY) or get_remote_address()


def _asset_key() -> str:
    return "asset:" + (request.view_args or {}).get("token", "")


def _found_asset(token: str) -> Asset:
    """The asset of a card token, or the friendly 404 / "card replaced" page (as an abort)."""
    found = asset_by_token(db_session(), token)
    if found is None:
        abort(Response(render_template("public/not_found.html"), 404))
    if not isinstance(found, Asset):
        abort(Response(render_template("public/replaced.html", replaced=found), 410))
    return found


@blueprint.get("/a/<token>")
@limiter.limit(lambda: current_app.config["PUBLIC_PAGE_RATE_LIMIT"])
def asset(token: str) -> bytes:
    cache = page_cache() if _anonymous() else None
    if cache is not None and (cached := cache.get(token)) is not None:
        return cached
    found = _found_asset(token)
    page = asset_page(db_session(), found, today())
    html = render_template(
        "public/asset.html",
        page=page,
        asset=found,
        disposed=found.status is AssetStatus.DISPOSED,
        hotline=current_app.config["SUPERVISION_HOTLINE"],
        recorder=recording_staff(found),
        recorded=request.args.get("recorded") == "1",
    ).encode()
    if cache is not None:
        cache.put(token, html)
    return html


def _anonymous() -> bool:
    """A visitor whose page is the same as everyone's: not signed in, not known by WeChat."""
    return not (session.get("_user_id") or session.get(VISITOR_KEY) or request.args)  # "_user_id": Flask-Login


def recording_staff(found: Asset) -> User | None:
    """The visitor, when they are staff who may add maintenance records to `found`: signed in, or
    known by the WeChat openid snsapi_base gave us."""
    candidates = [current_user.user] if current_user.is_authenticated else []
    if session.get(VISITOR_KEY):
        candidates.append(staff_for_openid(db_session(), session[VISITOR_KEY]))
    for candidate in candidates:
        if candidate is None:
            continue
        try:
            require_can_record_maintenance(candidate, found)
        except Forbidden:
            continue
        return candidate
    return None


# -- who is this visitor (inside WeChat: snsapi_base, silently) ------------------------------------


def _learn_openid() -> Response | None:
    """Inside WeChat, send the visitor once through snsapi_base so the answer can be pushed to them."""
    if session.get(VISITOR_KEY) or session.get(OAUTH_KEY) == "tried":
        return None
    if "MicroMessenger" not in request.user_agent.string or not current_app.config.get("WECHAT_APPID"):
        return None
    state = secrets.token_urlsafe(12)
    session[OAUTH_KEY] = {"state": state, "next": request.path}
    back = current_app.config["PUBLIC_BASE_URL"] + url_for("public.oauth_return")
    return redirect(wechat_client().oauth(back, state).authorize_url)


@blueprint.get("/wx/oauth")
def oauth_return() -> Response:
    pending = session.get(OAUTH_KEY)
    if not isinstance(pending, dict) or not secrets.compare_digest(pending["state"], request.args.get("state", "")):
        abort(400)
    session[OAUTH_KEY] = "tried"
    code = request.args.get("code", "")
    if code:
        try:
            session[VISITOR_KEY] = wechat_client().openid_from_code(code)
        except WeChatError as error:
            log.warning("oauth: no openid (%s)", error.message)
    return redirect(pending["next"] if pending["next"].startswith(("/a/", "/mine")) else "/")


# -- complaints --------------------------------------------------------------------------------------


@blueprint.get("/a/<token>/report")
@limiter.limit(lambda: current_app.config["PUBLIC_PAGE_RATE_LIMIT"])
def report_form(token: str) -> Response | str:
    found = _found_asset(token)
    return _learn_openid() or render_template(
        "public/report.html",
        asset=found,
        form={},
        errors={},
        categories=list(ComplaintCategory),
        known=bool(session.get(VISITOR_KEY)),
    )


@blueprint.post("/a/<token>/report")
@limiter.limit(lambda: current_app.config["COMPLAINT_RATE_LIMIT"], key_func=_visitor_key)
@limiter.limit(lambda: current_app.config["COMPLAINT_ASSET_RATE_LIMIT"], key_func=_asset_key)
def report(token: str) -> Response | tuple[str, int]:
    found = _found_asset(token)
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
            openid=session.get(VISITOR_KEY),
            now=now(),
            limits=limits(),
        )
    except Invalid as error:
        return _form_again(found, error.fields, 422)
    except PhotoRejected as error:
        return _form_again(found, {"photos": error.message}, error.status)
    session[MINE_KEY] = [complaint.public_token, *session.get(MINE_KEY, [])][:MINE_KEPT]
    return redirect(url_for("public.tracking", token=complaint.public_token, new=1), 303)


def _form_again(found: Asset, errors: dict[str, str], status: int) -> tuple[str, int]:
    return render_template(
        "public/report.html",
        asset=found,
        form=request.form,
        errors=errors,
        categories=list(ComplaintCategory),
        known=bool(session.get(VISITOR_KEY)),
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
        "public/tracking.html",
        complaint=_complaint(token),
        new=request.args.get("new"),
        ratings=list(Rating),
        errors={},
    )


@blueprint.post("/t/<token>/rate")
@limiter.limit(lambda: current_app.config["COMPLAINT_RATE_LIMIT"], key_func=_visitor_key)
def rate(token: str) -> Response:
    complaint = _complaint(token)
    rate_complaint(db_session(), complaint, request.form.get("rating", ""), now(), limits())
    return redirect(url_for("public.tracking", token=token), 303)


@blueprint.route("/mine", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["COMPLAINT_RATE_LIMIT"], methods=["POST"], key_func=_visitor_key)
def mine() -> Response | str | tuple[str, int]:
    """我的反映: by WeChat openid, by what this browser filed, or by tracking number + phone's last 4."""
    learn = _learn_openid() if request.method == "GET" else None
    if learn:
        return learn
    db = db_session()
    found: dict[int, Complaint] = {}
    openid = session.get(VISITOR_KEY)
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
                "public/mine.html",
                items=list(found.values()),
                error="没有找到：请核对受理编号和手机号后四位。",
                form=request.form,
            ), 404
        return redirect(url_for("public.tracking", token=complaint.public_token), 303)
    items = sorted(found.values(), key=lambda c: c.id, reverse=True)
    return render_template("public/mine.html", items=items, error=None, form={})


# -- photos ------------------------------------------------------------------------------------------


@blueprint.get("/p/<token>/<size>.jpg")
def photo(token: str, size: str) -> Response:
    """A stored photo by its random token: the thumbnail, or the public copy (EXIF-free)."""
    if size not in ("thumb", "full") or len(token) > 32:
        abort(404)
    found = db_session().scalar(select(Photo).where(Photo.public_token == token))
    if found is None:
        abort(404)
    key = found.thumbnail_key if size == "thumb" else found.public_key
    if not media_storage().exists(key):
        abort(404)
    return send_file(media_storage().open(key), mimetype="image/jpeg", max_age=86400)
