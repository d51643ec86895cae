"""message claims unlogged on PostgreSQL

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03 08:00:00
"""

from __future__ import annotations

from alembic import op

from models.wechat.entities import SET_CLAIMS_LOGGED, SET_CLAIMS_UNLOGGED

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SET_CLAIMS_UNLOGGED)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SET_CLAIMS_LOGGED)
