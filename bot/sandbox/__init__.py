"""The sandbox: WeChat on this machine (GUANHU_WECHAT_SANDBOX=1; refused in production mode).

A fake WeChat API for the outbound client, and a phone simulator page that talks to the real
`/wechat` endpoint, so the whole product can be tried before owning an official account.
"""

from __future__ import annotations

from flask import Flask

from bot.sandbox import fake_api, phone


def init_app(app: Flask) -> None:
    """Mount the fake API and the phone; only called when WECHAT_SANDBOX is on."""
    app.register_blueprint(fake_api.blueprint)
    app.register_blueprint(phone.blueprint)
    app.extensions["csrf"].exempt(fake_api.blueprint)  # called by the client, signed by token
