"""A one-time link to set a new password is sent to the person's bound WeChat after the commit.

Customer-service text (there is no template for it): WeChat delivers it when the person has
written to the account within 48 hours, else the send fails, which the pushes log shows; the
manager can then reset again and have the link shown instead. The text is kept in the pushes log
like every push, which is why such a link opens only in that WeChat (models.staff.operations).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from bot.notifier import send_text
from models.clock import local_time
from models.staff.entities import PasswordLink
from models.staff.operations import password_link

LINK_TEXT = (
    "{by}为您重置了资产管护通的登录密码，原密码已失效。请在{until}前点开下面的链接设置新密码"
    "（只能在本微信中打开，只能用一次）：{url}"
)


def push_password_link(session: Session, link_id: int, token: str, by: str) -> None:
    config = current_app.config
    link = session.get_one(PasswordLink, link_id)
    if link.openid is None or link.used_at is not None or not config.get("WECHAT_APPID"):
        return
    url = password_link(config["PUBLIC_BASE_URL"], token)
    until = local_time(link.expires_at, config["TIMEZONE"])
    send_text(session, link.openid, LINK_TEXT.format(by=by, until=until, url=url), key=f"password-link:{link.id}")
