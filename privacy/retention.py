"""Retention: each kind of personal data is kept for the days the office set, then given up by a daily run:

* conversations: the words of every turn (typed, buttons, the robot's) and the turns' data, the chat
  with the specialist, the queue events' data (a callback's phone, a wrap-up note), and who the citizen
  was (call id, messenger user); the chat channels' records (`channels.chat.service.forget`: abusive
  messages, who gave a rating, lifted blocks); each conversation, turn and queue event stays (channel, language,
  time, intent, score, handoff), so statistics still count them;
* transcripts: what speech recognition heard, Twilio's transcriptions of voice messages;
* recordings: voice messages, deleted at Twilio through its REST API (that there was one stays);
* certificates: residence certificates, and the identifier each finished request asked about;
* audit: entries of the admin audit log and of registry calls.

A run touches only what has aged past its cutoff since the last run (`done_before`), so a daily run
over a large log costs what one day adds. The run is one SQL transaction per kind; recordings are
deleted at Twilio one by one first and forgotten here only when Twilio confirms (or has none), so a
Twilio outage leaves them for the next run.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from anyio import to_thread
from sqlalchemy.orm import Session, sessionmaker

from channels.chat import service as chat_records
from hotline import call_events as calls
from hotline import conversation_log, queue_log
from hotline.admin import audit
from hotline.db import transaction
from privacy.models import RetentionSettings
from registry_client import retention as registry_retention
from specialist_queue import chat

TRANSCRIPTS = ("citizen_speech", calls.CallEvent.VOICEMAIL_TRANSCRIPTION.value)
RECORDINGS = (calls.CallEvent.VOICEMAIL.value,)
RUN_AT = time(3, 0)  # office time: the line is quietest
MIN_DAYS, MAX_DAYS = 1, 3650
RUN = "privacy.retention"
SETTINGS = "privacy.retention_settings"

DeleteRecording = Callable[[str], Awaitable[bool]]  # Twilio's DELETE: True deleted, False there was none


@dataclass(frozen=True)
class Periods:
    """Days each kind is kept (docs/PRIVACY.md gives the reasons for the defaults)."""

    conversations: int = 90
    transcripts: int = 30
    recordings: int = 30
    certificates: int = 180
    audit: int = 1095

    def __post_init__(self) -> None:
        for field in fields(self):
            if not MIN_DAYS <= getattr(self, field.name) <= MAX_DAYS:
                raise ValueError(f"{field.name}: keep it from {MIN_DAYS} to {MAX_DAYS} days")

    def cutoffs(self, now: datetime) -> dict[str, datetime]:
        return {name: now - timedelta(days=days) for name, days in asdict(self).items()}


_COLUMNS = {
    "conversations": "conversation_days",
    "transcripts": "transcript_days",
    "recordings": "recording_days",
    "certificates": "certificate_days",
    "audit": "audit_days",
}


@dataclass(frozen=True)
class System:
    """The run as the audit log names it."""

    id: int | None = None
    username: str = "retention"


def _row(session: Session) -> RetentionSettings:
    row = session.get(RetentionSettings, 1)
    if row is None:
        row = RetentionSettings(id=1, done_before={}, last_run={})
        session.add(row)
        session.flush()
    return row


def periods(session: Session) -> Periods:
    row = _row(session)
    return Periods(**{name: getattr(row, column) for name, column in _COLUMNS.items()})


def last_run(session: Session) -> tuple[datetime | None, dict[str, Any]]:
    """When the last run was (UTC) and what it did."""
    row = _row(session)
    at = row.last_run_at
    return (at.replace(tzinfo=UTC) if at and at.tzinfo is None else at), dict(row.last_run)  # SQLite: naive


def arm(session: Session, *, now: datetime) -> datetime:
    """Count a new installation's runs from `now`, as if one had just run."""
    _row(session).last_run_at = now
    return now


def save(session: Session, *, chosen: Periods, by: audit.Actor) -> None:
    """New periods, audited with the old and new values."""
    old = periods(session)
    row = _row(session)
    for name, column in _COLUMNS.items():
        setattr(row, column, getattr(chosen, name))
    audit.record(session, actor=by, action=SETTINGS, detail={"old": asdict(old), "new": asdict(chosen)})


def due(last: datetime | None, now: datetime, timezone: str) -> bool:
    """Whether today's run (at RUN_AT office time) is due: it has not run since that time."""
    local = now.astimezone(ZoneInfo(timezone))
    today = datetime.combine(local.date(), RUN_AT, local.tzinfo)
    if local < today:
        today -= timedelta(days=1)
    return last is None or last < today


async def run(
    sessions: sessionmaker[Session], *, now: datetime, delete_recording: DeleteRecording | None
) -> dict[str, int]:
    """One retention run; what it did goes to the audit log (`privacy.retention`) and is returned."""
    with transaction(sessions) as session:
        chosen, done = periods(session), dict(_row(session).done_before)
    cutoffs = chosen.cutoffs(now)
    starts = {name: _start(done.get(name), cutoffs[name]) for name in cutoffs}
    reached = {name: max(cutoffs[name], datetime.fromisoformat(done[name])) if name in done else cutoffs[name]
               for name in cutoffs}  # fmt: skip
    outcome = await _recordings(sessions, cutoffs["recordings"], delete_recording)
    outcome |= await to_thread.run_sync(_forget, sessions, cutoffs, starts)
    with transaction(sessions) as session:
        row = _row(session)
        row.done_before = {name: moment.isoformat() for name, moment in reached.items()}
        row.last_run_at, row.last_run = now, outcome
        audit.record(session, actor=System(), action=RUN, detail={"periods": asdict(chosen), **outcome})
    return outcome


def _start(done: str | None, cutoff: datetime) -> datetime | None:
    """Where this run starts: the last run's cutoff, unless the period grew (then nothing new is due)."""
    if done is None:
        return None
    return min(datetime.fromisoformat(done), cutoff)


def _forget(
    sessions: sessionmaker[Session], cutoffs: dict[str, datetime], starts: dict[str, datetime | None]
) -> dict[str, int]:
    outcome: dict[str, int] = {}
    with transaction(sessions) as session:
        end, start = cutoffs["conversations"], starts["conversations"]
        keep = (*TRANSCRIPTS, *RECORDINGS)
        outcome["turns"] = conversation_log.forget(session, end=end, start=start, keep=keep)
        outcome["citizens"] = conversation_log.forget_citizen(session, end=end)
        outcome["chat_messages"] = chat.forget(session, end=end)
        outcome["chat_records"] = chat_records.forget(session, end=end)  # abuse, ratings' raters, lifted blocks
        outcome["queue_events"] = queue_log.forget(session, end=end, start=start)
    with transaction(sessions) as session:
        end, start = cutoffs["transcripts"], starts["transcripts"]
        outcome["transcripts"] = conversation_log.forget(session, end=end, start=start, kinds=TRANSCRIPTS)
    with transaction(sessions) as session:
        outcome["certificates"] = registry_retention.forget_certificates(session, end=cutoffs["certificates"])
    with transaction(sessions) as session:
        outcome["audit_entries"] = audit.forget(session, end=cutoffs["audit"])
        outcome["registry_audit"] = registry_retention.forget_audit(session, end=cutoffs["audit"])
    return outcome


async def _recordings(
    sessions: sessionmaker[Session], end: datetime, delete_recording: DeleteRecording | None
) -> dict[str, int]:
    """Delete at Twilio the voice messages older than `end`, then forget them here."""
    with sessions() as session:
        found = calls.recordings(session, end=end)
    deleted = 0
    if delete_recording is not None:
        for recording in found:
            await delete_recording(recording.sid)  # raises when Twilio fails: left for the next run
            with transaction(sessions) as session:
                calls.forget_recording(session, conversation_id=recording.conversation_id)
            deleted += 1
    return {"recordings": deleted, "recordings_left_at_twilio": len(found) - deleted}
