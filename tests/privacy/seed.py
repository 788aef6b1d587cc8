"""A citizen's traces in every table that keeps personal data, at a chosen age (retention and erasure tests)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from hotline import conversation_log
from hotline.admin.models import AuditEntry
from hotline.call_events import CALL_STEP, CallEvent
from hotline.conversation_log import Turn
from hotline.db import transaction
from hotline.queue_log import QueueEvent
from hotline.users import Role, create
from registry_client.models import Case, Certificate, RegistryAudit, RegistryJob
from specialist_queue.chat import ChatMessage

PHONE = "+380501234567"
SAID = "мій РНОКПП 2876543211, телефон 050 123 45 67"


@dataclass(frozen=True)
class Traces:
    conversation_id: str
    recording_sid: str
    case_id: int


def owner(sessions: sessionmaker[Session]) -> int:
    with transaction(sessions) as session:
        return create(
            session, username=f"olena-{uuid.uuid4().hex[:6]}", password="a long password", role=Role.OPERATOR
        ).id


def citizen(sessions: sessionmaker[Session], *, at: datetime, user_id: int, phone: str = PHONE) -> Traces:
    """A phone call at `at`: typed and spoken turns, a voice message with its transcription, a chat with a
    specialist, a callback request, a case with a certificate and its registry audit, an admin audit entry."""
    conversation_id = uuid.uuid4().hex
    call_sid = "CA" + uuid.uuid4().hex
    recording_sid = "RE" + uuid.uuid4().hex
    with transaction(sessions) as session:
        conversation_log.create(
            session, conversation_id=conversation_id, channel="phone", lang="uk", external_id=call_sid
        )
        session.get(conversation_log.Conversation, conversation_id).started_at = at  # type: ignore[union-attr]
    turns = [
        Turn(
            conversation_id,
            1,
            at,
            [
                {"kind": "citizen_text", "text": SAID, "score": 10.0},
                {"kind": "bot", "text": "Ось як оформити субсидію", "intent": "housing_subsidy_apply"},
            ],
        ),
        Turn(
            conversation_id,
            2,
            at,
            [
                {
                    "kind": "citizen_speech",
                    "text": "мене звати олена петрівна",
                    "score": 0.0,
                    "data": {"confidence": 0.8},
                }
            ],
        ),
    ]
    with transaction(sessions) as session:
        conversation_log.write_turns(session.connection(), turns)
        for seq, (kind, data, text) in enumerate(
            [
                (
                    CallEvent.VOICEMAIL,
                    {"sid": recording_sid, "url": f"https://api.twilio.com/{recording_sid}", "from": phone},
                    "",
                ),
                (CallEvent.VOICEMAIL_TRANSCRIPTION, {"status": "completed"}, "передзвоніть на 050 123 45 67"),
                (CallEvent.CALLBACK_REQUESTED, {"phone": phone, "voice_message": True}, ""),
            ],
            start=10,
        ):
            session.add(
                conversation_log.ConversationEvent(
                    conversation_id=conversation_id,
                    step=CALL_STEP,
                    seq=seq,
                    at=at,
                    kind=kind.value,
                    text=text,
                    data=data,
                )
            )
        session.add(ChatMessage(conversation_id=conversation_id, at=at, sender="citizen", text=SAID))
        session.add(
            QueueEvent(
                at=at,
                event="callback_requested",
                conversation_id=conversation_id,
                channel="phone",
                queue="subsidies",
                data={"phone": phone},
            )
        )
        case = Case(
            kind="subsidy",
            full_name="Шевченко Марія Іванівна",
            birth_date=date(1978, 4, 12),
            id_kind="rnokpp",
            id_value="2876543211",
            search_text="шевченко",
            owner_id=user_id,
            conversation_id=conversation_id,
            created_at=at,
        )
        session.add(case)
        session.flush()
        job = RegistryJob(
            case_id=case.id,
            idempotency_key=uuid.uuid4().hex,
            state="ready",
            purpose="субсидія",
            requested_by=user_id,
            subject={"id_value": "2876543211"},
            created_at=at,
            finished_at=at,
        )
        session.add(job)
        session.flush()
        session.add(
            Certificate(
                case_id=case.id,
                job_id=job.id,
                extract_id="X-1",
                formed_at=at,
                full_name=case.full_name,
                birth_date=case.birth_date,
                address="вул. Соборна, 12, кв. 5",
                registered_on=date(2001, 1, 1),
                source="РТГ",
                received_at=at,
            )
        )
        session.add(
            RegistryAudit(
                at=at,
                user_id=user_id,
                case_id=case.id,
                job_id=job.id,
                purpose="субсидія",
                service="RTG",
                subject_kind="rnokpp",
                subject_masked="28******11",
                subject_hash="h",
                result="ready",
            )
        )
        session.add(AuditEntry(at=at, username="anna", action="user.update", target="olena", detail={"phone": phone}))
    return Traces(conversation_id, recording_sid, case.id)


def days_ago(now: datetime, days: float) -> datetime:
    return now - timedelta(days=days)
