"""the town's review and the district's rating: a sheet's weight, an item's department (its
trade), the departments' item scores, a village's evaluated assets per class, a town's proposed
score and the reason it was changed

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-07 22:05:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0013"
branch_labels = None
depends_on = None

POINTS = sa.Numeric(precision=5, scale=1)


def upgrade() -> None:
    with op.batch_alter_table("score_sheets", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weight", POINTS, nullable=True))
    with op.batch_alter_table("score_sheet_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_score_sheet_items_department_id_departments"), "departments", ["department_id"], ["id"]
        )
    with op.batch_alter_table("evaluation_item_scores", schema=None) as batch_op:
        batch_op.add_column(sa.Column("department_score", POINTS, nullable=True))
        batch_op.add_column(sa.Column("department_reason", sa.String(length=500), nullable=True))
    with op.batch_alter_table("village_evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("class_assets", sa.JSON(), nullable=True))
    with op.batch_alter_table("town_results", schema=None) as batch_op:
        batch_op.add_column(sa.Column("proposed", POINTS, nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("town_results", schema=None) as batch_op:
        batch_op.drop_column("reason")
        batch_op.drop_column("proposed")
    with op.batch_alter_table("village_evaluations", schema=None) as batch_op:
        batch_op.drop_column("class_assets")
    with op.batch_alter_table("evaluation_item_scores", schema=None) as batch_op:
        batch_op.drop_column("department_reason")
        batch_op.drop_column("department_score")
    with op.batch_alter_table("score_sheet_items", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_score_sheet_items_department_id_departments"), type_="foreignkey")
        batch_op.drop_column("department_id")
    with op.batch_alter_table("score_sheets", schema=None) as batch_op:
        batch_op.drop_column("weight")
