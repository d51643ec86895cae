"""The domain of guanhu: entities and the rules on them. Imports nothing from Flask or WeChat."""

from models import (  # noqa: F401  (register every table)
    assets,
    audit,
    cards,
    complaints,
    deadlines,
    deliveries,
    evaluations,
    field_sessions,
    income,
    job_states,
    leases,
    maintenance,
    notices,
    people,
    photos,
    regions,
    reminders,
    wechat,
    wechat_sandbox,
    wechat_tokens,
)
from models.base import Base

__all__ = ["Base"]
