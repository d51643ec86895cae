"""订阅通知: what a person decided about our notification templates, as WeChat tells us.

Accepting or refusing in the popup, turning a template off in WeChat's settings, a send WeChat
refused (43101), and a template message whose result says "failed:user block" are recorded per
person and template (`models.wechat.consents`); the notifier then sends no refused template.
None of these events gets a reply.
"""

from __future__ import annotations

import datetime as dt

from wechatpy.messages import BaseMessage

from bot.events import SubscriptionEvent
from bot.replies import Reply
from bot.router import Context, router
from models.wechat.consents import record_consent
from models.wechat.deliveries import record_template_result
from models.wechat.entities import ConsentSource

DECISIONS = {"accept": True, "reject": False}
REFUSED = "43101"  # a send result's ErrorCode when the person refused the template


@router.event("subscribe_msg_popup_event", "subscribe_msg_change_event")
def decided(message: SubscriptionEvent, ctx: Context) -> Reply:
    source = ConsentSource.POPUP if message.event == "subscribe_msg_popup_event" else ConsentSource.CHANGE
    for result in message.results:
        if result.status in DECISIONS:
            record_consent(
                ctx.session,
                message.source,
                result.template_id,
                accepted=DECISIONS[result.status],
                at=_decided_at(message, ctx),
                source=source,
            )
    return None


@router.event("subscribe_msg_sent_event")
def sent(message: SubscriptionEvent, ctx: Context) -> Reply:
    for result in message.results:
        if result.error_code == REFUSED:
            record_consent(
                ctx.session,
                message.source,
                result.template_id,
                accepted=False,
                at=_decided_at(message, ctx),
                source=ConsentSource.SENT,
            )
    return None


@router.event("templatesendjobfinish", when=lambda message: message.status != "success")
def template_result(message: BaseMessage, ctx: Context) -> Reply:
    """A template message WeChat could not deliver: refused ("failed:user block") or failed.
    Results that say "success" (nearly all) are answered at once, unclaimed."""
    if isinstance(message.id, int) and isinstance(message.status, str):
        record_template_result(ctx.session, message.source, message.id, message.status[:60], _decided_at(message, ctx))
    return None


def _decided_at(message: SubscriptionEvent, ctx: Context) -> dt.datetime:
    """When the person decided: the event's CreateTime, never later than now."""
    return min(dt.datetime.fromtimestamp(message.time, dt.UTC), ctx.now)
