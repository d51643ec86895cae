"""The reminder jobs: keep the calendars' tasks made and the other features' deadlines in step,
send the morning digests, push urgent ones, re-send pushes WeChat asked us to retry.

Each job takes the job's session and the current instant, reads what is due from the database
and commits its own work before pushing (the notifier commits each delivery row around its send).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy.orm import Session

from bot import notifier
from models.deadlines.calendar import ensure_deadlines
from models.deadlines.entities import Deadline
from models.deadlines.reminders import (
    Message,
    compute_digests,
    digest_message,
    digests_to_send,
    urgent_message,
    urgent_to_send,
)
from models.deadlines.sources import sync_deadlines
from models.regions import districts
from models.wechat.entities import Delivery

URGENT_LOOKBACK = dt.timedelta(days=3)  # urgent deadlines older than this go in digests only
RETRY_BATCH = 200  # pushes re-sent per tick at most


def local_now(now: dt.datetime) -> dt.datetime:
    return now.astimezone(ZoneInfo(current_app.config["TIMEZONE"]))


def ensure_calendars(session: Session, now: dt.datetime) -> str:
    """Every district's tasks of this year (and, from December, of the next) exist."""
    today = local_now(now).date()
    years = [today.year, today.year + 1] if today.month == 12 else [today.year]
    created = sum(ensure_deadlines(session, district, year, now) for district in districts(session) for year in years)
    session.commit()
    return f"新建任务{created}项"


def sync_sources(session: Session, now: dt.datetime) -> str:
    """Complaints, repairs, overdue inspections and notices opened or closed as deadlines."""
    result = sync_deadlines(session, now, current_app.config["TIMEZONE"])
    session.commit()
    return f"新开时限{result.opened}项，关闭{result.closed}项"


def retry_pushes(session: Session, now: dt.datetime) -> str:
    """Re-send the pushes WeChat asked us to retry later, once they are due."""
    return f"重发推送{notifier.retry_due(session, now, RETRY_BATCH)}条"


def morning_digests(session: Session, now: dt.datetime) -> str:
    """After the digest time, compute today's digests once and send those not yet sent."""
    local = local_now(now)
    hour, minute = (int(part) for part in current_app.config["REMINDER_DIGEST_TIME"].split(":"))
    if local.time() < dt.time(hour, minute):
        return "未到推送时间"
    run = compute_digests(session, local.date(), now)
    session.commit()
    sent = 0
    for digest in digests_to_send(session, local.date()):
        push(session, digest.openid, digest_message(session, digest, local.date()), key=digest.key)
        sent += 1
    return f"{run.local_date}：提醒{run.digests}人，本次推送{sent}条"


def urgent_pushes(session: Session, now: dt.datetime) -> str:
    """Push urgent deadlines to their owners at once (each once per person)."""
    today = local_now(now).date()
    due = urgent_to_send(session, now - URGENT_LOOKBACK)
    for item in due:
        deadline = session.get(Deadline, item.deadline_id)
        push(session, item.openid, urgent_message(deadline, today), key=item.key)
    return f"紧急推送{len(due)}条"


def push(session: Session, openid: str, message: Message, *, key: str) -> Delivery:
    """One reminder through the notifier, linking to the person's tasks."""
    return notifier.send_to_staff(session, openid, message, f"{current_app.config['PUBLIC_BASE_URL']}/tasks", key=key)
