"""Everything that speaks WeChat: the message endpoint, router and handlers; the outbound client."""

from __future__ import annotations

import importlib.util

from flask import Flask


def init_app(app: Flask) -> None:
    """Mount the /wechat endpoint, and the fake WeChat when GUANHU_WECHAT_SANDBOX is on."""
    from bot import endpoint

    endpoint.init_app(app)
    if app.config["WECHAT_SANDBOX"] and importlib.util.find_spec("bot.sandbox") is not None:
        from bot import sandbox

        sandbox.init_app(app)
