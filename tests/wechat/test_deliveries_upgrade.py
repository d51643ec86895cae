"""Upgrading files the pushes made before it: to staff under them and their region, a complaint's
result pushed to the villager under the asset's village, so the pushes log shows them all."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import select, update

from models.complaints.operations import ComplaintLimits, file_complaint, reject
from models.people import Role
from models.storage import LocalStorage
from models.wechat.deliveries import claim_delivery
from models.wechat.entities import Delivery, DeliveryChannel

MIGRATIONS = Path(__file__).parents[2] / "models" / "migrations" / "versions"


def the_upgrade():
    [path] = MIGRATIONS.glob("*_notification_consents.py")
    spec = importlib.util.spec_from_file_location("notification_consents_upgrade", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pushes_made_before_the_upgrade_are_filed_by_recipient_and_region(
    session, connection, county, build, clock, tmp_path
) -> None:
    village = county.villages["石桥村"]
    clerk = build.user(Role.VILLAGE_CLERK, village)
    clerk.wechat_openid = "o_clerk"
    complaint = file_complaint(
        session,
        LocalStorage(tmp_path),
        build.asset(village),
        category="损坏需维修",
        description="路面塌了一个大坑，晚上很危险。",
        contact_name=None,
        contact_phone=None,
        photos=[],
        openid="o_villager",
        now=clock.now(),
        limits=ComplaintLimits(),
    )
    step = reject(session, clerk, complaint, "不属于扶贫资产。", clock.now())
    keys = {"digest:1:2026-06-01": "o_clerk", f"complaint-rejected:{step.id}": "o_villager", "other:1": "o_x"}
    for key, openid in keys.items():
        claim_delivery(session, key=key, openid=openid, channel=DeliveryChannel.CUSTOM, payload={}, now=clock.now())
    session.execute(update(Delivery).values(user_id=None, region_id=None))  # as they were before
    session.flush()

    with Operations.context(MigrationContext.configure(connection)):
        the_upgrade().file_existing_pushes()

    session.expire_all()
    filed = {d.key: (d.user_id, d.region_id) for d in session.scalars(select(Delivery))}
    assert filed == {
        "digest:1:2026-06-01": (clerk.id, village.id),
        f"complaint-rejected:{step.id}": (None, village.id),
        "other:1": (None, None),
    }
