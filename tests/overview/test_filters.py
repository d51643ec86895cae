"""The filters the home page's figures link to, where a day ends: an answer or a repair is on time
until midnight of its due date in GUANHU_TIMEZONE, counted by the database (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

from models.complaints.operations import accept, answer
from models.complaints.queries import InboxFilter, search_inbox
from models.maintenance.entities import MaintenanceKind
from models.maintenance.operations import record_maintenance
from models.maintenance.queries import RecordFilter, Repair, listed_records
from models.people import Role
from models.storage import LocalStorage
from tests.support.complaints import complaint_about
from tests.support.photo_files import jpeg

TZ = "Asia/Shanghai"


def at(clock, day: dt.date, utc_hour: int, minute: int = 30) -> None:
    clock.at = dt.datetime.combine(day, dt.time(utc_hour, minute), tzinfo=dt.UTC)


def test_an_answer_late_on_its_due_date_is_on_time_and_one_after_midnight_is_not(session, build, county, clock, app):
    storage = LocalStorage(app.config["MEDIA_ROOT"])
    official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    asset = build.asset(county.villages["石桥村"])
    evening, morning = (
        complaint_about(session, storage, asset, clock, description=f"路面塌了第{n}处，很危险。") for n in (1, 2)
    )
    for complaint in (evening, morning):
        accept(session, official, complaint, clock.now())
    due = evening.answer_due_on
    at(clock, due, 15)  # 23:30 in Beijing on the due date
    answer(session, storage, official, evening, "已经修好了，谢谢反映。", [], clock.now())
    at(clock, due, 16)  # 00:30 the next day
    answer(session, storage, official, morning, "已经修好了，谢谢反映。", [], clock.now())

    def found(**wanted) -> set[int]:
        return {c.id for c in search_inbox(session, official, InboxFilter(timezone=TZ, **wanted), due).items}

    assert found(on_time_only=True) == {evening.id}
    assert found(answered_only=True) == {evening.id, morning.id}
    assert found(year=due.year) == {evening.id, morning.id} and found(year=due.year - 1) == set()


def test_repairs_are_on_time_done_open_or_late_by_their_due_date(session, build, county, clock, app):
    storage = LocalStorage(app.config["MEDIA_ROOT"])
    shiqiao = county.villages["石桥村"]
    custodian = build.user(Role.CUSTODIAN, shiqiao)
    official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    fixed, waiting = build.asset(shiqiao, name="石桥村水渠"), build.asset(shiqiao, name="石桥村便民桥")

    def record(asset, kind, seed):
        return record_maintenance(
            session, storage, custodian, asset, kind=kind, photos=[jpeg(seed=seed)], now=clock.now(), timezone=TZ,
            notes="渠壁塌了一段",
        )  # fmt: skip

    fixed_report, waiting_report = (record(a, MaintenanceKind.DAMAGE_REPORT, n) for n, a in ((1, fixed), (2, waiting)))
    due = clock.now().date() + dt.timedelta(days=15)
    at(clock, due, 15)  # the evening of the repair's due date, local time
    record(fixed, MaintenanceKind.REPAIR, 3)

    def found(repair: Repair, today: dt.date) -> set[int]:
        wanted = RecordFilter(repair=repair, timezone=TZ)
        return {r.id for r in session.scalars(listed_records(official, wanted, today))}

    assert found(Repair.DONE, due) == found(Repair.ON_TIME, due) == {fixed_report.id}
    assert found(Repair.OPEN, due) == {waiting_report.id}
    assert found(Repair.LATE, due) == set() and found(Repair.LATE, due + dt.timedelta(days=1)) == {waiting_report.id}


def test_a_complaint_filed_after_local_midnight_counts_in_the_new_month(session, build, county, clock, app):
    storage = LocalStorage(app.config["MEDIA_ROOT"])
    official = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    asset = build.asset(county.villages["石桥村"])
    at(clock, dt.date(2026, 5, 31), 16)  # 00:30 on June 1st in Beijing
    june = complaint_about(session, storage, asset, clock)
    at(clock, dt.date(2026, 5, 31), 15)  # 23:30 on May 31st
    may = complaint_about(session, storage, asset, clock, description="水沟堵了，下雨就漫到路上。")

    def found(month: int) -> set[int]:
        wanted = InboxFilter(year=2026, month=month, timezone=TZ)
        return {c.id for c in search_inbox(session, official, wanted, dt.date(2026, 6, 1)).items}

    assert found(6) == {june.id} and found(5) == {may.id}
