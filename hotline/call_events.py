"""A call's own events in the conversation log: the phone channel writes them (`ivr.calls`), the operator's
console shows a voice message from them, privacy forgets them.

They sit at one step no dialogue reaches, one `seq` per kind (`ivr.calls`), so the conversation log's
unique (conversation, step, seq) makes every write idempotent.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.conversation_log import ConversationEvent

CALL_STEP = 1_000_000


class CallEvent(StrEnum):
    ENQUEUED = "call_enqueued"
    QUEUE_LEFT = "queue_left"
    CALLBACK_REQUESTED = "callback_requested"
    VOICEMAIL = "voicemail"
    VOICEMAIL_TRANSCRIPTION = "voicemail_transcription"
    ENDED = "call_ended"
    AFTER_HOURS_CHOICES = "after_hours_choices"  # last: each kind's seq is its place in this list


@dataclass(frozen=True)
class Recording:
    """A caller's voice message as Twilio keeps it."""

    conversation_id: str
    sid: str
    at: datetime


def recordings(session: Session, *, end: datetime, conversation_ids: Collection[str] | None = None) -> list[Recording]:
    """Voice messages recorded before `end` (of `conversation_ids`, or all) that Twilio still keeps."""
    query = select(ConversationEvent.conversation_id, ConversationEvent.data, ConversationEvent.at).where(
        ConversationEvent.kind == CallEvent.VOICEMAIL.value, ConversationEvent.at < end
    )
    if conversation_ids is not None:
        query = query.where(ConversationEvent.conversation_id.in_(conversation_ids))
    rows = session.execute(query)
    return [Recording(row.conversation_id, str(row.data["sid"]), row.at) for row in rows if row.data.get("sid")]


def forget_recording(session: Session, *, conversation_id: str) -> None:
    """The voice message is deleted at Twilio: keep only that there was one."""
    voicemail = update(ConversationEvent).where(
        ConversationEvent.conversation_id == conversation_id, ConversationEvent.kind == CallEvent.VOICEMAIL.value
    )
    session.execute(voicemail.values(data={"deleted": True}))
