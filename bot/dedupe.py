"""Claims on inbound messages, made before any work, visible to every worker at once.

A claim is a unique row, committed before the handler runs, so that WeChat's retries (and
concurrent duplicates) find it and do nothing. The same statement tells whether staff sent it.
"""

from __future__ import annotations

import datetime as dt

from models.wechat import CLAIM, Claim, claim_of, claim_params


def claim(key: str, *, kind: str, openid: str, now: dt.datetime) -> Claim:
    """Claim the message and learn whether staff sent it. Raises SQLAlchemyError when the database is down."""
    from web.database import database

    return claim_of(database().first_alone(CLAIM, claim_params(key, kind=kind, openid=openid, now=now)))
