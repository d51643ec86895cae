"""Everything that speaks WeChat: the message endpoint, router and handlers; the outbound client."""

from __future__ import annotations

from flask import Flask

from bot import endpoint, sandbox


def init_app(app: Flask) -> None:
    """Mount the /wechat endpoint, and the fake WeChat when GUANHU_WECHAT_SANDBOX is on."""
    endpoint.init_app(app)
    if app.config["WECHAT_SANDBOX"]:
        sandbox.init_app(app)
