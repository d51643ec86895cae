"""The evaluation cycle's migration keeps the hand-typed results: a village's becomes its year-end
evaluation, done, a town's its yearly result; the villagers' page still shows last year's grade."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import text

from models.db import make_engine
from models.migrate import upgrade
from tests.kernel.test_migrations import empty_database_url  # noqa: F401  (the fixture)

RATED = dt.datetime(2025, 12, 18, 2, tzinfo=dt.UTC)


def test_old_results_become_village_evaluations_and_town_results(empty_database_url) -> None:  # noqa: F811
    upgrade(empty_database_url, revision="0010")
    engine = make_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO regions (id, name, level, parent_id, district_id) VALUES "
                "(1, '示范区', 'district', NULL, NULL), (2, '青山镇', 'town', 1, 1), (3, '石桥村', 'village', 2, 1)"
            )
        )
        for region, score, grade in ((2, "91.0", "excellent"), (3, "86.5", "good")):
            connection.execute(
                text(
                    "INSERT INTO evaluations (region_id, year, score, grade, rated_at) "
                    "VALUES (:region, 2025, :score, :grade, :at)"
                ),
                {"region": region, "score": score, "grade": grade, "at": RATED},
            )

    upgrade(empty_database_url)

    with engine.connect() as connection:
        village = connection.execute(
            text("SELECT district_id, town_id, year, stage, status, score, grade FROM village_evaluations")
        ).one()
        town = connection.execute(text("SELECT district_id, town_id, year, score, grade FROM town_results")).one()
    engine.dispose()
    assert tuple(village) == (1, 2, 2025, "self_evaluation", "rated", Decimal("86.5"), "good")
    assert tuple(town) == (1, 2, 2025, Decimal("91.0"), "excellent")
