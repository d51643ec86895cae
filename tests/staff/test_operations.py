"""What managers do to accounts, and what everyone does to their own password: each change checked,
audited, and never a deletion."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from models import audit
from models.errors import Invalid, NotFound
from models.people import Role, User, VillagePost, authenticate
from models.staff.entities import LinkDelivery, PasswordLink
from models.staff.operations import (
    StaffDetails,
    change_own_password,
    create_staff,
    deactivate_staff,
    issue_password_link,
    open_password_link,
    reactivate_staff,
    set_password_by_link,
    unbind_staff_wechat,
    update_staff,
)
from models.wechat.binding import USER_ENTITY, issue_bind_code, redeem_bind_code
from tests.support.builders import PASSWORD


def entries(session, user) -> list[tuple[str, str, dict]]:
    return [(e.actor_name, e.action, e.changes) for e in audit.history(session, USER_ENTITY, user.id)]


def test_a_new_account_has_no_password_until_its_owner_sets_one_with_the_link(session, county, town, clock):
    details = StaffDetails(name="韦小兰", phone="13711110001", role=Role.CUSTODIAN, region=county.villages["竹林村"])
    issued = create_staff(session, town, details, clock.now())
    user = issued.link.user
    assert not user.has_password and authenticate(session, user.phone, "") is None
    assert issued.link.expires_at == clock.now() + dt.timedelta(days=3)  # never signed in: time to be told
    assert issued.link.token_hash != issued.token and len(issued.token) >= 43
    assert entries(session, user) == [
        ("覃志刚", "create", {"name": [None, "韦小兰"], "phone": [None, "13711110001"],
                          "role": [None, "管护员"], "region": [None, "青山镇竹林村"]}),
    ]  # fmt: skip
    set_password_by_link(session, issued.token, "her-own-1234", "her-own-1234", clock.now(), signed_in=None)
    assert authenticate(session, user.phone, "her-own-1234") is user
    with pytest.raises(NotFound, match="已用过或已过期"):
        open_password_link(session, issued.token, clock.now())


def test_a_changed_account_keeps_what_changed_in_the_audit_log(session, county, town, clerk, clock):
    old_phone = clerk.phone
    details = StaffDetails("莫海燕", "13711110002", Role.CUSTODIAN, county.villages["上坪村"])
    changes = update_staff(session, town, clerk, details, clock.now())
    assert changes == {
        "phone": [old_phone, "13711110002"],
        "role": ["村干部", "管护员"],
        "region": ["青山镇石桥村", "青山镇上坪村"],
    }
    assert entries(session, clerk)[-1] == ("覃志刚", "update", changes)
    assert audit.verify_chain(audit.history(session, USER_ENTITY, clerk.id))


def test_a_phone_someone_else_has_is_refused_and_nothing_changes(session, county, town, clerk, build, clock):
    other = build.user(Role.CUSTODIAN, county.villages["石桥村"])
    details = StaffDetails("莫海燕", other.phone, Role.VILLAGE_CLERK, county.villages["石桥村"])
    with pytest.raises(Invalid) as refused:
        update_staff(session, town, clerk, details, clock.now())
    assert refused.value.fields == {"phone": "这个手机号已经有账号了。"}
    session.refresh(clerk)
    assert clerk.phone != other.phone and entries(session, clerk) == []


def test_a_village_post_is_set_and_cleared_by_its_rules(session, county, town, build, clock):
    shiqiao = county.villages["石桥村"]
    holder = build.user(
        Role.VILLAGE_SUPERVISOR, shiqiao, name="蒙德明", village_post=VillagePost.SUPERVISION_COMMITTEE_CHAIR
    )
    other = build.user(Role.VILLAGE_SUPERVISOR, shiqiao, name="黄秋菊")
    taken = StaffDetails(
        "黄秋菊", other.phone, Role.VILLAGE_SUPERVISOR, shiqiao, None, VillagePost.SUPERVISION_COMMITTEE_CHAIR
    )
    with pytest.raises(Invalid) as refused:
        update_staff(session, town, other, taken, clock.now())
    assert refused.value.fields == {"village_post": "本村的村务监督委员会主任已由蒙德明担任。"}
    cleared = StaffDetails("蒙德明", holder.phone, Role.VILLAGE_SUPERVISOR, shiqiao)
    assert update_staff(session, town, holder, cleared, clock.now()) == {"village_post": ["村务监督委员会主任", None]}
    assert update_staff(session, town, other, taken, clock.now()) == {"village_post": [None, "村务监督委员会主任"]}
    as_clerk = StaffDetails(
        "黄秋菊", other.phone, Role.VILLAGE_CLERK, shiqiao, None, VillagePost.SUPERVISION_COMMITTEE_CHAIR
    )
    with pytest.raises(Invalid) as refused:
        update_staff(session, town, other, as_clerk, clock.now())
    assert refused.value.fields == {"village_post": "只有村级监督账号可以担任村务监督委员会主任。"}


def test_a_stopped_account_is_kept_with_its_history_and_can_be_started_again(session, town, clerk, clock):
    issued = issue_password_link(session, town, clerk, clock.now())
    deactivate_staff(session, town, clerk, clock.now())
    assert not clerk.active and issued.link.used_at == clock.now()  # its links stop working too
    with pytest.raises(Invalid) as refused:
        deactivate_staff(session, town, clerk, clock.now())
    assert refused.value.fields == {"active": "莫海燕的账号已经停用。"}
    reactivate_staff(session, town, clerk, clock.now())
    assert clerk.active
    assert [action for _, action, _ in entries(session, clerk)] == ["password_reset", "deactivate", "reactivate"]
    assert session.scalar(select(func.count()).select_from(User).where(User.id == clerk.id)) == 1


def test_a_post_taken_meanwhile_keeps_its_former_holder_stopped(session, county, town, build, clock):
    shiqiao = county.villages["石桥村"]
    former = build.user(
        Role.VILLAGE_SUPERVISOR, shiqiao, name="蒙德明", village_post=VillagePost.COOPERATIVE_BOARD_CHAIR
    )
    deactivate_staff(session, town, former, clock.now())
    build.user(Role.VILLAGE_SUPERVISOR, shiqiao, name="黄秋菊", village_post=VillagePost.COOPERATIVE_BOARD_CHAIR)
    with pytest.raises(Invalid) as refused:
        reactivate_staff(session, town, former, clock.now())
    assert refused.value.fields == {"village_post": "本村的合作社监事会主任已由黄秋菊担任。"}
    assert not former.active


def test_a_reset_stops_the_old_password_and_every_earlier_link_at_once(session, town, clerk, clock):
    clerk.last_sign_in_at = clock.now()
    first = issue_password_link(session, town, clerk, clock.now())
    assert authenticate(session, clerk.phone, PASSWORD) is None
    second = issue_password_link(session, town, clerk, clock.now())
    assert second.link.expires_at == clock.now() + dt.timedelta(minutes=30)
    with pytest.raises(NotFound):
        open_password_link(session, first.token, clock.now())
    clock.advance(minutes=31)
    with pytest.raises(NotFound):
        set_password_by_link(session, second.token, "too-late-123", "too-late-123", clock.now(), signed_in=None)
    assert entries(session, clerk)[-1] == ("覃志刚", "password_reset", {"password": ["", "显示给管理员转告本人"]})


def test_a_link_sent_to_a_wechat_works_only_for_its_account_signed_in_through_that_wechat(
    session, town, clerk, build, county, clock
):
    redeem_bind_code(session, "o_clerk", issue_bind_code(session, clerk, clock.now()), clock.now())
    issued = issue_password_link(session, town, clerk, clock.now(), to_wechat=True)
    assert issued.link.delivery is LinkDelivery.WECHAT and issued.link.openid == "o_clerk"
    for stranger in (None, town):
        with pytest.raises(NotFound):
            set_password_by_link(session, issued.token, "new-one-1234", "new-one-1234", clock.now(), signed_in=stranger)
    assert issued.link.used_at is None
    set_password_by_link(session, issued.token, "new-one-1234", "new-one-1234", clock.now(), signed_in=clerk)
    assert authenticate(session, clerk.phone, "new-one-1234") is clerk


def test_only_a_bound_wechat_can_be_sent_a_link_or_unbound(session, town, clerk, clock):
    with pytest.raises(Invalid) as refused:
        issue_password_link(session, town, clerk, clock.now(), to_wechat=True)
    assert refused.value.fields == {"delivery": "莫海燕没有绑定微信，请选择显示链接。"}
    with pytest.raises(Invalid) as refused:
        unbind_staff_wechat(session, town, clerk, clock.now())
    assert refused.value.fields == {"wechat": "莫海燕没有绑定微信。"}
    assert session.scalar(select(func.count()).select_from(PasswordLink)) == 0


def test_unbinding_by_a_manager_is_audited_as_theirs(session, town, clerk, clock):
    redeem_bind_code(session, "o_clerk", issue_bind_code(session, clerk, clock.now()), clock.now())
    unbind_staff_wechat(session, town, clerk, clock.now())
    assert clerk.wechat_openid is None
    assert entries(session, clerk)[-1] == ("覃志刚", "wechat_unbind", {"wechat": ["已绑定", None]})


@pytest.mark.parametrize(
    "current, new, repeated, refused",
    [
        ("not-mine-123", "brand-new-123", "brand-new-123", {"current": "当前密码不正确。"}),
        (PASSWORD, "short", "short", {"password": "新密码至少需要8位。"}),
        (PASSWORD, "brand-new-123", "brand-new-124", {"repeated": "两次输入的新密码不一致。"}),
        (PASSWORD, PASSWORD, PASSWORD, {"password": "新密码不能与当前密码相同。"}),
    ],
)
def test_changing_ones_password_refuses_what_is_wrong(session, clerk, clock, current, new, repeated, refused):
    with pytest.raises(Invalid) as error:
        change_own_password(session, clerk, current, new, repeated, clock.now())
    assert error.value.fields == refused
    assert clerk.check_password(PASSWORD) and entries(session, clerk) == []


def test_changing_ones_password_is_audited_without_the_password(session, clerk, clock):
    change_own_password(session, clerk, PASSWORD, "brand-new-123", "brand-new-123", clock.now())
    assert clerk.check_password("brand-new-123")
    assert entries(session, clerk) == [("莫海燕", "password_change", {"password": ["", "本人修改"]})]
