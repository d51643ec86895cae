"""village posts: who chairs the supervision committee and the cooperative's supervisory board

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

HOLDERS = "active AND village_post IS NOT NULL"


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column(
                "village_post",
                sa.Enum(
                    "supervision_committee_chair",
                    "cooperative_board_chair",
                    name="villagepost",
                    native_enum=False,
                    length=32,
                ),
                nullable=True,
            )
        )
    op.create_index(
        "uq_users_village_post_holder",
        "users",
        ["region_id", "village_post"],
        unique=True,
        sqlite_where=sa.text(HOLDERS),
        postgresql_where=sa.text(HOLDERS),
    )


def downgrade() -> None:
    op.drop_index("uq_users_village_post_holder", table_name="users")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("village_post")
