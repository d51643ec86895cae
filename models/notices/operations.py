"""Public notices (公告公示) shown on an asset's public page while they run.

A small table so the villager's page can show what is currently on notice for an asset or for
its whole village; the notice workflow itself (drafting, approval) is not built yet.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from models import audit
from models.assets.entities import Asset
from models.errors import Invalid
from models.notices.entities import MAX_BODY, MAX_TITLE, PublicNotice
from models.people import User
from models.regions import Region


def publish_notice(
    session: Session,
    actor: User | None,
    *,
    village: Region,
    asset: Asset | None,
    title: str,
    body: str,
    starts_on: dt.date,
    ends_on: dt.date,
    now: dt.datetime,
) -> PublicNotice:
    """Put a notice up for a village (or one of its assets) from `starts_on` to `ends_on`."""
    title, body = title.strip(), body.strip()
    errors = {}
    if not title or len(title) > MAX_TITLE:
        errors["title"] = f"标题应为1到{MAX_TITLE}个字。"
    if not body or len(body) > MAX_BODY:
        errors["body"] = f"正文应为1到{MAX_BODY}个字。"
    if ends_on < starts_on:
        errors["ends_on"] = "公示结束日期不能早于开始日期。"
    if asset is not None and asset.village_id != village.id:
        errors["asset"] = "资产不在这个村。"
    if errors:
        raise Invalid(errors)
    notice = PublicNotice(
        village_id=village.id,
        asset_id=asset.id if asset else None,
        title=title,
        body=body,
        starts_on=starts_on,
        ends_on=ends_on,
        created_at=now,
    )
    session.add(notice)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type="notice",
        entity_id=notice.id,
        action="publish",
        changes={"title": title, "period": f"{starts_on}至{ends_on}"},
        now=now,
        first=True,
    )
    return notice
