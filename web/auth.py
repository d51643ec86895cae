"""Staff sign-in: phone number and password (inside WeChat also the bound WeChat, see
web/wechat/sign_in.py), sessions kept on the server so that they can be ended, limits on failed
passwords, and a password asked again before sensitive acts.

The cookie carries only a random session id (signed); infra.sign_in keeps what it stands for.
A session made by WeChat is not "fresh" in Flask-Login's sense: pages marked
`fresh_login_required` (changing staff, exporting the register …) ask for the password first.
"""

from __future__ import annotations

import datetime as dt
import math
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_limiter.util import get_remote_address
from flask_login import LoginManager, confirm_login, current_user, login_user, logout_user
from sqlalchemy.orm import Session

from infra.clock import now
from infra.database import after_commit, db_session
from infra.sign_in import init_app as init_sign_in
from infra.sign_in.sessions import SessionsUnavailable, end_session, open_session, signed_in
from infra.sign_in.throttle import ThrottleUnavailable, throttle
from models.errors import DomainError
from models.people import User, authenticate, record_sign_in
from models.sign_in.sessions import SessionMethod, SessionRecord
from models.sign_in.throttle import ACCOUNT, ADDRESS, account_key, address_key
from web.errors import HTTP_MESSAGES, error_response

blueprint = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.refresh_view = "auth.confirm"
login_manager.needs_refresh_message = "这项操作需要先输入密码，确认是您本人。"
login_manager.session_protection = "strong"

NO_MATCH = "手机号或密码不正确。"


class SessionUser:
    """What Flask-Login knows of the signed-in person: their account and their session's id."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, user: User, session_id: str, record: SessionRecord):
        self.user, self.session_id, self.record = user, session_id, record

    @property
    def is_active(self) -> bool:
        return self.user.active

    def get_id(self) -> str:
        return self.session_id


class TooManyFailures(DomainError):
    status = 429


def init_app(app: Flask) -> None:
    init_sign_in(app)
    login_manager.init_app(app)
    app.register_blueprint(blueprint)
    app.register_error_handler(SessionsUnavailable, _store_unavailable)
    app.register_error_handler(ThrottleUnavailable, _store_unavailable)


def _store_unavailable(_error: Exception):
    return error_response(503, HTTP_MESSAGES[503])


@login_manager.user_loader
def _load_user(session_id: str) -> SessionUser | None:
    found = signed_in(session_id)
    if found is None:
        return None
    record, user = found
    return SessionUser(user, session_id, record)


@login_manager.needs_refresh_handler
def _needs_refresh():
    """To the password page, then back: to this page, or for a form sent, to the page it was on."""
    flash(login_manager.needs_refresh_message)
    if request.method == "GET":
        back = request.full_path.rstrip("?")
    else:
        referrer = urlsplit(request.referrer or "")
        back = referrer.path if referrer.netloc == request.host else None
    return redirect(url_for("auth.confirm", next=safe_next(back)))


def staff() -> User:
    """The signed-in staff member of this request."""
    return current_user.user


def current_session_id() -> str:
    return current_user.session_id


def sign_in(user: User, method: SessionMethod, openid: str | None = None) -> None:
    """Start a session for `user`, whose identity the door has checked (password or WeChat)."""
    session.permanent = True
    session_id, record = open_session(user.id, method, openid)
    record_sign_in(user, now())
    login_user(SessionUser(user, session_id, record), fresh=method is SessionMethod.PASSWORD)


def safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("overview.home")


def _wait_message(until: dt.datetime) -> str:
    local = until.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))
    minutes = max(1, math.ceil((until - now()).total_seconds() / 60))
    return (
        f"密码输错的次数太多，请在{local:%H:%M}以后再试（约{minutes}分钟）。"
        "已绑定微信的工作人员可在微信中直接打开本系统。"
    )


def _keys(phone: str) -> list[str]:
    return [account_key(phone), address_key(get_remote_address())]


def before_password_check(phone: str) -> None:
    """Refuse to check a password at all while the account, or this address, is locked."""
    until = throttle().locked_until(_keys(phone))
    if until is not None:
        raise TooManyFailures(_wait_message(until))


def password_failed(phone: str) -> None:
    """Count a wrong password; say when to try again once this locks the account or the address.

    The request keeps nothing from a failed attempt: its own transaction ends first, and the count
    is kept in one of its own, which the refusal (4xx, rolled back) does not undo."""
    db_session().rollback()
    account, address = _keys(phone)
    locks = [throttle().count_failure(account, ACCOUNT), throttle().count_failure(address, ADDRESS)]
    until = max((lock for lock in locks if lock is not None), default=None)
    if until is not None:
        raise TooManyFailures(_wait_message(until))


def password_succeeded(phone: str) -> None:
    """The account's count starts afresh once the request has committed (the count's own write
    must not wait on the request's); the address's does not (one good account must not let a
    guesser at the same address start over)."""
    after_commit(_forget_failures, account_key(phone))


def _forget_failures(_session: Session, key: str) -> None:
    throttle().forget(key)


@blueprint.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(safe_next(request.args.get("next")))
    phone = request.form.get("phone", "").strip()[:20]
    if request.method == "GET":
        return render_template("login.html", error=None, phone=phone)
    try:
        before_password_check(phone)
        user = authenticate(db_session(), phone, request.form.get("password", ""))
        if user is None:
            password_failed(phone)
    except TooManyFailures as refused:
        return render_template("login.html", error=refused.message, phone=phone), refused.status
    if user is None:
        return render_template("login.html", error=NO_MATCH, phone=phone), 401
    password_succeeded(phone)
    session.clear()
    sign_in(user, SessionMethod.PASSWORD)
    return redirect(safe_next(request.args.get("next")))


@blueprint.route("/login/confirm", methods=["GET", "POST"])
def confirm():
    """The password once more, for a session made by WeChat before a sensitive act."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.args.get("next")))
    user = staff()
    if request.method == "GET":
        return render_template("confirm.html", error=None)
    try:
        before_password_check(user.phone)
        if not user.check_password(request.form.get("password", "")):
            password_failed(user.phone)
            return render_template("confirm.html", error="密码不正确。"), 401
    except TooManyFailures as refused:
        return render_template("confirm.html", error=refused.message), refused.status
    password_succeeded(user.phone)
    confirm_login()
    return redirect(safe_next(request.args.get("next")))


@blueprint.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        end_session(current_session_id())
    logout_user()
    session.clear()
    flash("您已退出登录。")
    return redirect(url_for("auth.login"))
