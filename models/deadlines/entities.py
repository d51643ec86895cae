"""Deadlines as stored: kinds and their reminder plans, the districts' calendars, concrete tasks,
and the morning reminder runs and digests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, LabelledEnum, UTCDateTime, enum_column, instant, intpk
from models.people import Department, Role, User
from models.regions import Region


class ResponsibleLevel(LabelledEnum):
    DISTRICT = ("district", "区县")
    DEPARTMENT = ("department", "行业主管部门")
    TOWN = ("town", "乡镇")
    VILLAGE = ("village", "村（社区）")
    PROVINCE = ("province", "省级/第三方")  # shown on the calendar; nobody here is reminded


class DeadlineKind(Base):
    """A kind of deadline and its reminder plan (days before, on the day, then daily after)."""

    __tablename__ = "deadline_kinds"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    title: Mapped[str] = mapped_column(String(60))
    level: Mapped[ResponsibleLevel] = mapped_column(enum_column(ResponsibleLevel))
    default_due: Mapped[str | None] = mapped_column(String(5))
    default_starts: Mapped[str | None] = mapped_column(String(5))
    days_before: Mapped[list[int]] = mapped_column(JSON)
    days_after: Mapped[int] = mapped_column(Integer)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)

    roles: Mapped[list[KindRole]] = relationship(lazy="selectin", order_by="KindRole.role")

    @property
    def on_calendar(self) -> bool:
        return self.default_due is not None

    @property
    def tracked(self) -> bool:
        """Whether concrete tasks are made and people reminded (not for province-level items)."""
        return self.level is not ResponsibleLevel.PROVINCE

    def step_offsets(self) -> list[int]:
        """The plan as day offsets from the due date: -7, -3, -1, 0, 1 … days_after."""
        before = sorted({-abs(days) for days in self.days_before if days})
        return [*before, 0, *range(1, self.days_after + 1)]


class KindRole(Base):
    """Who is reminded of a kind: `upper=False` the owner region's role, `upper=True` the role one
    level up, told only once the deadline has passed."""

    __tablename__ = "deadline_kind_roles"

    kind: Mapped[str] = mapped_column(ForeignKey("deadline_kinds.code"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)
    upper: Mapped[bool] = mapped_column(Boolean, primary_key=True)


class CalendarEntry(Base):
    """One line of a district's calendar for one year."""

    __tablename__ = "calendar_entries"
    __table_args__ = (UniqueConstraint("district_id", "year", "kind"),)

    id: Mapped[intpk]
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    year: Mapped[int] = mapped_column(Integer)
    kind_code: Mapped[str] = mapped_column("kind", ForeignKey("deadline_kinds.code"))
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)

    kind: Mapped[DeadlineKind] = relationship(lazy="joined")


class Deadline(Base):
    """A concrete task of one region (or one department) with its due date; open until done."""

    __tablename__ = "deadlines"
    __table_args__ = (
        Index(
            "ix_deadlines_open_due",
            "kind",
            "due_on",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
        Index("ix_deadlines_calendar", "district_id", "year", "kind"),
    )

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(120), unique=True)
    kind_code: Mapped[str] = mapped_column("kind", ForeignKey("deadline_kinds.code"))
    title: Mapped[str] = mapped_column(String(100))
    district_id: Mapped[int] = mapped_column(ForeignKey("regions.id"))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    # The region whose `upper` roles are told once the deadline has passed.
    upper_region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    year: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str | None] = mapped_column(String(60))  # e.g. "complaint:12"
    starts_on: Mapped[dt.date | None] = mapped_column(Date)
    due_on: Mapped[dt.date] = mapped_column(Date)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[instant]
    done_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    kind: Mapped[DeadlineKind] = relationship(lazy="joined")
    region: Mapped[Region] = relationship(foreign_keys=[region_id], lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")
    done_by: Mapped[User | None] = relationship(lazy="joined")

    @property
    def is_done(self) -> bool:
        return self.done_at is not None

    @property
    def place(self) -> str:
        return self.department.name if self.department else (self.region.full_name or self.region.name)


ENTITY = "deadline"


CALENDAR_ENTITY = "calendar_entry"


class DigestStatus(LabelledEnum):
    TO_SEND = ("to_send", "待推送")
    UNREACHABLE = ("unreachable", "未绑定或已取关")
    SUPERSEDED = ("superseded", "已并入后一次推送")


class ReminderRun(Base):
    """The morning digests of one local date were computed (covering window_start … local_date)."""

    __tablename__ = "reminder_runs"

    local_date: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    window_start: Mapped[dt.date] = mapped_column(Date)
    computed_at: Mapped[instant]
    digests: Mapped[int] = mapped_column(Integer)


class Digest(Base):
    """One person's morning reminder: the deadlines to mention, most urgent first."""

    __tablename__ = "reminder_digests"
    __table_args__ = (UniqueConstraint("user_id", "local_date"),)

    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(80), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    local_date: Mapped[dt.date] = mapped_column(Date, index=True)
    openid: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[DigestStatus] = mapped_column(enum_column(DigestStatus))
    deadline_ids: Mapped[list[int]] = mapped_column(JSON)
    item_count: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[instant]
