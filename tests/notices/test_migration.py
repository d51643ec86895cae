"""The notices' migration keeps what a database holds: old notices become running manual notices
owned by their village, and the notice-end deadline kind is now owned by whoever opens the notice."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import text

from models.db import make_engine
from models.migrate import upgrade
from tests.kernel.test_migrations import empty_database_url  # noqa: F401  (the fixture)

NOW = dt.datetime(2026, 6, 1, 2, tzinfo=dt.UTC)


def test_existing_notices_complaints_and_deadline_kinds_survive_the_upgrade(empty_database_url) -> None:  # noqa: F811
    upgrade(empty_database_url, revision="0005")
    engine = make_engine(empty_database_url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO regions (id, name, level) VALUES (1, '示范区', 'district')"))
        connection.execute(
            text("INSERT INTO regions (id, name, level, parent_id, district_id) VALUES (2, '青山镇', 'town', 1, 1)")
        )
        connection.execute(
            text("INSERT INTO regions (id, name, level, parent_id, district_id) VALUES (3, '石桥村', 'village', 2, 1)")
        )
        connection.execute(
            text(
                "INSERT INTO public_notices (id, village_id, title, body, starts_on, ends_on, created_at) "
                "VALUES (5, 3, '收益分配公示', '全文', '2026-05-28', '2026-06-06', :now)"
            ),
            {"now": NOW},
        )
        connection.execute(
            text(
                "INSERT INTO deadline_kinds (code, title, level, days_before, days_after, urgent) "
                "VALUES ('notice_end', '公示期满', 'village', '[7, 3, 1]', 7, false)"
            )
        )
        connection.execute(
            text("INSERT INTO deadline_kind_roles (kind, role, upper) VALUES ('notice_end', 'village_clerk', false)")
        )

    upgrade(empty_database_url)

    with engine.connect() as connection:
        notice = connection.execute(
            text(
                "SELECT subject_kind, subject_id, outcome, decided_at, owner_region_id, title, ends_on "
                "FROM public_notices WHERE id = 5"
            )
        ).one()
        roles = connection.scalars(text("SELECT role FROM deadline_kind_roles WHERE kind = 'notice_end'")).all()
    engine.dispose()
    assert tuple(notice[:6]) == ("manual", None, "running", None, 3, "收益分配公示")
    assert str(notice.ends_on) == "2026-06-06"
    assert sorted(roles) == ["district_admin", "town_official", "village_clerk"]
