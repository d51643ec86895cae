"""One's own account: changing one's password, and setting it with a one-time link.

Changing it ends one's other sessions (this one stays); setting it by a link ends them all and
signs the person in afresh. A link sent to a WeChat opens only for its account signed in through
that WeChat: inside WeChat the visitor goes through OAuth first (web/wechat/sign_in.py).
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import confirm_login, current_user, login_required, logout_user

from infra.clock import now
from infra.database import db_session
from infra.sign_in.sessions import end_sessions_of
from models.errors import Invalid
from models.sign_in.sessions import SessionMethod
from models.staff.operations import (
    LINK_GONE,
    change_own_password,
    link_needs_wechat,
    open_password_link,
    set_password_by_link,
)
from web.auth import (
    TooManyFailures,
    before_password_check,
    current_session_id,
    password_failed,
    password_succeeded,
    sign_in,
    staff,
)
from web.errors import error_response
from web.wechat.sign_in import sign_in_through_wechat
from web.wechat.visitors import inside_wechat

blueprint = Blueprint("account", __name__, url_prefix="/account")
OPEN_IN_WECHAT = "这个链接已发到您绑定的微信，请在微信中打开。"


@blueprint.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    user = staff()
    if request.method == "GET":
        return render_template("account/password.html", user=user, errors={})
    form = request.form
    try:
        before_password_check(user.phone)
        change_own_password(
            db_session(), user, form.get("current", ""), form.get("password", ""), form.get("repeated", ""), now()
        )
    except TooManyFailures as refused:
        return render_template("account/password.html", user=user, errors={"current": refused.message}), 429
    except Invalid as error:
        if "current" in error.fields:
            try:
                password_failed(user.phone)
            except TooManyFailures as refused:
                return render_template("account/password.html", user=user, errors={"current": refused.message}), 429
        return render_template("account/password.html", user=user, errors=error.fields), 422
    password_succeeded(user.phone)
    end_sessions_of(user.id, keep=current_session_id())
    confirm_login()
    flash("密码已修改。您在其他手机或电脑上的登录已全部退出。")
    return redirect(url_for("account.change_password"), 303)


def _signed_in():
    return staff() if current_user.is_authenticated else None


@blueprint.route("/set-password/<token>", methods=["GET", "POST"])  # models.staff.operations.LINK_PATH
def set_password(token: str):
    link = open_password_link(db_session(), token, now())
    if link_needs_wechat(link, _signed_in()):
        if inside_wechat() and not current_user.is_authenticated and request.method == "GET":
            return sign_in_through_wechat(request.path)
        return error_response(403, OPEN_IN_WECHAT if not inside_wechat() else LINK_GONE)
    user = link.user
    if request.method == "GET":
        return render_template("account/set_password.html", user=user, errors={})
    form = request.form
    try:
        set_password_by_link(
            db_session(), token, form.get("password", ""), form.get("repeated", ""), now(), signed_in=_signed_in()
        )
    except Invalid as error:
        return render_template("account/set_password.html", user=user, errors=error.fields), 422
    end_sessions_of(user.id)
    logout_user()
    session.clear()
    sign_in(user, SessionMethod.PASSWORD)
    flash("密码已设置，您已登录。以后请用手机号和这个密码登录。")
    return redirect(url_for("overview.home"), 303)
