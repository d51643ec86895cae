"""Staff sign-in: phone number and password, a server-signed session, CSRF on every form."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, current_user, login_user, logout_user

from infra.database import db_session
from models.people import User, authenticate
from web.security import limiter

blueprint = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录。"
login_manager.session_protection = "strong"


class SessionUser:
    """What Flask-Login keeps: the account plus a fingerprint of its password, so that changing
    the password or deactivating the account ends every other session."""

    def __init__(self, user: User):
        self.user = user

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.user.active

    def get_id(self) -> str:
        return f"{self.user.id}:{self.user.password_hash[-16:]}"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    app.register_blueprint(blueprint)


@login_manager.user_loader
def _load_user(session_id: str) -> SessionUser | None:
    user_id, _, fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db_session().get(User, int(user_id))
    if user is None or not user.active or user.password_hash[-16:] != fingerprint:
        return None
    return SessionUser(user)


def staff() -> User:
    """The signed-in staff member of this request."""
    return current_user.user


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("assets.index")


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_RATE_LIMIT"], methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    error = None
    phone = request.form.get("phone", "").strip()
    if request.method == "POST":
        user = authenticate(db_session(), phone, request.form.get("password", ""))
        if user is None:
            error = "手机号或密码不正确。"
        else:
            session.clear()
            session.permanent = True
            login_user(SessionUser(user))
            return redirect(_safe_next(request.args.get("next")))
    status = 401 if error else 200
    return render_template("login.html", error=error, phone=phone), status


@blueprint.route("/logout", methods=["POST"])
def logout():
    logout_user()
    session.clear()
    flash("您已退出登录。")
    return redirect(url_for("auth.login"))
