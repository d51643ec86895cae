"""Everything that speaks WeChat: the message endpoint, router and handlers; the outbound client."""

from __future__ import annotations

from flask import Flask

from bot import endpoint, sandbox
from bot.after_commit.wechat import tell_parked
from infra.background import background


def init_app(app: Flask) -> None:
    """Mount the /wechat endpoint, and the fake WeChat when GUANHU_WECHAT_SANDBOX is on; the
    sender of work that failed every retry is told."""
    endpoint.init_app(app)
    background(app).tell_parked = tell_parked
    if app.config["WECHAT_SANDBOX"]:
        sandbox.init_app(app)
