"""the yearly evaluation cycle: score sheets and grade bands, targets, village evaluations with
item scores and signatures, villagers' care ratings, towns' results

The hand-typed results move: a village's becomes its year-end evaluation, done (status `rated`,
with its score and grade and no items), a town's its row of `town_results`.

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-07 21:31:47.590304
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None

MOVE_VILLAGE_RESULTS = """
INSERT INTO village_evaluations (district_id, town_id, village_id, year, stage, status, score, grade,
                                 created_at, updated_at, rated_by_id, rated_at)
SELECT r.district_id, r.parent_id, e.region_id, e.year, 'self_evaluation', 'rated', e.score, e.grade,
       e.rated_at, e.rated_at, e.rated_by_id, e.rated_at
FROM evaluations e JOIN regions r ON r.id = e.region_id
WHERE r.level = 'village'
"""
MOVE_TOWN_RESULTS = """
INSERT INTO town_results (district_id, town_id, year, score, grade, rated_by_id, rated_at)
SELECT r.district_id, e.region_id, e.year, e.score, e.grade, e.rated_by_id, e.rated_at
FROM evaluations e JOIN regions r ON r.id = e.region_id
WHERE r.level = 'town'
"""
RESTORE_RESULTS = """
INSERT INTO evaluations (region_id, year, score, grade, rated_by_id, rated_at)
SELECT village_id, year, score, grade, rated_by_id, rated_at FROM village_evaluations
WHERE stage = 'self_evaluation' AND score IS NOT NULL AND grade IS NOT NULL AND rated_at IS NOT NULL
UNION ALL
SELECT town_id, year, score, grade, rated_by_id, rated_at FROM town_results
"""


def upgrade() -> None:
    op.create_table(
        "grade_bands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "grade",
            sa.Enum("excellent", "good", "fair", "poor", name="grade", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("min_score", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["regions.id"], name=op.f("fk_grade_bands_district_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grade_bands")),
        sa.UniqueConstraint("district_id", "year", "grade", name=op.f("uq_grade_bands_district_id_year_grade")),
    )
    op.create_table(
        "score_sheets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "asset_class",
            sa.Enum("public_benefit", "operating", "household", name="assetclass", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["regions.id"], name=op.f("fk_score_sheets_district_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_sheets")),
        sa.UniqueConstraint(
            "district_id", "year", "asset_class", name=op.f("uq_score_sheets_district_id_year_asset_class")
        ),
    )
    op.create_table(
        "asset_care_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "rating",
            sa.Enum("satisfied", "mostly_satisfied", "unsatisfied", name="rating", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("word", sa.String(length=200), nullable=True),
        sa.Column("openid", sa.String(length=64), nullable=True),
        sa.Column("device", sa.String(length=64), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_asset_care_ratings_asset_id_assets")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_asset_care_ratings")),
        sa.UniqueConstraint("asset_id", "year", "openid", name=op.f("uq_asset_care_ratings_asset_id_year_openid")),
    )
    with op.batch_alter_table("asset_care_ratings", schema=None) as batch_op:
        batch_op.create_index("ix_asset_care_ratings_asset_year", ["asset_id", "year"], unique=False)

    op.create_table(
        "score_sheet_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sheet_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=200), nullable=False),
        sa.Column("points", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column("guidance", sa.Text(), nullable=False),
        sa.Column("rule", sa.String(length=40), nullable=True),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sheet_id"],
            ["score_sheets.id"],
            name=op.f("fk_score_sheet_items_sheet_id_score_sheets"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_score_sheet_items")),
    )
    with op.batch_alter_table("score_sheet_items", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_score_sheet_items_sheet_id"), ["sheet_id"], unique=False)

    op.create_table(
        "evaluated_assets",
        sa.Column("year", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("asset_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("marked_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["asset_id"], ["assets.id"], name=op.f("fk_evaluated_assets_asset_id_assets")),
        sa.ForeignKeyConstraint(["marked_by_id"], ["users.id"], name=op.f("fk_evaluated_assets_marked_by_id_users")),
        sa.ForeignKeyConstraint(["village_id"], ["regions.id"], name=op.f("fk_evaluated_assets_village_id_regions")),
        sa.PrimaryKeyConstraint("year", "asset_id", name=op.f("pk_evaluated_assets")),
    )
    with op.batch_alter_table("evaluated_assets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluated_assets_asset_id"), ["asset_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_evaluated_assets_village_id"), ["village_id"], unique=False)

    op.create_table(
        "town_results",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("town_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("score", sa.Numeric(precision=5, scale=1), nullable=False),
        sa.Column(
            "grade",
            sa.Enum("excellent", "good", "fair", "poor", name="grade", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column("rated_by_id", sa.Integer(), nullable=True),
        sa.Column("rated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["district_id"], ["regions.id"], name=op.f("fk_town_results_district_id_regions")),
        sa.ForeignKeyConstraint(["rated_by_id"], ["users.id"], name=op.f("fk_town_results_rated_by_id_users")),
        sa.ForeignKeyConstraint(["town_id"], ["regions.id"], name=op.f("fk_town_results_town_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_town_results")),
        sa.UniqueConstraint("town_id", "year", name=op.f("uq_town_results_town_id_year")),
    )
    op.create_table(
        "village_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("town_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column(
            "stage",
            sa.Enum("self_check", "self_evaluation", name="stage", native_enum=False, length=32),
            nullable=False,
        ),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "sent_back",
                "signing",
                "on_notice",
                "reported",
                "reviewed",
                "rated",
                name="status",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("self_score", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("score", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column(
            "grade",
            sa.Enum("excellent", "good", "fair", "poor", name="grade", native_enum=False, length=32),
            nullable=True,
        ),
        sa.Column("sent_back_reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("submitted_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("reported_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("rated_by_id", sa.Integer(), nullable=True),
        sa.Column("rated_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["district_id"], ["regions.id"], name=op.f("fk_village_evaluations_district_id_regions")
        ),
        sa.ForeignKeyConstraint(["rated_by_id"], ["users.id"], name=op.f("fk_village_evaluations_rated_by_id_users")),
        sa.ForeignKeyConstraint(["town_id"], ["regions.id"], name=op.f("fk_village_evaluations_town_id_regions")),
        sa.ForeignKeyConstraint(["village_id"], ["regions.id"], name=op.f("fk_village_evaluations_village_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_evaluations")),
        sa.UniqueConstraint("village_id", "year", "stage", name=op.f("uq_village_evaluations_village_id_year_stage")),
    )
    with op.batch_alter_table("village_evaluations", schema=None) as batch_op:
        batch_op.create_index("ix_village_evaluations_district_year", ["district_id", "year", "stage"], unique=False)
        batch_op.create_index("ix_village_evaluations_town_year", ["town_id", "year", "stage"], unique=False)

    op.create_table(
        "village_targets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), nullable=False),
        sa.Column("village_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("issued_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["district_id"], ["regions.id"], name=op.f("fk_village_targets_district_id_regions")),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"], name=op.f("fk_village_targets_issued_by_id_users")),
        sa.ForeignKeyConstraint(["village_id"], ["regions.id"], name=op.f("fk_village_targets_village_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_village_targets")),
        sa.UniqueConstraint("village_id", "year", name=op.f("uq_village_targets_village_id_year")),
    )
    op.create_table(
        "evaluation_item_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("proposed", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("rule", sa.String(length=200), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("confirmed", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("change_reason", sa.String(length=500), nullable=True),
        sa.Column("shortfall", sa.String(length=500), nullable=True),
        sa.Column("town_score", sa.Numeric(precision=5, scale=1), nullable=True),
        sa.Column("town_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["village_evaluations.id"],
            name=op.f("fk_evaluation_item_scores_evaluation_id_village_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["score_sheet_items.id"], name=op.f("fk_evaluation_item_scores_item_id_score_sheet_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_item_scores")),
        sa.UniqueConstraint("evaluation_id", "item_id", name=op.f("uq_evaluation_item_scores_evaluation_id_item_id")),
    )
    with op.batch_alter_table("evaluation_item_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_item_scores_item_id"), ["item_id"], unique=False)

    op.create_table(
        "evaluation_signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column(
            "post",
            sa.Enum(
                "supervision_committee_chair",
                "cooperative_board_chair",
                name="villagepost",
                native_enum=False,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("signer_name", sa.String(length=40), nullable=False),
        sa.Column("signed_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("snapshot", sa.Text(), nullable=False),
        sa.Column("snapshot_sha256", sa.String(length=64), nullable=False),
        sa.Column("scan_key", sa.String(length=100), nullable=True),
        sa.Column("voided_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("void_reason", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["village_evaluations.id"],
            name=op.f("fk_evaluation_signatures_evaluation_id_village_evaluations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_evaluation_signatures_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_signatures")),
    )
    with op.batch_alter_table("evaluation_signatures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_signatures_evaluation_id"), ["evaluation_id"], unique=False)
        batch_op.create_index(
            "uq_evaluation_signatures_post",
            ["evaluation_id", "post"],
            unique=True,
            sqlite_where=sa.text("voided_at IS NULL"),
            postgresql_where=sa.text("voided_at IS NULL"),
        )
        batch_op.create_index(
            "uq_evaluation_signatures_signer",
            ["evaluation_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("voided_at IS NULL"),
            postgresql_where=sa.text("voided_at IS NULL"),
        )

    op.execute(MOVE_VILLAGE_RESULTS)
    op.execute(MOVE_TOWN_RESULTS)
    op.drop_table("evaluations")


def downgrade() -> None:
    op.create_table(
        "evaluations",
        sa.Column("id", sa.INTEGER(), nullable=False),
        sa.Column("region_id", sa.INTEGER(), nullable=False),
        sa.Column("year", sa.INTEGER(), nullable=False),
        sa.Column("score", sa.NUMERIC(precision=4, scale=1), nullable=False),
        sa.Column("grade", sa.VARCHAR(length=32), nullable=False),
        sa.Column("rated_by_id", sa.INTEGER(), nullable=True),
        sa.Column("rated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["rated_by_id"], ["users.id"], name=op.f("fk_evaluations_rated_by_id_users")),
        sa.ForeignKeyConstraint(["region_id"], ["regions.id"], name=op.f("fk_evaluations_region_id_regions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluations")),
        sa.UniqueConstraint("region_id", "year", name=op.f("uq_evaluations_region_id_year")),
    )
    op.execute(RESTORE_RESULTS)
    with op.batch_alter_table("evaluation_signatures", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_evaluation_signatures_signer",
            sqlite_where=sa.text("voided_at IS NULL"),
            postgresql_where=sa.text("voided_at IS NULL"),
        )
        batch_op.drop_index(
            "uq_evaluation_signatures_post",
            sqlite_where=sa.text("voided_at IS NULL"),
            postgresql_where=sa.text("voided_at IS NULL"),
        )
        batch_op.drop_index(batch_op.f("ix_evaluation_signatures_evaluation_id"))

    op.drop_table("evaluation_signatures")
    with op.batch_alter_table("evaluation_item_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluation_item_scores_item_id"))

    op.drop_table("evaluation_item_scores")
    op.drop_table("village_targets")
    with op.batch_alter_table("village_evaluations", schema=None) as batch_op:
        batch_op.drop_index("ix_village_evaluations_town_year")
        batch_op.drop_index("ix_village_evaluations_district_year")

    op.drop_table("village_evaluations")
    op.drop_table("town_results")
    with op.batch_alter_table("evaluated_assets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evaluated_assets_village_id"))
        batch_op.drop_index(batch_op.f("ix_evaluated_assets_asset_id"))

    op.drop_table("evaluated_assets")
    with op.batch_alter_table("score_sheet_items", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_score_sheet_items_sheet_id"))

    op.drop_table("score_sheet_items")
    with op.batch_alter_table("asset_care_ratings", schema=None) as batch_op:
        batch_op.drop_index("ix_asset_care_ratings_asset_year")

    op.drop_table("asset_care_ratings")
    op.drop_table("score_sheets")
    op.drop_table("grade_bands")
