"""The staff page 绑定微信: a one-time code to send from WeChat, and unlinking."""

from __future__ import annotations

import re

from models.people import Role
from models.wechat.binding import redeem_bind_code
from tests.support.pages import csrf_token

PAGE = "/account/wechat"


def test_staff_get_a_six_digit_code_that_binds_their_wechat(client, login_as, county, build, session, clock):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    login_as(clerk)
    page = client.get(PAGE).get_data(as_text=True)
    assert "还没有绑定" in page and "绑定微信" in page
    response = client.post(f"{PAGE}/code", data={"csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 200
    code = re.search(r'class="bind-code">(\d{6})<', response.get_data(as_text=True)).group(1)
    assert redeem_bind_code(session, "oClerkPhone", code, clock.now()) == clerk
    session.flush()
    assert "已绑定" in client.get(PAGE).get_data(as_text=True)


def test_unbinding_needs_csrf_and_then_unlinks(client, login_as, county, build, session):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    clerk.wechat_openid = "oClerkPhone"
    session.flush()
    login_as(clerk)
    assert client.post(f"{PAGE}/unbind").status_code == 400
    session.refresh(clerk)
    assert clerk.wechat_openid == "oClerkPhone"
    response = client.post(f"{PAGE}/unbind", data={"csrf_token": csrf_token(client, PAGE)})
    assert response.status_code == 302
    session.refresh(clerk)
    assert clerk.wechat_openid is None


def test_the_page_needs_sign_in(client):
    assert client.get(PAGE).status_code == 302


def test_the_account_address_leads_to_the_wechat_page(client, login_as, county, build):
    assert "/login" in client.get("/account").headers["Location"]
    login_as(build.user(Role.VILLAGE_CLERK, county.villages["石桥村"]))
    assert client.get("/account").headers["Location"].endswith(PAGE)
