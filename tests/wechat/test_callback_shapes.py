"""Every WeChat callback sample we know of, replayed signed through /wechat, is answered; nested
shapes are taken within depth and count bounds, and a nested element where text belongs is not.

The samples (tests/fixtures/wechat_callbacks.json) are every XML message of wechatpy's own test
suite and the samples of WeChat's documentation for the shapes that suite lacks.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from bot.handlers.fallback import NOT_UNDERSTOOD
from models.wechat.entities import InboundMessage, NotificationConsent
from tests.support.wechat_messages import AES_KEY, VILLAGER, WECHAT_CONFIG, WeChatMessages, claims, post

SAMPLES = json.loads((Path(__file__).parents[1] / "fixtures" / "wechat_callbacks.json").read_text())["samples"]
POPUP_TEMPLATE = "VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc"  # accepted in a popup, later turned off
REFUSED_TEMPLATE = "9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI"  # refused in the popup


def is_event(xml: str) -> bool:
    return "<MsgType><![CDATA[event]]></MsgType>" in xml


@pytest.mark.parametrize("safe_mode", [False, True], ids=["plain", "safe-mode"])
def test_every_known_callback_is_answered(app_factory, clock, session, safe_mode) -> None:
    config = {**WECHAT_CONFIG, "WECHAT_AES_KEY": AES_KEY} if safe_mode else WECHAT_CONFIG
    client = app_factory(**config).test_client()
    messages = WeChatMessages(clock, aes_key=AES_KEY if safe_mode else None)
    answers = {}
    for sample in SAMPLES:
        response, query = post(client, messages, sample["xml"])
        reply = messages.read_reply(response.get_data(), query) if response.status_code == 200 else None
        answers[sample["name"]] = (response.status_code, reply, is_event(sample["xml"]))
        session.execute(delete(InboundMessage))  # the next sample is a first delivery too, never a retry

    assert len(answers) == len(SAMPLES) == 45
    assert {name: status for name, (status, _, _) in answers.items() if status != 200} == {}
    # An event nobody handles is answered with nothing to show (WeChat shows the person nothing);
    # the words for text we cannot read are never the answer to an event.
    misread = [name for name, (_, reply, event) in answers.items() if event and NOT_UNDERSTOOD in str(reply)]
    assert misread == []
    for name in ("subscribe_msg_popup_event (two templates)", "MASSSENDJOBFINISH (copyright check result)"):
        assert answers[name][1] is None
    assert answers["test_parse_text_message"][1]["Content"] == NOT_UNDERSTOOD  # a message still gets its reply
    consents = {c.template_id: (c.openid, c.accepted) for c in session.scalars(select(NotificationConsent))}
    assert consents == {
        POPUP_TEMPLATE: ("otFpruAK8D-E6EfStSYonYSBZ8_4", False),
        REFUSED_TEMPLATE: ("otFpruAK8D-E6EfStSYonYSBZ8_4", False),
    }


def event(inner: str, name: str = "subscribe_msg_popup_event", created: int = 1_700_000_000) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[{VILLAGER}]]></FromUserName>"
        f"<CreateTime>{created}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{name}]]></Event>{inner}</xml>"
    )


def nested(depth: int) -> str:
    return "<a>" * depth + "x" + "</a>" * depth


@pytest.mark.parametrize(
    "xml",
    [
        event(nested(7)),  # deeper than any shape WeChat documents
        event("<List><TemplateId>t</TemplateId></List>" * 501),  # more elements than any
        event("<SubscribeMsgPopupEvent>" + nested(6) + "</SubscribeMsgPopupEvent>"),
        # Nested or repeated where wechatpy reads text: a handler would get a dict for a string.
        event("<EventKey><a>1</a></EventKey>", name="CLICK"),
        event("<EventKey>1</EventKey><EventKey>2</EventKey>", name="CLICK"),
        (
            f"<xml><FromUserName>{VILLAGER}</FromUserName><CreateTime>1</CreateTime><MsgType>text</MsgType>"
            "<Content><b>帮助</b></Content><MsgId>7</MsgId></xml>"
        ),
    ],
    ids=["too-deep", "too-many", "too-deep-inside-a-known-element", "nested-key", "repeated-key", "nested-content"],
)
def test_shapes_outside_the_bounds_are_refused_and_nothing_is_stored(wechat_client, messages, session, xml) -> None:
    response, _ = post(wechat_client, messages, xml)

    assert response.status_code == 400 and response.get_data(as_text=True) == "消息格式有误。"
    assert claims(session) == 0 and session.scalar(select(NotificationConsent)) is None


def test_the_largest_documented_shape_fits_the_bounds(wechat_client, messages, session) -> None:
    items = "".join(
        f"<List><TemplateId><![CDATA[tpl-{n}]]></TemplateId><SubscribeStatusString>accept</SubscribeStatusString>"
        "<PopupScene>0</PopupScene></List>"
        for n in range(100)  # far more templates than one popup offers (WeChat: at most 3 at once)
    )
    response, _ = post(wechat_client, messages, event(f"<SubscribeMsgPopupEvent>{items}</SubscribeMsgPopupEvent>"))

    assert response.status_code == 200
    assert len(session.scalars(select(NotificationConsent)).all()) == 100


def test_an_event_wechatpy_cannot_name_is_answered_at_once_and_not_claimed(wechat_client, messages, session) -> None:
    response, _ = post(wechat_client, messages, event("<Whatever>1</Whatever>", name="some_future_event"))

    assert response.status_code == 200 and response.get_data(as_text=True) == "success"
    assert claims(session) == 0  # the fast path: no claim, no database work
