"""订阅通知 events through /wechat: each person's accept or refuse per template is recorded, the
latest decision wins, and none of these events gets a reply."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from models.wechat.consents import has_refused
from models.wechat.entities import ConsentSource, NotificationConsent
from tests.support.wechat_messages import VILLAGER, claims, post


def subscription_event(name: str, element: str, items: list[dict[str, str]], created: dt.datetime) -> str:
    lists = "".join(
        "<List>" + "".join(f"<{key}><![CDATA[{value}]]></{key}>" for key, value in item.items()) + "</List>"
        for item in items
    )
    return (
        f"<xml><ToUserName><![CDATA[gh_guanhu000000]]></ToUserName><FromUserName><![CDATA[{VILLAGER}]]></FromUserName>"
        f"<CreateTime>{int(created.timestamp())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
        f"<Event><![CDATA[{name}]]></Event><{element}>{lists}</{element}></xml>"
    )


def popup(items: list[tuple[str, str]], created: dt.datetime) -> str:
    listed = [{"TemplateId": t, "SubscribeStatusString": s, "PopupScene": "0"} for t, s in items]
    return subscription_event("subscribe_msg_popup_event", "SubscribeMsgPopupEvent", listed, created)


def change(template_id: str, status: str, created: dt.datetime) -> str:
    listed = [{"TemplateId": template_id, "SubscribeStatusString": status}]
    return subscription_event("subscribe_msg_change_event", "SubscribeMsgChangeEvent", listed, created)


def sent(template_id: str, code: str, created: dt.datetime) -> str:
    listed = [{"TemplateId": template_id, "MsgID": "1700827132819554304", "ErrorCode": code, "ErrorStatus": "x"}]
    return subscription_event("subscribe_msg_sent_event", "SubscribeMsgSentEvent", listed, created)


def consents(session) -> dict[str, tuple[bool, ConsentSource, dt.datetime]]:
    rows = session.scalars(select(NotificationConsent).where(NotificationConsent.openid == VILLAGER))
    return {row.template_id: (row.accepted, row.source, row.changed_at) for row in rows}


def test_a_popup_answer_is_recorded_per_template_without_a_reply(wechat_client, messages, session, clock) -> None:
    at = clock.now() - dt.timedelta(seconds=3)
    xml = popup([("tpl-reminder", "accept"), ("tpl-answer", "reject")], at)

    first, _ = post(wechat_client, messages, xml)
    retry, _ = post(wechat_client, messages, xml)  # WeChat's retry of the same event

    assert first.get_data(as_text=True) == "success" and retry.get_data(as_text=True) == "success"
    assert consents(session) == {
        "tpl-reminder": (True, ConsentSource.POPUP, at.replace(microsecond=0)),
        "tpl-answer": (False, ConsentSource.POPUP, at.replace(microsecond=0)),
    }
    assert claims(session) == 1
    assert has_refused(session, VILLAGER, "tpl-answer") and not has_refused(session, VILLAGER, "tpl-reminder")


def test_the_latest_decision_wins_whatever_order_the_events_arrive_in(wechat_client, messages, session, clock) -> None:
    earlier, later = clock.now() - dt.timedelta(minutes=5), clock.now() - dt.timedelta(minutes=1)

    post(wechat_client, messages, change("tpl-reminder", "reject", later))  # turned off in the settings
    post(wechat_client, messages, popup([("tpl-reminder", "accept")], earlier))  # an older event, late

    assert consents(session)["tpl-reminder"][:2] == (False, ConsentSource.CHANGE)

    post(wechat_client, messages, popup([("tpl-reminder", "accept")], clock.now()))  # accepted again
    assert consents(session)["tpl-reminder"][:2] == (True, ConsentSource.POPUP)


def test_a_send_the_person_refused_is_recorded_and_a_delivered_one_changes_nothing(
    wechat_client, messages, session, clock
) -> None:
    post(wechat_client, messages, sent("tpl-delivered", "0", clock.now()))
    post(wechat_client, messages, sent("tpl-refused", "43101", clock.now() - dt.timedelta(seconds=1)))

    assert consents(session) == {
        "tpl-refused": (False, ConsentSource.SENT, (clock.now() - dt.timedelta(seconds=1)).replace(microsecond=0))
    }


def test_an_event_time_in_the_future_counts_as_now(wechat_client, messages, session, clock) -> None:
    post(wechat_client, messages, popup([("tpl-reminder", "reject")], clock.now() + dt.timedelta(days=365)))

    assert consents(session)["tpl-reminder"][2] == clock.now()  # a later real decision still counts


def test_items_without_a_template_or_a_known_decision_are_ignored(wechat_client, messages, session, clock) -> None:
    items = [
        {"SubscribeStatusString": "accept"},
        {"TemplateId": "tpl-x", "SubscribeStatusString": "maybe"},
        {"TemplateId": "t" * 129, "SubscribeStatusString": "reject"},
    ]
    xml = subscription_event("subscribe_msg_popup_event", "SubscribeMsgPopupEvent", items, clock.now())

    response, _ = post(wechat_client, messages, xml)

    assert response.status_code == 200 and consents(session) == {}
