"""A villager's complaint for tests: filed now, with sensible words unless told otherwise."""

from __future__ import annotations

from typing import Any

from models.complaints.entities import Complaint
from models.complaints.operations import ComplaintLimits, file_complaint
from models.storage import MediaStorage

LIMITS = ComplaintLimits()


def complaint_about(session, storage: MediaStorage, asset, clock, **overrides: Any) -> Complaint:
    values = {
        "category": "损坏需维修",
        "description": "路面塌了一个大坑，晚上很危险。",
        "contact_name": None,
        "contact_phone": None,
        "photos": [],
        "openid": None,
    }
    values.update(overrides)
    return file_complaint(session, storage, asset, now=clock.now(), limits=LIMITS, **values)
