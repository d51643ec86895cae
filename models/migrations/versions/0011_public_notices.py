"""public notices: subjects, outcomes and owners; village boards; district defaults; objections

Existing notices become manual notices (subject kind `manual`) still running, owned by their
village; the next tick of the notices job decides those whose period is over. Complaints may now
be objections to a notice instead of complaints about an asset. The notice-end deadline is owned
by the unit that opened the notice (a village's clerks, a town's officials or the district).

Revision ID: 0011
Revises: 0005
Create Date: 2026-12-08 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0011"
down_revision = "0005"
branch_labels = None
depends_on = None

OUTCOMES = ("running", "awaiting_objections", "passed", "upheld", "withdrawn")
NOTICE_OWNER_ROLES = ("town_official", "district_admin")  # besides the village clerk, who had it

notices = sa.table(
    "public_notices",
    sa.column("subject_kind", sa.String),
    sa.column("outcome", sa.String),
    sa.column("owner_region_id", sa.Integer),
    sa.column("village_id", sa.Integer),
)
kinds = sa.table("deadline_kinds", sa.column("code", sa.String))
kind_roles = sa.table(
    "deadline_kind_roles", sa.column("kind", sa.String), sa.column("role", sa.String), sa.column("upper", sa.Boolean)
)


def upgrade() -> None:
    with op.batch_alter_table("public_notices") as batch:
        batch.add_column(sa.Column("subject_kind", sa.String(length=30), nullable=True))
        batch.add_column(sa.Column("subject_id", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("outcome", sa.Enum(*OUTCOMES, name="noticeoutcome", native_enum=False, length=32), nullable=True)
        )
        batch.add_column(sa.Column("decided_at", models.base.UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("withdrawal_reason", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("opened_by_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("owner_region_id", sa.Integer(), nullable=True))
    op.execute(notices.update().values(subject_kind="manual", outcome="running", owner_region_id=notices.c.village_id))
    with op.batch_alter_table("public_notices") as batch:
        batch.alter_column("subject_kind", existing_type=sa.String(length=30), nullable=False)
        batch.alter_column(
            "outcome",
            existing_type=sa.Enum(*OUTCOMES, name="noticeoutcome", native_enum=False, length=32),
            nullable=False,
        )
        batch.alter_column("owner_region_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(op.f("fk_public_notices_opened_by_id_users"), "users", ["opened_by_id"], ["id"])
        batch.create_foreign_key(
            op.f("fk_public_notices_owner_region_id_regions"), "regions", ["owner_region_id"], ["id"]
        )
        batch.create_index("ix_public_notices_subject", ["subject_kind", "subject_id"], unique=False)
        batch.create_index("ix_public_notices_outcome_ends", ["outcome", "ends_on"], unique=False)

    op.create_table(
        "notice_boards",
        sa.Column("village_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["village_id"], ["regions.id"], name=op.f("fk_notice_boards_village_id_regions")),
        sa.PrimaryKeyConstraint("village_id", name=op.f("pk_notice_boards")),
        sa.UniqueConstraint("token", name=op.f("uq_notice_boards_token")),
    )
    op.create_table(
        "notice_defaults",
        sa.Column("district_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["regions.id"], name=op.f("fk_notice_defaults_district_id_regions")),
        sa.PrimaryKeyConstraint("district_id", name=op.f("pk_notice_defaults")),
    )

    with op.batch_alter_table("complaints") as batch:
        batch.alter_column("asset_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("notice_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("upheld", sa.Boolean(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_complaints_notice_id_public_notices"), "public_notices", ["notice_id"], ["id"]
        )
        batch.create_index(batch.f("ix_complaints_notice_id"), ["notice_id"], unique=False)

    # Where the deadline kinds were made already, the notice's end now reminds whoever opened it.
    connection = op.get_bind()
    if connection.scalar(sa.select(kinds.c.code).where(kinds.c.code == "notice_end")) is not None:
        for role in NOTICE_OWNER_ROLES:
            op.execute(kind_roles.insert().values(kind="notice_end", role=role, upper=False))


def downgrade() -> None:
    op.execute(kind_roles.delete().where(kind_roles.c.kind == "notice_end", kind_roles.c.role.in_(NOTICE_OWNER_ROLES)))
    objections = "SELECT id FROM complaints WHERE notice_id IS NOT NULL"
    op.execute(sa.text(f"DELETE FROM complaint_steps WHERE complaint_id IN ({objections})"))  # noqa: S608
    op.execute(sa.text("DELETE FROM complaints WHERE notice_id IS NOT NULL"))
    with op.batch_alter_table("complaints") as batch:
        batch.drop_index(batch.f("ix_complaints_notice_id"))
        batch.drop_constraint(op.f("fk_complaints_notice_id_public_notices"), type_="foreignkey")
        batch.drop_column("upheld")
        batch.drop_column("notice_id")
        batch.alter_column("asset_id", existing_type=sa.Integer(), nullable=False)
    op.drop_table("notice_defaults")
    op.drop_table("notice_boards")
    with op.batch_alter_table("public_notices") as batch:
        batch.drop_index("ix_public_notices_outcome_ends")
        batch.drop_index("ix_public_notices_subject")
        batch.drop_constraint(op.f("fk_public_notices_owner_region_id_regions"), type_="foreignkey")
        batch.drop_constraint(op.f("fk_public_notices_opened_by_id_users"), type_="foreignkey")
        for column in (
            "owner_region_id",
            "opened_by_id",
            "withdrawal_reason",
            "decided_at",
            "outcome",
            "subject_id",
            "subject_kind",
        ):
            batch.drop_column(column)
