"""The Viber channel's own SQL records (callbacks and send outcomes), read and written inside the caller's
session; a callback Viber repeats is written once. Abuse, blocks and ratings are every chat channel's:
`channels.chat.service`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from channels.viber.models import ViberEvent


def record_event(
    session: Session, *, event: str, user_id: str | None, message_token: int | None = None, detail: str = ""
) -> bool:
    """Write one callback or outcome; False when this (event, message token) was written before."""
    try:
        with session.begin_nested():
            session.add(ViberEvent(event=event, user_id=user_id, message_token=message_token, detail=detail[:2000]))
    except IntegrityError:
        return False
    return True


def events(session: Session, *, user_id: str) -> list[ViberEvent]:
    return list(session.scalars(select(ViberEvent).where(ViberEvent.user_id == user_id).order_by(ViberEvent.id)))
