"""a village's targets set for it alone (they stay when the district issues the same to all)

Revision ID: 0018
Revises: 0016
Create Date: 2026-12-07 23:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0018"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("village_targets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("own_values_at", models.base.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("village_targets", schema=None) as batch_op:
        batch_op.drop_column("own_values_at")
