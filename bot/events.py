"""Events WeChat sends that wechatpy 1.8.18 has no class for, registered with wechatpy's own
`register_event` so that `parse_message` reads them like any other.

The subscription-notification (订阅通知) events carry one `<List>` per template, repeated:
https://developers.weixin.qq.com/doc/offiaccount/Subscription_Messages/api.html (事件推送)

    <SubscribeMsgPopupEvent><List><TemplateId/><SubscribeStatusString>accept|reject
      </SubscribeStatusString><PopupScene/></List>…</SubscribeMsgPopupEvent>
    <SubscribeMsgChangeEvent><List><TemplateId/><SubscribeStatusString>reject…</List>…
    <SubscribeMsgSentEvent><List><TemplateId/><MsgID/><ErrorCode/><ErrorStatus/></List>…
"""

from __future__ import annotations

from dataclasses import dataclass

from wechatpy.events import BaseEvent, register_event
from wechatpy.fields import BaseField


@dataclass(frozen=True)
class TemplateResult:
    """One `<List>` item: a template and what became of it."""

    template_id: str
    status: str  # accept or reject (popup, change); empty for a send result
    error_code: str  # a send result's ErrorCode ("0": delivered); empty otherwise


class SubscriptionEvent(BaseEvent):
    """An event about notification templates; `results` is its list, however many items it has."""

    _holder: BaseField

    @property
    def results(self) -> list[TemplateResult]:
        holder = self._holder or {}
        items = holder.get("List") if isinstance(holder, dict) else None
        items = items if isinstance(items, list) else [items]
        return [
            TemplateResult(_text(item, "TemplateId"), _text(item, "SubscribeStatusString"), _text(item, "ErrorCode"))
            for item in items
            if isinstance(item, dict) and _text(item, "TemplateId")
        ]


def _text(item: dict, name: str) -> str:
    value = item.get(name)
    return value.strip() if isinstance(value, str) else ""


@register_event("subscribe_msg_popup_event")
class SubscribeMsgPopupEvent(SubscriptionEvent):
    """The person answered the subscription popup (in an article or a web page)."""

    event = "subscribe_msg_popup_event"
    _holder = BaseField("SubscribeMsgPopupEvent", {})


@register_event("subscribe_msg_change_event")
class SubscribeMsgChangeEvent(SubscriptionEvent):
    """The person changed a subscription in WeChat's settings (服务通知 → 接收设置)."""

    event = "subscribe_msg_change_event"
    _holder = BaseField("SubscribeMsgChangeEvent", {})


@register_event("subscribe_msg_sent_event")
class SubscribeMsgSentEvent(SubscriptionEvent):
    """What became of a notification we sent (bizsend)."""

    event = "subscribe_msg_sent_event"
    _holder = BaseField("SubscribeMsgSentEvent", {})
