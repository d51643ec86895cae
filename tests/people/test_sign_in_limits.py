"""Failed sign-ins are counted where every worker sees them (Redis, else the database): per account
with a backoff that doubles and caps, and per address with room for a carrier's NAT."""

from __future__ import annotations

import re
import uuid

import pytest

from models.people import Role
from models.sign_in.throttle import ACCOUNT
from tests.support.pages import csrf_token
from tests.support.sign_in import STORES, app_keeping_sign_ins_in

WAIT = re.compile(r"请在(\d\d:\d\d)以后再试（约(\d+)分钟）")


@pytest.fixture(params=STORES)
def store(request):
    return request.param


@pytest.fixture
def make_app(store, request, app_factory):
    """Apps (workers) keeping failed sign-ins in this test's store; each call is another worker."""
    redis_url = request.getfixturevalue("redis_url") if store == "redis" else None
    prefix = f"test-{uuid.uuid4().hex}:"
    contexts = []

    def make(**config):
        contexts.append(app_keeping_sign_ins_in(store, app_factory, redis_url, prefix, **config))
        return contexts[-1].__enter__()

    yield make
    for context in contexts:
        context.__exit__(None, None, None)


@pytest.fixture
def client(make_app):
    return make_app().test_client()


@pytest.fixture
def official(county, build):
    return build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])


def sign_in(client, phone: str, password: str, address: str = "10.0.0.1"):
    token = csrf_token(client)
    return client.post(
        "/login",
        data={"phone": phone, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address},
    )


def wait_of(answer) -> tuple[str, int]:
    """(local time, minutes) the refusal says to wait until."""
    match = WAIT.search(answer.get_data(as_text=True))
    assert match, answer.get_data(as_text=True)
    return match.group(1), int(match.group(2))


def test_after_five_wrong_passwords_the_account_waits_a_minute_told_in_local_time(client, official, clock):
    assert [sign_in(client, official.phone, "wrong-one").status_code for _ in range(5)] == [401] * 5
    locked = sign_in(client, official.phone, "wrong-one")
    assert locked.status_code == 429
    assert wait_of(locked) == ("10:01", 1)  # the tests' clock stands at 02:00 UTC, 10:00 in Shanghai
    assert sign_in(client, official.phone, "password-123").status_code == 429  # not even checked
    clock.advance(minutes=1, seconds=1)
    assert sign_in(client, official.phone, "password-123").status_code == 302


def test_the_wait_doubles_with_each_failure_and_stops_at_fifteen_minutes(client, official, clock):
    for _ in range(ACCOUNT.free):
        sign_in(client, official.phone, "wrong-one")
    waits = []
    for _ in range(6):
        answer = sign_in(client, official.phone, "wrong-one")
        waits.append(wait_of(answer)[1])
        clock.advance(minutes=waits[-1], seconds=1)
    assert waits == [1, 2, 4, 8, 15, 15]


def test_a_good_password_starts_the_account_count_afresh(client, official):
    for _ in range(4):
        sign_in(client, official.phone, "wrong-one")
    assert sign_in(client, official.phone, "password-123").status_code == 302
    other = client.application.test_client()
    assert [sign_in(other, official.phone, "wrong-one").status_code for _ in range(5)] == [401] * 5


def test_a_locked_account_locks_nobody_else_at_the_same_address(client, official, county, build):
    neighbour = build.user(Role.TOWN_OFFICIAL, county.towns["河湾镇"])
    for _ in range(6):
        sign_in(client, official.phone, "wrong-one")
    assert sign_in(client, official.phone, "password-123").status_code == 429
    assert sign_in(client, neighbour.phone, "password-123").status_code == 302


def test_an_address_guessing_many_accounts_is_stopped_after_thirty_failures(client, official):
    phones = [f"1380000{n:04d}" for n in range(31)]
    assert {sign_in(client, phone, "wrong-one").status_code for phone in phones[:30]} == {401}
    assert sign_in(client, phones[30], "wrong-one").status_code == 429
    assert sign_in(client, official.phone, "password-123").status_code == 429
    assert sign_in(client, official.phone, "password-123", address="10.0.0.2").status_code == 302


def test_every_worker_counts_the_same_failures(make_app, official):
    workers = [make_app().test_client() for _ in range(3)]
    answers = [sign_in(workers[n % 3], official.phone, "wrong-one").status_code for n in range(6)]
    assert answers == [401] * 5 + [429]
    assert sign_in(workers[1], official.phone, "password-123").status_code == 429


def test_when_the_count_cannot_be_kept_no_password_is_checked(app_factory, official):
    client = app_factory(REDIS_URL="redis://127.0.0.1:1/0").test_client()
    answer = sign_in(client, official.phone, "password-123")
    assert answer.status_code == 503
    assert "系统繁忙" in answer.get_data(as_text=True)
