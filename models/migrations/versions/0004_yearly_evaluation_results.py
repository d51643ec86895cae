"""yearly evaluation results

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 10:49:49
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("region_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(precision=4, scale=1), nullable=False),
        sa.Column(
            "grade",
            sa.Enum("excellent", "good", "fair", "poor", name="grade", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("rated_by_id", sa.Integer(), nullable=True),
        sa.Column("rated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["rated_by_id"], ["users.id"], name=op.f("fk_evaluations_rated_by_id_users")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_evaluations_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint("region_id", "year", name=op.f("uq_evaluations_region_id_year")),
    )


def downgrade() -> None:
    op.drop_table("evaluations")
