"""villagers' chat and pages: the asset a visitor scanned last, complaints handed to a person or a
unit and appealed, repairs arranged (who, by when)

Revision ID: 0010
Revises: 0006
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from models.base import UTCDateTime

revision = "0010"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("wechat_visitors") as batch:
        batch.add_column(sa.Column("last_asset_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("last_asset_at", UTCDateTime(timezone=True), nullable=True))
        batch.create_foreign_key(
            "fk_wechat_visitors_last_asset_id_assets", "assets", ["last_asset_id"], ["id"], ondelete="SET NULL"
        )
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("assigned_user_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("assigned_department_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("assigned_region_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("appealed_at", UTCDateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_complaints_assigned_user_id_users", "users", ["assigned_user_id"], ["id"])
        batch.create_foreign_key(
            "fk_complaints_assigned_department_id_departments", "departments", ["assigned_department_id"], ["id"]
        )
        batch.create_foreign_key("fk_complaints_assigned_region_id_regions", "regions", ["assigned_region_id"], ["id"])
        batch.create_index("ix_complaints_assigned_user_id", ["assigned_user_id"])
        batch.create_index("ix_complaints_assigned_department_id", ["assigned_department_id"])
        batch.create_index("ix_complaints_assigned_region_id", ["assigned_region_id"])
    with op.batch_alter_table("repair_tasks") as batch:
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("arranged_at", UTCDateTime(timezone=True), nullable=True))
        batch.create_foreign_key("fk_repair_tasks_assignee_id_users", "users", ["assignee_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("repair_tasks") as batch:
        batch.drop_constraint("fk_repair_tasks_assignee_id_users", type_="foreignkey")
        batch.drop_column("arranged_at")
        batch.drop_column("assignee_id")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_index("ix_complaints_assigned_region_id")
        batch.drop_index("ix_complaints_assigned_department_id")
        batch.drop_index("ix_complaints_assigned_user_id")
        batch.drop_constraint("fk_complaints_assigned_region_id_regions", type_="foreignkey")
        batch.drop_constraint("fk_complaints_assigned_department_id_departments", type_="foreignkey")
        batch.drop_constraint("fk_complaints_assigned_user_id_users", type_="foreignkey")
        batch.drop_column("appealed_at")
        batch.drop_column("assigned_region_id")
        batch.drop_column("assigned_department_id")
        batch.drop_column("assigned_user_id")
    with op.batch_alter_table("wechat_visitors") as batch:
        batch.drop_constraint("fk_wechat_visitors_last_asset_id_assets", type_="foreignkey")
        batch.drop_column("last_asset_at")
        batch.drop_column("last_asset_id")
