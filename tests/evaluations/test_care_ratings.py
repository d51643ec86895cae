"""Villagers' yearly rating of an asset's care: once per WeChat user (or device) per asset and year,
counts only on the page, rate-limited per address."""

from __future__ import annotations

from sqlalchemy import func, select

from models.errors import DomainError
from models.evaluations.care_ratings import rate_care
from models.evaluations.entities import CareRating
from tests.support.pages import csrf_token, visible_text


def count(session) -> int:
    return session.scalar(select(func.count()).select_from(CareRating))


def test_a_villager_rates_once_a_year_and_the_page_shows_counts_only(app, client, session, county, build):
    asset = build.asset(county.villages["石桥村"])
    page = visible_text(client.get(f"/a/{asset.public_token}").get_data(as_text=True))
    assert "今年群众评价：满意 0 人" in page
    form = f"/a/{asset.public_token}/care"
    token = csrf_token(client, form)
    bad = client.post(form, data={"csrf_token": token, "rating": "great"})
    assert bad.status_code == 422 and "请选择满意、基本满意或不满意" in visible_text(bad.get_data(as_text=True))
    done = client.post(form, data={"csrf_token": token, "rating": "satisfied", "word": "路扫得很干净"})
    assert done.status_code == 303 and count(session) == 1
    again = client.post(form, data={"csrf_token": token, "rating": "unsatisfied"})
    assert again.status_code == 409 and "这台手机今年已经评价过" in visible_text(again.get_data(as_text=True))
    assert count(session) == 1
    other_phone = app.test_client()
    token = csrf_token(other_phone, form)
    assert other_phone.post(form, data={"csrf_token": token, "rating": "unsatisfied"}).status_code == 303
    shown = visible_text(client.get(f"/a/{asset.public_token}?fresh=1").get_data(as_text=True))
    assert "满意 1 人，基本满意 0 人，不满意 1 人" in shown and "路扫得很干净" not in shown


def test_one_address_outside_wechat_is_limited_per_day(app_factory, session, county, build):
    app = app_factory(RATELIMIT_ENABLED=True, CARE_RATING_RATE_LIMIT="2 per day")
    asset = build.asset(county.villages["石桥村"])
    form = f"/a/{asset.public_token}/care"
    answers = []
    for _ in range(3):
        phone = app.test_client()  # a new browser each time, the same address
        answers.append(
            phone.post(form, data={"csrf_token": csrf_token(phone, form), "rating": "satisfied"}).status_code
        )
    assert answers == [303, 303, 429] and count(session) == 2


def test_one_wechat_user_answers_once_per_asset_and_year(session, county, build, clock):
    asset = build.asset(county.villages["石桥村"])
    rate_care(session, asset, rating="满意", word="", openid="o1", device_token=None, year=2026, now=clock.now())
    try:
        rate_care(session, asset, rating="不满意", word="", openid="o1", device_token=None, year=2026, now=clock.now())
    except DomainError as refused:
        assert "已经评价过" in refused.message
    else:
        raise AssertionError("a second answer was taken")
    rate_care(session, asset, rating="不满意", word="", openid="o1", device_token=None, year=2027, now=clock.now())
    assert count(session) == 2
