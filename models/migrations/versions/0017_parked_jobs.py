"""parked jobs: work after a WeChat reply that failed every retry

Revision ID: 0017
Revises: 0018
Create Date: 2026-12-07 23:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0017"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "parked_jobs",
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("job", sa.String(length=120), nullable=False),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("error", sa.String(length=300), nullable=False),
        sa.Column("parked_at", UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_parked_jobs")),
    )


def downgrade() -> None:
    op.drop_table("parked_jobs")
