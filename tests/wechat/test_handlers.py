"""Handlers and their domain rules, called with a literal XML message and a session: no Flask."""

from __future__ import annotations

import tempfile

import pytest
from sqlalchemy import select
from wechatpy import parse_message

from bot.handlers.maintenance import VILLAGER_PHOTO
from bot.replies import Article, cdata_safe, render
from bot.router import Context, Router, router
from infra.unit_of_work import UnitOfWork
from models.audit import AuditEntry
from models.people import Role
from models.storage import LocalStorage
from models.wechat.binding import BIND_MAX_FAILURES, BindRefused, issue_bind_code, redeem_bind_code, unbind_wechat
from models.wechat.visitors import staff_for_openid

OPENID = "oHandlerTest000000000000001"
NO_FILES = LocalStorage(tempfile.gettempdir())  # these handlers store no files


@pytest.fixture(autouse=True)
def app_context(app):
    """Handlers run inside the app, as the door runs them (the bind limits are the app's shared state)."""
    with app.app_context():
        yield


def xml_text(content: str, openid: str = OPENID, msg_id: int = 1) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>1780279200</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def run(session, clock, xml: str) -> tuple[object, Context]:
    message = parse_message(xml)
    ctx = Context(
        work=UnitOfWork(lambda: session),
        now=clock.now(),
        timezone="Asia/Shanghai",
        storage=NO_FILES,
        public_base_url="http://guanhu.test",
        openid=message.source,
        staff_id=getattr(staff_for_openid(session, message.source), "id", None),
    )
    return router.resolve(message).run(message, ctx), ctx


def test_text_commands_take_the_rest_as_their_argument(session, clock):
    route = router.resolve(parse_message(xml_text("绑定123456")))
    assert route.handler.__name__ == "bind" and route.argument == "123456"
    route = router.resolve(parse_message(xml_text("  绑定   12 34 56 ")))
    assert route.argument == "12 34 56"


def test_a_command_word_cannot_be_registered_twice():
    fresh = Router()
    fresh.command("帮助")(lambda message, ctx: None)
    with pytest.raises(ValueError, match="already has a handler"):
        fresh.command("帮助")(lambda message, ctx: None)


def test_bind_without_a_code_asks_for_it(session, clock):
    reply, _ = run(session, clock, xml_text("绑定"))
    assert "6位绑定码" in reply


def test_bind_code_is_single_use(session, clock, county, build):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    code = issue_bind_code(session, clerk, clock.now())
    assert redeem_bind_code(session, OPENID, code, clock.now()) == clerk
    with pytest.raises(BindRefused):
        redeem_bind_code(session, "oSomeoneElse", code, clock.now())


def test_bind_code_expires_after_ten_minutes(session, clock, county, build):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    code = issue_bind_code(session, clerk, clock.now())
    clock.advance(minutes=10, seconds=1)
    reply, _ = run(session, clock, xml_text(f"绑定 {code}"))
    assert "已过期" in reply
    assert staff_for_openid(session, OPENID) is None


def test_a_new_bind_code_voids_the_previous_one(session, clock, county, build):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    first = issue_bind_code(session, clerk, clock.now())
    second = issue_bind_code(session, clerk, clock.now())
    with pytest.raises(BindRefused):
        redeem_bind_code(session, OPENID, first, clock.now())
    assert redeem_bind_code(session, OPENID, second, clock.now()) == clerk


def test_failed_bind_attempts_are_rate_limited_per_openid(session, clock, county, build):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    code = issue_bind_code(session, clerk, clock.now())
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(BIND_MAX_FAILURES):
        reply, _ = run(session, clock, xml_text(f"绑定 {wrong}"))
        assert "不对或已过期" in reply
    reply, _ = run(session, clock, xml_text(f"绑定 {code}"))
    assert "太多" in reply  # even the right code, until the window has passed
    assert redeem_bind_code(session, "oAnotherPhone", code, clock.now()) == clerk  # others are not blocked
    clock.advance(minutes=16)
    other = issue_bind_code(session, clerk, clock.now())
    assert "绑定成功" in run(session, clock, xml_text(f"绑定 {other}"))[0]


def test_binding_a_wechat_to_a_second_account_moves_it_and_is_audited(session, clock, county, build):
    first = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    second = build.user(Role.TOWN_OFFICIAL, county.towns["青山镇"])
    redeem_bind_code(session, OPENID, issue_bind_code(session, first, clock.now()), clock.now())
    redeem_bind_code(session, OPENID, issue_bind_code(session, second, clock.now()), clock.now())
    assert first.wechat_openid is None and second.wechat_openid == OPENID
    unbind_wechat(session, second, clock.now())
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.entity_type == "user").order_by(AuditEntry.id))
    assert list(actions) == ["wechat_bind", "wechat_unbind", "wechat_bind", "wechat_unbind"]


def test_inactive_staff_are_treated_as_villagers(session, clock, county, build):
    clerk = build.user(Role.VILLAGE_CLERK, county.villages["石桥村"])
    clerk.wechat_openid, clerk.active = OPENID, False
    session.flush()
    assert staff_for_openid(session, OPENID) is None
    assert "工作人员" in run(session, clock, xml_text("我的任务"))[0]


def test_a_villagers_photo_is_answered_politely_and_not_fetched(session, clock):
    xml = (
        "<xml><ToUserName>gh_x</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime>"
        "<MsgType>image</MsgType><PicUrl>http://p</PicUrl><MediaId>m-9</MediaId><MsgId>9</MsgId></xml>"
    )
    reply, ctx = run(session, clock, xml)
    assert reply == VILLAGER_PHOTO
    assert ctx.work.queued == []


def test_replies_never_carry_an_unescaped_cdata_end():
    message = parse_message(xml_text("x"))
    assert "]]>" not in cdata_safe("a]]>b")
    xml = render(Article(title="t]]>", description="d]]>", url="http://x/]]>"), message)
    assert xml.count("]]>") == xml.count("<![CDATA[")
