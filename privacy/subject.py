"""The citizen's rights: find everything kept about one citizen, give it to them as a readable file, erase it.

A citizen is found by a phone number (the calls from it and their callback requests), by a Viber or
Telegram user id, or by a case (its number, `C-000123`, or the identifier it was opened with). Their
cases' conversations come along; a messenger id also finds the topics they are subscribed to and the
announcements sent to them (`selfservice.citizens`). Erasing blanks every word and datum of their
conversations (the conversations still count in statistics, with nobody's name on them), deletes the
chat with the specialists, the voice messages (at Twilio too), the cases with their certificates and
the subscriptions, takes their id off the announcements' copies, and writes one audit entry with the
reason and what was erased, never the citizen's data itself.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

import phonenumbers
from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

from channels.chat import service as chat_records
from hotline import call_events as calls
from hotline import conversation_log, queue_log
from hotline.admin import audit
from hotline.conversation_log import Conversation
from hotline.db import transaction, utcnow
from privacy.masking import mask
from registry_client import retention as registry_retention
from registry_client.models import Case
from selfservice import citizens as selfservice_citizens
from specialist_queue import chat

ERASE = "privacy.erase"
EXPORT = "privacy.export"
_CASE_NUMBER = re.compile(r"^[CcСс]-?0*(\d{1,9})$")


class BadKey(ValueError):
    """What the admin typed cannot find anyone (a phone that is no phone, nothing at all)."""


@dataclass(frozen=True)
class Key:
    """How the citizen is looked for: `kind` is phone, user or case."""

    kind: str
    value: str

    @property
    def masked(self) -> str:
        """The key as the audit log keeps it."""
        return f"{self.kind}: {mask(self.value) if self.kind != 'user' else self.value[:4] + '…'}"


def key(*, phone: str = "", user: str = "", case: str = "") -> Key:
    """The one search key given, normalised (a phone in international form), or `BadKey`."""
    asked = (("phone", phone), ("user", user), ("case", case))
    given = [(kind, value.strip()) for kind, value in asked if value.strip()]
    if len(given) != 1:
        raise BadKey("give one of: a phone number, a messenger user id, a case")
    kind, value = given[0]
    if kind == "phone":
        try:
            number = phonenumbers.parse(value, "UA")
        except phonenumbers.NumberParseException:
            raise BadKey("this is not a phone number") from None
        if not phonenumbers.is_possible_number(number):
            raise BadKey("this is not a phone number")
        value = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return Key(kind, value)


@dataclass
class Found:
    key: Key
    conversations: list[Conversation] = field(default_factory=list)
    cases: list[Case] = field(default_factory=list)
    recordings: list[calls.Recording] = field(default_factory=list)
    selfservice: selfservice_citizens.Kept = field(default_factory=selfservice_citizens.Kept)

    @property
    def conversation_ids(self) -> list[str]:
        return [c.id for c in self.conversations]

    @property
    def empty(self) -> bool:
        return not (self.conversations or self.cases or not self.selfservice.empty)

    @property
    def messenger_id(self) -> str:
        """The messenger's id of the citizen when that is what they were found by ('' otherwise)."""
        return self.key.value if self.key.kind == "user" else ""


def find(session: Session, search: Key) -> Found:
    """Every conversation, case and voice message of the citizen."""
    conversations = {
        c.id: c
        for c in conversation_log.of_citizen(
            session,
            external_id=search.value if search.kind == "user" else "",
            mentioning=search.value if search.kind == "phone" else "",
        )
    }
    number = _CASE_NUMBER.match(search.value) if search.kind == "case" else None
    cases = registry_retention.cases_of(
        session,
        conversation_ids=list(conversations),
        case_ids=[int(number.group(1))] if number else [],
        id_value=search.value.replace(" ", "").upper() if search.kind == "case" and not number else "",
    )
    for case in cases:
        if case.conversation_id and case.conversation_id not in conversations:
            opened_from = conversation_log.get(session, conversation_id=case.conversation_id)
            if opened_from is not None:
                conversations[opened_from.id] = opened_from
    ids = list(conversations)
    recordings = calls.recordings(session, end=utcnow() + timedelta(days=1), conversation_ids=ids) if ids else []
    ordered = sorted(conversations.values(), key=lambda c: c.started_at)
    found = Found(search, ordered, cases, recordings)
    found.selfservice = selfservice_citizens.kept(session, recipient=found.messenger_id)
    return found


DeleteRecording = Callable[[str], Awaitable[bool]]


async def erase(
    sessions: sessionmaker[Session],
    search: Key,
    *,
    by: audit.Actor,
    reason: str,
    delete_recording: DeleteRecording | None,
) -> dict[str, int]:
    """Erase everything found for the key; the audit entry says why and how much, never what."""
    with sessions() as session:
        found = find(session, search)
    if delete_recording is None and found.recordings:
        raise RuntimeError("voice messages are kept at Twilio: its REST API must be configured to erase them")
    for recording in found.recordings:
        assert delete_recording is not None
        await delete_recording(recording.sid)
    return await to_thread.run_sync(_erase, sessions, found, by, reason)


def _erase(sessions: sessionmaker[Session], found: Found, by: audit.Actor, reason: str) -> dict[str, int]:
    ids, end = found.conversation_ids, utcnow() + timedelta(days=1)
    with transaction(sessions) as session:
        for recording in found.recordings:
            calls.forget_recording(session, conversation_id=recording.conversation_id)
        outcome = {
            "conversations": len(ids),
            "turns": conversation_log.forget(session, end=end, conversation_ids=ids) if ids else 0,
            "chat_messages": chat.forget(session, end=end, conversation_ids=ids) if ids else 0,
            "chat_records": chat_records.forget(session, end=end, conversation_ids=ids) if ids else 0,
            "queue_events": queue_log.forget(session, end=end, conversation_ids=ids) if ids else 0,
            "recordings": len(found.recordings),
            "cases": registry_retention.erase_cases(session, case_ids=[c.id for c in found.cases]),
            **selfservice_citizens.erase(session, recipient=found.messenger_id),
        }
        if ids:
            conversation_log.forget_citizen(session, end=end, conversation_ids=ids)
        audit.record(session, actor=by, action=ERASE, target=found.key.masked, detail={"reason": reason, **outcome})
    return outcome


def record_export(sessions: sessionmaker[Session], found: Found, *, by: audit.Actor) -> None:
    """Who gave whose data out, and how much (the data itself is not copied into the audit)."""
    detail = {
        "conversations": len(found.conversations),
        "cases": len(found.cases),
        "subscriptions": len(found.selfservice.subscriptions),
        "announcements": len(found.selfservice.announcements),
    }
    with transaction(sessions) as session:
        audit.record(session, actor=by, action=EXPORT, target=found.key.masked, detail=detail)
