"""人员管理 on the web: the district office and the towns list, create, change, stop and restart
accounts, reset passwords and unbind WeChat; refusals say why in Chinese and store nothing."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from bot.client import STAFF_TAG, wechat_client
from models.people import Role, User, authenticate
from models.staff.entities import PasswordLink
from models.wechat.binding import issue_bind_code, redeem_bind_code
from models.wechat.entities import Delivery
from tests.support.builders import PASSWORD
from tests.support.pages import csrf_token, login, visible_text
from tests.support.sign_in import WECHAT_BROWSER, through_wechat_oauth

LINK = re.compile(r'value="(http://guanhu\.test/account/set-password/[A-Za-z0-9_-]+)"')


@pytest.fixture
def admin(county, build):
    return build.user(Role.DISTRICT_ADMIN, county.district, name="韦建华")


def post(client, path: str, data: dict, page: str | None = None, **kwargs):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page or path)}, **kwargs)


def new_account(county, **overrides) -> dict[str, str]:
    return {
        "name": "韦小兰",
        "phone": "13711112222",
        "role": "village_clerk",
        "region_id": str(county.villages["竹林村"].id),
        "department_id": "",
        "village_post": "",
        **overrides,
    }


def accounts(session, phone: str) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.phone == phone))


def test_a_town_creates_a_clerk_and_is_shown_the_link_once(client, session, county, town):
    login(client, town)
    answer = post(client, "/staff/new", new_account(county))
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "已新建 韦小兰 的账号" in page and "只显示这一次" in page and 'src="data:image/png;base64,' in page
    link = LINK.search(page).group(1)
    user = session.scalar(select(User).where(User.phone == "13711112222"))
    assert user.role is Role.VILLAGE_CLERK and not user.has_password
    newcomer = client.application.test_client()
    set_page = newcomer.get(link.removeprefix("http://guanhu.test"))
    assert "韦小兰" in set_page.get_data(as_text=True)
    done = post(
        newcomer, link.removeprefix("http://guanhu.test"), {"password": "xiaolan-2026", "repeated": "xiaolan-2026"}
    )
    assert done.status_code == 303
    assert "密码已设置，您已登录" in newcomer.get(done.headers["Location"]).get_data(as_text=True)
    assert newcomer.get(link.removeprefix("http://guanhu.test")).status_code == 404  # used up


@pytest.mark.parametrize(
    "changed, field_error",
    [
        ({"phone": "12345"}, "手机号应为11位数字"),
        ({"name": ""}, "姓名不能为空"),
        ({"name": '=HYPERLINK("http://x")'}, "不能以 = + - @ 开头"),
        ({"role": "custodian", "region_id": "TOWN"}, "管护员的所属区域应是村（社区），而不是乡镇"),
        ({"role": ""}, "请选择角色"),
    ],
)
def test_what_is_wrong_is_said_in_chinese_and_nothing_is_stored(client, session, county, admin, changed, field_error):
    login(client, admin)
    if changed.get("region_id") == "TOWN":
        changed["region_id"] = str(county.towns["青山镇"].id)
    answer = post(client, "/staff/new", new_account(county, **changed))
    assert answer.status_code == 422
    assert field_error in visible_text(answer.get_data(as_text=True))
    assert accounts(session, new_account(county, **changed)["phone"]) == 0


def test_a_town_cannot_make_a_town_official_nor_place_anyone_in_another_town(client, session, county, town):
    login(client, town)
    above = post(
        client, "/staff/new", new_account(county, role="town_official", region_id=str(county.towns["青山镇"].id))
    )
    assert above.status_code == 404  # its own town is not a region it places accounts in
    above = post(client, "/staff/new", new_account(county, role="town_official"))
    assert above.status_code == 403 and "您不能设置乡镇工作专班账号" in above.get_data(as_text=True)
    elsewhere = post(client, "/staff/new", new_account(county, region_id=str(county.villages["清水村"].id)))
    assert elsewhere.status_code == 404
    assert accounts(session, "13711112222") == 0


@pytest.mark.parametrize("role", [Role.DEPARTMENT, Role.VILLAGE_CLERK, Role.CUSTODIAN])
def test_those_who_manage_nobody_are_refused_and_see_no_link_to_it(client, county, build, role):
    region = county.district if role is Role.DEPARTMENT else county.villages["石桥村"]
    user = build.user(role, region, department="交通运输局" if role is Role.DEPARTMENT else None)
    login(client, user)
    refused = client.get("/staff")
    assert refused.status_code == 403 and "只有区乡村振兴局和乡镇工作专班可以管理人员账号" in refused.get_data(
        as_text=True
    )
    assert "人员管理" not in visible_text(client.get("/assets").get_data(as_text=True))


def test_another_regions_account_is_not_found_on_every_route(client, county, build, town):
    stranger = build.user(Role.CUSTODIAN, county.villages["清水村"])
    login(client, town)
    assert client.get(f"/staff/{stranger.id}").status_code == 404
    for action in ("deactivate", "reactivate", "unbind", "password"):
        assert post(client, f"/staff/{stranger.id}/{action}", {}, page="/staff").status_code == 404
    assert stranger.active and stranger.has_password


def test_the_list_searches_and_filters(client, session, county, build, admin, clock):
    bound = build.user(Role.CUSTODIAN, county.villages["石桥村"], name="李小军")
    redeem_bind_code(session, "o_lxj", issue_bind_code(session, bound, clock.now()), clock.now())
    stopped = build.user(Role.CUSTODIAN, county.villages["清水村"], name="黄停用")
    stopped.active = False
    recent = build.user(Role.VILLAGE_CLERK, county.villages["清水村"], name="陆最近")
    recent.last_sign_in_at = clock.now()
    session.flush()
    login(client, admin)

    def names(query: str) -> set[str]:
        page = client.get(f"/staff?{query}").get_data(as_text=True)
        return set(re.findall(r'href="/staff/\d+">([^<]+)</a>', page))

    assert names("") == {"李小军", "黄停用", "陆最近"}
    assert names("q=小军") == names(f"q={bound.phone[-4:]}") == {"李小军"}
    assert names("role=village_clerk") == {"陆最近"}
    assert names(f"region={county.towns['河湾镇'].id}") == {"黄停用", "陆最近"}
    assert names("active=0") == {"黄停用"}
    assert names("wechat=1") == {"李小军"}
    assert names("signed_in=recent") == {"陆最近"}
    assert names("signed_in=never") == {"李小军", "黄停用"}
    page = client.get("/staff").get_data(as_text=True)
    assert "2026-06-01 10:00" in page  # 陆最近's last sign-in, in local time


def test_an_edit_is_saved_and_its_history_shown(client, session, county, town, clerk):
    login(client, town)
    form = new_account(county, name="莫海燕", phone=clerk.phone, role="custodian")
    saved = post(client, f"/staff/{clerk.id}", form)
    assert saved.status_code == 303
    page = client.get(f"/staff/{clerk.id}").get_data(as_text=True)
    assert "已保存莫海燕的账号" in page
    history = visible_text(page[page.index("修改记录") :])
    assert "覃志刚" in history and "村干部" in history and "管护员" in history and "青山镇竹林村" in history


def test_stopping_an_account_ends_its_sessions_at_once(client, app, session, county, town, clerk):
    clerk_browser = app.test_client()
    login(clerk_browser, clerk)
    login(client, town)
    stopped = post(client, f"/staff/{clerk.id}/deactivate", {}, page=f"/staff/{clerk.id}")
    assert stopped.status_code == 303
    assert clerk_browser.get("/assets").status_code == 302
    session.refresh(clerk)
    assert not clerk.active
    restarted = post(client, f"/staff/{clerk.id}/reactivate", {}, page=f"/staff/{clerk.id}")
    assert restarted.status_code == 303
    login(clerk_browser, clerk)


def test_a_reset_shown_to_the_manager_stops_the_old_password_and_every_session(
    client, app, session, county, town, clerk
):
    clerk_browser = app.test_client()
    login(clerk_browser, clerk)
    login(client, town)
    answer = post(client, f"/staff/{clerk.id}/password", {"delivery": "shown"}, page=f"/staff/{clerk.id}")
    assert answer.status_code == 200 and "已重置 莫海燕 的密码" in answer.get_data(as_text=True)
    assert clerk_browser.get("/assets").status_code == 302
    session.refresh(clerk)
    assert authenticate(session, clerk.phone, PASSWORD) is None


def test_a_reset_sent_to_wechat_opens_only_in_that_wechat(app_factory, session, county, town, clerk, fake, clock):
    app = app_factory(**fake.client_config())
    client = app.test_client()
    redeem_bind_code(session, "o_moh", issue_bind_code(session, clerk, clock.now()), clock.now())
    clerk.last_sign_in_at = clock.now()  # has signed in before: a reset's link lasts 30 minutes
    session.flush()
    login(client, town)
    sent = post(client, f"/staff/{clerk.id}/password", {"delivery": "wechat"}, page=f"/staff/{clerk.id}")
    assert sent.status_code == 303
    assert "已把设置新密码的链接发到莫海燕绑定的微信" in client.get(sent.headers["Location"]).get_data(as_text=True)
    [push] = fake.calls("cgi-bin/message/custom/send")
    text = push.body["request"]["text"]["content"]
    assert push.openid == "o_moh" and "覃志刚为您重置了资产管护通的登录密码" in text and "2026-06-01 10:30前" in text
    link = re.search(r"http://guanhu\.test(/account/set-password/\S+)", text).group(1)
    assert session.scalar(select(Delivery.key).where(Delivery.openid == "o_moh")).startswith("password-link:")

    outside = app.test_client().get(link)
    assert outside.status_code == 403 and "请在微信中打开" in outside.get_data(as_text=True)
    phone = app.test_client()
    signed_in = through_wechat_oauth(phone, fake, link, "o_moh")
    assert signed_in.headers["Location"] == link
    form = phone.get(link, headers=WECHAT_BROWSER)
    assert form.status_code == 200 and "设置密码" in form.get_data(as_text=True)
    done = post(phone, link, {"password": "from-wechat-1", "repeated": "from-wechat-1"})
    assert done.status_code == 303
    session.expire_all()
    assert authenticate(session, clerk.phone, "from-wechat-1") == clerk


def test_unbinding_a_wechat_ends_the_sessions_it_made(app_factory, session, county, town, clerk, fake, clock):
    app = app_factory(**fake.client_config())
    redeem_bind_code(session, "o_moh", issue_bind_code(session, clerk, clock.now()), clock.now())
    phone = app.test_client()
    through_wechat_oauth(phone, fake, "/tasks", "o_moh")
    assert phone.get("/tasks", headers=WECHAT_BROWSER).status_code == 200
    manager = app.test_client()
    login(manager, town)
    assert post(manager, f"/staff/{clerk.id}/unbind", {}, page=f"/staff/{clerk.id}").status_code == 303
    session.refresh(clerk)
    assert clerk.wechat_openid is None
    assert phone.get("/tasks").status_code == 302


def test_the_staff_menu_follows_an_account_stopped_started_and_unbound(
    app_factory, session, county, town, clerk, fake, clock
):
    app = app_factory(**fake.client_config())
    redeem_bind_code(session, "o_moh", issue_bind_code(session, clerk, clock.now()), clock.now())
    with app.app_context():
        wechat_client().tag_staff(["o_moh"])  # as the binding in the chat left it
    manager = app.test_client()
    login(manager, town)

    post(manager, f"/staff/{clerk.id}/deactivate", {}, page=f"/staff/{clerk.id}")
    assert fake.tagged(STAFF_TAG) == []  # the villagers' menu for a stopped account
    post(manager, f"/staff/{clerk.id}/reactivate", {}, page=f"/staff/{clerk.id}")
    assert fake.tagged(STAFF_TAG) == ["o_moh"]
    post(manager, f"/staff/{clerk.id}/unbind", {}, page=f"/staff/{clerk.id}")
    assert fake.tagged(STAFF_TAG) == []


def test_an_action_without_the_forms_token_is_refused(client, town, clerk):
    login(client, town)
    assert client.post(f"/staff/{clerk.id}/deactivate").status_code == 400
    assert clerk.active


def test_a_manager_signed_in_by_wechat_gives_the_password_before_changing_anyone(
    app_factory, session, county, town, fake, clock
):
    app = app_factory(**fake.client_config())
    redeem_bind_code(session, "o_town", issue_bind_code(session, town, clock.now()), clock.now())
    phone = app.test_client()
    through_wechat_oauth(phone, fake, "/staff", "o_town")
    assert phone.get("/staff").status_code == 200  # looking is fine
    asked = phone.get("/staff/new")
    assert asked.status_code == 302 and asked.headers["Location"] == "/login/confirm?next=/staff/new"
    assert session.scalar(select(func.count()).select_from(PasswordLink)) == 0


def test_an_expired_link_says_so_in_chinese(client, session, county, town, clerk, clock):
    login(client, town)
    answer = post(client, f"/staff/{clerk.id}/password", {}, page=f"/staff/{clerk.id}")
    link = LINK.search(answer.get_data(as_text=True)).group(1).removeprefix("http://guanhu.test")
    clock.advance(days=3, seconds=1)
    gone = client.get(link)
    assert gone.status_code == 404 and "这个链接无效、已用过或已过期" in gone.get_data(as_text=True)


def test_every_signed_in_person_changes_their_own_password_and_wrong_guesses_are_limited(client, clerk):
    login(client, clerk)
    wrong = {"current": "not-mine-1", "password": "brand-new-123", "repeated": "brand-new-123"}
    statuses = [post(client, "/account/password", wrong).status_code for _ in range(6)]
    assert statuses == [422] * 5 + [429]
    assert "请在" in visible_text(post(client, "/account/password", wrong).get_data(as_text=True))
    assert clerk.check_password(PASSWORD)
