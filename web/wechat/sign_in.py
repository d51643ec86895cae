"""Staff arrive signed in from WeChat: a staff page opened inside WeChat without a session learns
the visitor's openid by OAuth (snsapi_base, silent) and signs in the active account bound to it.

Such a session is marked as made by WeChat: it lasts only while that WeChat stays bound, and it
is not "fresh", so sensitive acts still ask for the password. Outside WeChat, or for a WeChat
bound to nobody, the password page stays.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, flash, redirect, request, session, url_for
from flask_login import login_url

from infra.database import db_session
from models.sign_in.sessions import SessionMethod
from models.wechat.visitors import staff_for_openid
from web.auth import login_manager, safe_next, sign_in
from web.wechat.visitors import VISITOR_KEY, finish_oauth, inside_wechat, start_oauth

blueprint = Blueprint("staff_sign_in", __name__)

OAUTH_KEY = "staff_oauth"  # {state, next} while OAuth is under way
NOT_BOUND = "这个微信还没有绑定工作人员账号，请用手机号和密码登录；登录后可在「绑定微信」中绑定。"


def sign_in_through_wechat(next_path: str) -> Response:
    """Learn who the WeChat visitor is, sign in the account bound to it, and come back to `next_path`."""
    return start_oauth(OAUTH_KEY, next_path, "staff_sign_in.oauth_return")


@login_manager.unauthorized_handler
def _unauthorized() -> Response:
    if request.method == "GET" and inside_wechat():
        return sign_in_through_wechat(request.full_path.rstrip("?"))
    flash(login_manager.login_message)
    return redirect(login_url(login_manager.login_view, request.url))


@blueprint.get("/login/wechat")
def oauth_return() -> Response:
    openid, next_path = finish_oauth(OAUTH_KEY)
    user = staff_for_openid(db_session(), openid) if openid else None
    if user is None:
        flash(NOT_BOUND)
        return redirect(url_for("auth.login", next=safe_next(next_path)))
    # What the browser held before stays (the sandbox's chosen person, for one), but not a CSRF
    # token someone could have planted with the cookie: signing in makes a new one.
    session.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    session[VISITOR_KEY] = openid
    sign_in(user, SessionMethod.WECHAT, openid)
    return redirect(safe_next(next_path))
