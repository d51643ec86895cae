"""绑定微信: a staff member gets a one-time code to send from WeChat, or unlinks their WeChat."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_login import fresh_login_required, login_required

from bot.after_commit.wechat import sync_staff_tag
from infra.clock import now
from infra.database import after_commit, db_session
from models.wechat.binding import BIND_CODE_LIFETIME, issue_bind_code, unbind_wechat
from web.auth import staff
from web.security import limiter

blueprint = Blueprint("binding", __name__, url_prefix="/account")
MINUTES_VALID = int(BIND_CODE_LIFETIME.total_seconds() // 60)


@blueprint.get("")
@login_required
def index():
    """The account's only page so far is 绑定微信."""
    return redirect(url_for("binding.wechat"))


@blueprint.get("/wechat")
@login_required
def wechat():
    return render_template("wechat/binding.html", user=staff(), code=None, minutes=MINUTES_VALID)


@blueprint.post("/wechat/code")
@fresh_login_required  # a code binds another WeChat: a session made by WeChat confirms the password first
@limiter.limit("10 per hour")
def new_code():
    code = issue_bind_code(db_session(), staff(), now())
    return render_template("wechat/binding.html", user=staff(), code=code, minutes=MINUTES_VALID)


@blueprint.post("/wechat/unbind")
@login_required
def unbind():
    openid = staff().wechat_openid
    unbind_wechat(db_session(), staff(), now())
    if openid:
        after_commit(sync_staff_tag, openid)  # back to the villagers' menu
    flash("已解除微信绑定，提醒不会再发到那个微信。")
    return redirect(url_for("binding.wechat"))
