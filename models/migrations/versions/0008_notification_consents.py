"""notification consents, and pushes filed by recipient and region

Who accepted or refused which notification template (订阅通知); each push remembers the staff
member it went to and the region it is about, so the pushes log can show every push, villagers'
too, to the staff of that region. Existing pushes to staff are filed under them.

Revision ID: 0008
Revises: 0011
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0008"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "wechat_notification_consents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
        sa.Column("template_id", sa.String(length=128), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("changed_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column(
            "source",
            sa.Enum("popup", "change", "sent", "send_refused", name="consentsource", native_enum=False, length=32),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_notification_consents")),
        sa.UniqueConstraint("openid", "template_id", name=op.f("uq_wechat_notification_consents_openid_template_id")),
    )
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("region_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_deliveries_user_id_users"), "users", ["user_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_foreign_key(
            batch.f("fk_deliveries_region_id_regions"), "regions", ["region_id"], ["id"], ondelete="SET NULL"
        )
        batch.create_index(batch.f("ix_deliveries_region_id"), ["region_id"], unique=False)
    file_existing_pushes()


def file_existing_pushes() -> None:
    """Pushes to staff go under the staff member and their region; a complaint's answer or
    rejection pushed to the villager (keyed `complaint-<kind>:<step id>`) under its asset's village."""
    op.execute(
        """
        UPDATE deliveries SET
            user_id = (SELECT users.id FROM users WHERE users.wechat_openid = deliveries.openid),
            region_id = (SELECT users.region_id FROM users WHERE users.wechat_openid = deliveries.openid)
        """
    )
    _file_complaint_pushes_under_their_village()


def _file_complaint_pushes_under_their_village() -> None:
    connection = op.get_bind()
    pushes = connection.execute(
        sa.text(
            "SELECT id, key FROM deliveries WHERE region_id IS NULL"
            " AND (key LIKE 'complaint-answered:%' OR key LIKE 'complaint-rejected:%')"
        )
    ).all()
    village_of_step = sa.text(
        "SELECT assets.village_id FROM complaint_steps"
        " JOIN complaints ON complaints.id = complaint_steps.complaint_id"
        " JOIN assets ON assets.id = complaints.asset_id WHERE complaint_steps.id = :step"
    )
    for delivery_id, key in pushes:
        step = key.split(":", 1)[1]
        village = connection.scalar(village_of_step, {"step": int(step)}) if step.isdigit() else None
        if village is not None:
            connection.execute(
                sa.text("UPDATE deliveries SET region_id = :village WHERE id = :id"),
                {"village": village, "id": delivery_id},
            )


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index(batch.f("ix_deliveries_region_id"))
        batch.drop_constraint(batch.f("fk_deliveries_region_id_regions"), type_="foreignkey")
        batch.drop_constraint(batch.f("fk_deliveries_user_id_users"), type_="foreignkey")
        batch.drop_column("region_id")
        batch.drop_column("user_id")
    op.drop_table("wechat_notification_consents")
