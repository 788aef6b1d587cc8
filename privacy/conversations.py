"""A conversation as someone who does not hold it reads it: masked; a supervisor may unmask a closed one.

The specialist holding a conversation (or offered it, or who just closed it) reads it as it was
said: the work needs it. Anyone else, an admin or a supervisor, reads the same view with personal
data masked. A supervisor may read a closed conversation unmasked after stating why; the reason
and who asked go to the audit log (`privacy.unmask`) in the same transaction.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hotline.admin import audit
from hotline.csrf import verify_csrf
from hotline.db import transaction
from hotline.deps import Parts, PartsDep, StaffUser, require
from hotline.users import Role
from privacy.masking import mask
from specialist_queue import context
from specialist_queue.model import EntryState

router = APIRouter(tags=["privacy"])
Reader = Annotated[StaffUser, require(Role.SUPERVISOR, Role.ADMIN)]
Supervisor = Annotated[StaffUser, require(Role.SUPERVISOR)]
ConversationId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
Lang = Literal["uk", "ru"]
UNMASK = "privacy.unmask"


class Unmasking(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=500, description="Why the supervisor must read it unmasked (audited).")

    @field_validator("reason")
    @classmethod
    def stated(cls, value: str) -> str:
        if len(value.strip()) < 10:
            raise ValueError("say why, in at least 10 characters")
        return value.strip()


def masked(view: dict[str, Any], lang: str) -> dict[str, Any]:
    """The console's view of a conversation (`specialist_queue.context.build`) with personal data masked."""
    voice = view.get("voice_message")
    return {
        **view,
        "transcript": [{**turn, "text": mask(turn["text"] or "", lang)} for turn in view.get("transcript", [])],
        "messages": [{**message, "text": mask(message["text"], lang)} for message in view.get("messages", [])],
        "voice_message": voice and {**voice, "url": None, "transcription": mask(voice["transcription"] or "", lang)},
        "phone": "[…]" if view.get("phone") else "",
        "transfers": [{**given, "note": mask(given["note"] or "", lang)} for given in view.get("transfers", [])],
    }


def _view(parts: Parts, conversation_id: str, lang: str) -> dict[str, Any]:
    trees = parts.dialogue.trees
    with parts.sessions() as session:
        view = context.build(session, conversation_id, trees.get(trees.current_version()), lang)
    if view is None:
        raise HTTPException(status_code=404, detail="no such conversation")
    return view


def _closed(parts: Parts, conversation_id: str) -> bool:
    """Nobody waits in it or holds it: no live queue entry, or a closed one."""
    if parts.specialists is None:
        return True
    entry = parts.specialists.queue.store.entry(conversation_id)
    return entry is None or entry.state is EntryState.CLOSED


@router.get("/api/supervisor/conversations/{conversation_id}")
def read_masked(conversation_id: ConversationId, user: Reader, parts: PartsDep, lang: Lang = "uk") -> dict[str, Any]:
    """Any conversation as the console shows it, personal data masked (`[РНОКПП]`, `[телефон]`)."""
    return {**masked(_view(parts, conversation_id, lang), lang), "unmasked": False}


@router.post("/api/supervisor/conversations/{conversation_id}/unmask", dependencies=[Depends(verify_csrf)])
def unmask(
    conversation_id: ConversationId, body: Unmasking, user: Supervisor, parts: PartsDep, lang: Lang = "uk"
) -> dict[str, Any]:
    """A closed conversation as it was said; the reason is written to the audit log first."""
    if not _closed(parts, conversation_id):
        raise HTTPException(status_code=409, detail="only a closed conversation may be unmasked")
    view = _view(parts, conversation_id, lang)
    with transaction(parts.sessions) as session:
        audit.record(session, actor=user, action=UNMASK, target=conversation_id, detail={"reason": body.reason})
    return {**view, "unmasked": True}
