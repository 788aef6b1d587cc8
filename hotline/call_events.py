"""A call's own events in the conversation log: the phone channel writes them (`ivr.calls`), the operator's
console shows a voice message from them, privacy forgets them.

They sit at one step no dialogue reaches, one `seq` per kind (`SEQ`), so the conversation log's
unique (conversation, step, seq) makes every write idempotent.

The end of a call (`CallEnd`, from Twilio's status callback) is summed up from the events before it when it is
written (`write_end`): whether the caller gave up waiting, or left at the out-of-hours choices. While the database
is away it waits in `hotline.pending_log` behind those events, and is summed up there once they are written.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from hotline.conversation_log import Conversation, ConversationEvent, Turn, write_turns

CALL_STEP = 1_000_000


class CallEvent(StrEnum):
    ENQUEUED = "call_enqueued"
    QUEUE_LEFT = "queue_left"
    CALLBACK_REQUESTED = "callback_requested"
    VOICEMAIL = "voicemail"
    VOICEMAIL_TRANSCRIPTION = "voicemail_transcription"
    ENDED = "call_ended"
    AFTER_HOURS_CHOICES = "after_hours_choices"  # last: each kind's seq is its place in this list


SEQ = {kind: seq for seq, kind in enumerate(CallEvent, start=1)}


def event(conversation_id: str, kind: CallEvent, at: datetime, data: Mapping[str, Any], text: str = "") -> Turn:
    """A call event as the conversation log writes it (or keeps it while the database is away)."""
    return Turn(conversation_id, CALL_STEP, at, [{"kind": kind.value, "text": text, "data": dict(data)}], seq=SEQ[kind])


def events(connection: Connection, conversation_id: str) -> dict[CallEvent, dict[str, Any]]:
    """The call events written so far: each kind's data."""
    rows = connection.execute(
        select(ConversationEvent.kind, ConversationEvent.data).where(
            ConversationEvent.conversation_id == conversation_id, ConversationEvent.step == CALL_STEP
        )
    )
    return {CallEvent(row.kind): row.data for row in rows}


@dataclass(frozen=True)
class CallEnd:
    """The end of a call as Twilio's status callback tells it."""

    conversation_id: str
    status: str
    duration: int
    caller: str  # the number the call came from
    at: datetime


def summed_up(end: CallEnd, before: Mapping[CallEvent, Mapping[str, Any]]) -> dict[str, Any]:
    """The end's record: the duration, whether the caller gave up in the queue, where else they left."""
    left = before.get(CallEvent.QUEUE_LEFT)
    # Hung up while waiting: the queue's own report of it may still be on its way.
    abandoned = (
        CallEvent.ENQUEUED in before
        and CallEvent.CALLBACK_REQUESTED not in before
        and (left is None or left.get("result") == "hangup")
    )
    # Hung up at the out-of-hours choices: not waiting for anyone, so a call event, not a queue statistic.
    chose = {CallEvent.ENQUEUED, CallEvent.CALLBACK_REQUESTED, CallEvent.VOICEMAIL} & before.keys()
    left_at = "after_hours_choices" if CallEvent.AFTER_HOURS_CHOICES in before and not chose else None
    said = {"status": end.status, "duration": end.duration, "from": end.caller}
    return {**said, "abandoned": abandoned, "left_at": left_at}


def write_end(connection: Connection, end: CallEnd) -> bool:
    """Record the end of the call, summed up from its events so far, and close its conversation; False when it
    was recorded before (a retried callback)."""
    data = summed_up(end, events(connection, end.conversation_id))
    if not write_turns(connection, [event(end.conversation_id, CallEvent.ENDED, end.at, data)]):
        return False
    connection.execute(update(Conversation).where(Conversation.id == end.conversation_id).values(ended=True))
    return True


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
