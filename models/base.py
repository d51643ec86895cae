"""Declarative base, naming convention and the column aliases every model shares."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Annotated

from sqlalchemy import DateTime, Enum, Integer, MetaData, Numeric, String, TypeDecorator
from sqlalchemy.orm import DeclarativeBase, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Stores aware instants as UTC and gives them back aware, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an instant is expected")
        return value.astimezone(dt.UTC)

    def process_result_value(self, value: dt.datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


class LabelledEnum(enum.Enum):
    """An enumeration whose members carry their Chinese label: `Member = ("value", "标签")`."""

    def __new__(cls, value: str, label: str):
        member = object.__new__(cls)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def from_label(cls, label: str):
        """The member whose Chinese label (or value) is `label`, or None."""
        label = label.strip()
        for member in cls:
            if label in (member.label, member.value):
                return member
        return None


def enum_column(enum_class: type[enum.Enum]):
    """A portable enum column storing the member value as a short string."""

    return Enum(
        enum_class,
        native_enum=False,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
instant = Annotated[dt.datetime, mapped_column(UTCDateTime)]
money = Annotated[Decimal, mapped_column(Numeric(16, 2))]
short_text = Annotated[str, mapped_column(String(100))]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
