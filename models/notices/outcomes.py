"""What happens when a notice is decided: each subject kind's domain registers a handler.

    @on_notice_decided("evaluation")
    def evaluation_notice_decided(session, notice, now): ...

A handler is called in the same unit of work as the decision (`passed` or `upheld`), so that the
subject moves on (reported to the town, sent back to the village) or nothing does. A kind with no
handler (a manual notice) is simply recorded. The notices never import the subjects' domains: they
come here, by importing this module from their own package.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sqlalchemy.orm import Session

from models.notices.entities import PublicNotice

Handler = Callable[[Session, PublicNotice, dt.datetime], None]

HANDLERS: dict[str, Handler] = {}


def register(subject_kind: str, handler: Handler) -> None:
    """Call `handler(session, notice, now)` when a notice of `subject_kind` is decided."""
    known = HANDLERS.get(subject_kind)
    if known is not None and known is not handler:
        raise ValueError(f"notices of kind {subject_kind!r} already have a handler: {known.__qualname__}")
    HANDLERS[subject_kind] = handler


def on_notice_decided(subject_kind: str) -> Callable[[Handler], Handler]:
    """Decorator form of `register`."""

    def registered(handler: Handler) -> Handler:
        register(subject_kind, handler)
        return handler

    return registered


def notice_decided(session: Session, notice: PublicNotice, now: dt.datetime) -> None:
    """Tell the subject's domain, if it asked to be told."""
    handler = HANDLERS.get(notice.subject_kind)
    if handler is not None:
        handler(session, notice, now)
