"""Who is told of a damage report (损毁报告) at once: the custodian body and the town.

The custodian body is the asset's village: its custodians and clerks. The town is its officials.
Only those with a bound WeChat who still follow the account can be reached; the reporter knows.
"""

from __future__ import annotations

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from models.assets.entities import Asset
from models.people import Role, User
from models.wechat.entities import WeChatVisitor

CUSTODIAN_BODY = (Role.CUSTODIAN, Role.VILLAGE_CLERK)


def damage_report_recipients(session: Session, asset: Asset, reporter_id: int | None) -> list[User]:
    """Active staff to push a damage report of `asset` to, the reporter left out."""
    unfollowed = select(WeChatVisitor.openid).where(WeChatVisitor.subscribed.is_(False))
    return list(
        session.scalars(
            select(User)
            .where(
                User.active.is_(True),
                User.wechat_openid.is_not(None),
                User.wechat_openid.not_in(unfollowed),
                User.id != (reporter_id or 0),
                or_(
                    and_(User.role.in_(CUSTODIAN_BODY), User.region_id == asset.village_id),
                    and_(User.role == Role.TOWN_OFFICIAL, User.region_id == asset.town_id),
                ),
            )
            .order_by(User.id)
        )
    )
