"""DriverStatement: SQLAlchemy's statement and types, run on the driver's cursor."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import column, select, table
from sqlalchemy.exc import DBAPIError

from models.db import DriverStatement
from models.wechat.claims import CLAIM, claim_of, claim_params
from models.wechat.entities import InboundMessage


def test_binds_are_processed_as_sqlalchemy_would(connection):
    when = dt.datetime(2026, 6, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    params = claim_params("k1", kind="text:帮助", openid="oDriver", now=when)
    claim = claim_of(CLAIM.first(connection, params))
    stored = connection.execute(
        select(InboundMessage.received_at, InboundMessage.kind).where(InboundMessage.dedupe_key == "k1")
    ).one()
    assert claim.first and claim.staff_id is None
    assert stored.received_at == when and stored.received_at.tzinfo == dt.UTC and stored.kind == "text:帮助"
    assert not claim_of(CLAIM.first(connection, params)).first


def test_driver_errors_arrive_as_sqlalchemy_errors(connection):
    missing = select(column("x")).select_from(table("no_such_table"))
    with pytest.raises(DBAPIError, match="no_such_table"):
        DriverStatement({"sqlite": missing, "postgresql": missing}).first(connection, {})
