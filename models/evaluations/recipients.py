"""Who is told of a step of a village's evaluation: the supervisors when there is something to
sign, the clerks when it came back, the town when the village reported."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from models.evaluations.entities import VillageEvaluation
from models.people import Role, User
from models.regions import Region, RegionLevel

TO_SIGN, SENT_BACK, REPORTED, REOPENED = "to_sign", "sent_back", "reported", "reopened"

# What each push says (the village, the year and what it is, then where to act).
TEXTS = {
    TO_SIGN: "【待签字】{village}{year}年度{stage}已提交，请审核签字或退回：{url}",
    SENT_BACK: "【已退回】{village}{year}年度{stage}被退回：{reason}。请修改后重新提交：{url}",
    REPORTED: "【已上报】{village}{year}年度{stage}已报镇，请复核：{url}",
    REOPENED: "【重新打开】{village}{year}年度{stage}已重新打开，原签字作废：{reason}。{url}",
}


def recipients(
    session: Session, evaluation: VillageEvaluation, event: str, also: list[int] | tuple[int, ...] = ()
) -> list[User]:
    """The active, WeChat-bound people to tell of `event` (and the users `also`)."""
    village, town = evaluation.village_id, evaluation.town_id
    if event == TO_SIGN:
        signed = {s.user_id for s in evaluation.valid_signatures}
        wanted = (User.region_id == village) & User.village_post.is_not(None) & User.id.not_in(signed or [0])
    elif event == REPORTED:
        wanted = (User.region_id == town) & (User.role == Role.TOWN_OFFICIAL)
    else:
        wanted = (User.region_id == village) & (User.role == Role.VILLAGE_CLERK)
    if also:
        wanted = wanted | User.id.in_(list(also))
    query = select(User).where(wanted, User.active.is_(True), User.wechat_openid.is_not(None)).order_by(User.id)
    return list(session.scalars(query))


def clerks_of_district(session: Session, district_id: int) -> list[User]:
    """The district's active, WeChat-bound village clerks (told that targets are issued)."""
    villages = select(Region.id).where(Region.district_id == district_id, Region.level == RegionLevel.VILLAGE)
    return _bound_clerks(session, villages)


def clerks_of_village(session: Session, village_id: int) -> list[User]:
    """The village's active, WeChat-bound clerks (told that its own targets changed)."""
    return _bound_clerks(session, [village_id])


def _bound_clerks(session: Session, villages: Select[tuple[int]] | list[int]) -> list[User]:
    query = select(User).where(
        User.region_id.in_(villages),
        User.role == Role.VILLAGE_CLERK,
        User.active.is_(True),
        User.wechat_openid.is_not(None),
    )
    return list(session.scalars(query.order_by(User.id)))
