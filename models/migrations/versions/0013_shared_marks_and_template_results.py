"""shared marks (绑定 guesses, WeChat nonces, rate limits without Redis) and the WeChat id of a
sent template message, so that its result event finds the push

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "shared_marks",
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=True),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_shared_marks")),
    )
    op.create_index(op.f("ix_shared_marks_expires_at"), "shared_marks", ["expires_at"])
    with op.batch_alter_table("deliveries") as batch:
        batch.add_column(sa.Column("wechat_msgid", sa.BigInteger(), nullable=True))
        batch.create_index("ix_deliveries_wechat_msgid", ["wechat_msgid"])


def downgrade() -> None:
    with op.batch_alter_table("deliveries") as batch:
        batch.drop_index("ix_deliveries_wechat_msgid")
        batch.drop_column("wechat_msgid")
    op.drop_index(op.f("ix_shared_marks_expires_at"), table_name="shared_marks")
    op.drop_table("shared_marks")
