"""message claims keyed by their dedupe key, one B-tree

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03 11:00:00

The claims table is dropped and created again: claims matter only for the 15 s of WeChat's
retries, so at worst a message retried during the upgrade is handled twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base
from models.wechat.entities import SET_CLAIMS_UNLOGGED

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLE = "wechat_inbound_messages"


def _columns() -> list[sa.Column]:
    return [
        sa.Column("received_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=False),
    ]


def _unlogged() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SET_CLAIMS_UNLOGGED)


def upgrade() -> None:
    op.drop_table(TABLE)
    op.create_table(
        TABLE,
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        *_columns(),
        sa.PrimaryKeyConstraint("dedupe_key", name=op.f("pk_wechat_inbound_messages")),
        sqlite_with_rowid=False,
    )
    _unlogged()


def downgrade() -> None:
    op.drop_table(TABLE)
    op.create_table(
        TABLE,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dedupe_key", sa.String(length=64), nullable=False),
        *_columns(),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_wechat_inbound_messages")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_wechat_inbound_messages_dedupe_key")),
    )
    op.create_index(op.f("ix_wechat_inbound_messages_openid"), TABLE, ["openid"], unique=False)
    _unlogged()
