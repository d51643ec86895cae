"""The retry sweep: pushes WeChat asked us to retry are re-sent once due, a bounded number of
times, never after a final error, and once only when two sweeps run at once."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.notifier import MAX_ATTEMPTS, retry_due, send_text
from models.wechat.deliveries import claim_delivery, claim_retries
from models.wechat.entities import Delivery, DeliveryChannel, DeliveryStatus

SEND = "cgi-bin/message/custom/send"


@pytest.fixture
def app(app_factory, fake):
    fake.reset()
    app = app_factory(**fake.client_config(WECHAT_BUSY_RETRY_DELAYS=[]))  # no retry inside a call
    with app.app_context():
        yield app
    app.extensions["wechat_client"]._http.close()


def test_busy_then_success_is_re_sent_once_when_due_and_marked_sent(app, fake, session, clock) -> None:
    fake.fault(SEND, -1)
    delivery = send_text(session, "o_clerk", "您有一项任务逾期", key="k-busy")
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.PENDING, 1)
    assert delivery.retry_after == clock.now() + dt.timedelta(minutes=5)

    assert retry_due(session, clock.now(), 10) == 0  # not due yet
    clock.advance(minutes=5)
    assert retry_due(session, clock.now(), 10) == 1
    assert retry_due(session, clock.now(), 10) == 0

    assert (delivery.status, delivery.attempts, delivery.sent_at) == (DeliveryStatus.SENT, 2, clock.now())
    assert delivery.retry_after is None and delivery.error_code is None
    assert [call.body["request"]["text"]["content"] for call in fake.calls(SEND)] == ["您有一项任务逾期"] * 2


def test_a_final_error_is_never_re_sent(app, fake, session, clock) -> None:
    fake.fault(SEND, 40003)
    delivery = send_text(session, "o_gone", "你好", key="k-final")
    clock.advance(hours=1)

    assert retry_due(session, clock.now(), 10) == 0
    assert delivery.status is DeliveryStatus.FAILED and len(fake.calls(SEND)) == 1


def test_a_push_wechat_keeps_refusing_fails_after_the_last_attempt(app, fake, session, clock) -> None:
    fake.fault(SEND, 45011, times=10)
    delivery = send_text(session, "o_clerk", "你好", key="k-quota")
    for _ in range(5):
        clock.advance(minutes=10)
        retry_due(session, clock.now(), 10)

    assert (delivery.status, delivery.attempts, delivery.error_code) == (DeliveryStatus.FAILED, MAX_ATTEMPTS, 45011)
    assert len(fake.calls(SEND)) == MAX_ATTEMPTS


def test_a_sweep_leaves_alone_what_another_sweep_claimed(app, fake, session, clock) -> None:
    fake.fault(SEND, -1)
    delivery = send_text(session, "o_clerk", "你好", key="k-twice")
    clock.advance(minutes=5)
    [claimed] = claim_retries(session, clock.now(), 10, MAX_ATTEMPTS)  # the other sweep, mid-way
    session.commit()

    assert retry_due(session, clock.now(), 10) == 0
    assert claimed is delivery and delivery.retry_after is None and len(fake.calls(SEND)) == 1


def test_two_sweeps_on_their_own_connections_claim_each_row_once(engine) -> None:
    """Real transactions: on PostgreSQL the second skips the rows the first holds (SKIP LOCKED);
    SQLite lets one writer in at a time, so there the second comes after the first's commit."""
    at = dt.datetime(2026, 6, 1, 2, 0, tzinfo=dt.UTC)
    keys = [f"k-sweep-{n}" for n in range(3)]
    try:
        with Session(engine) as setup:
            for key in keys:
                delivery, _ = claim_delivery(
                    setup, key=key, openid="o_clerk", channel=DeliveryChannel.CUSTOM, payload={"text": "你好"}, now=at
                )
                delivery.retry_after = at
            setup.commit()
        with Session(engine) as first, Session(engine) as second:
            mine = sorted(d.key for d in claim_retries(first, at, 10, MAX_ATTEMPTS))
            if engine.dialect.name == "sqlite":
                first.commit()
            theirs = claim_retries(second, at, 10, MAX_ATTEMPTS)
            second.commit()
            first.commit()
            again = claim_retries(second, at, 10, MAX_ATTEMPTS)
        assert mine == keys and theirs == [] and again == []
    finally:
        with Session(engine) as cleanup:
            cleanup.execute(delete(Delivery).where(Delivery.key.in_(keys)))
            cleanup.commit()
    with Session(engine) as check:
        assert check.scalars(select(Delivery).where(Delivery.key.in_(keys))).all() == []
