"""The operator API: state, offers, chat, close, wrap-up, callbacks, figures; and its live WebSocket.

Every route needs a logged-in operator (or admin); every state-changing one a CSRF token
(`X-CSRF-Token`). The WebSocket checks the session cookie's user and that the page it comes from is
ours (`Origin` = `HOTLINE_PUBLIC_URL`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any, Literal

from anyio import to_thread
from fastapi import APIRouter, Depends, HTTPException, Path, Query, WebSocket, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hotline import call_events, conversation_log
from hotline.csrf import verify_csrf
from hotline.db import utcnow
from hotline.deps import Parts, PartsDep, StaffUser, require, staff_of
from hotline.users import SPECIALISTS, Role
from privacy import conversations as privacy_view
from specialist_queue import canned, console, context, history, live, search_pages, supervisor
from specialist_queue.desk import NotConfigured
from specialist_queue.follow import CannotConnect, Recordings
from specialist_queue.model import Conflict, OperatorState
from specialist_queue.runtime import Specialists
from specialist_queue.transfer import CannotTransferCall, Transfer

Operator = Annotated[StaffUser, require(*SPECIALISTS)]
Admin = Annotated[StaffUser, require(Role.ADMIN)]
ConversationId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]
CSRF = [Depends(verify_csrf)]

router = APIRouter(tags=["operator"])


class StateChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["available", "paused", "offline"]
    reason: str = Field(default="", max_length=100, description="Why the operator pauses (shown in statistics).")


class OperatorMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=2000)
    message_id: str | None = Field(default=None, max_length=64, description="A resent message is stored once.")

    @field_validator("text")
    @classmethod
    def not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("the message is empty")
        return value.strip()


class WrapUp(BaseModel):
    model_config = ConfigDict(extra="forbid")
    disposition: str = Field(min_length=1, max_length=63, description="An intent slug, or 'other'.")
    note: str = Field(default="", max_length=2000)


class TransferTo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    colleague: int | None = Field(default=None, ge=1, le=2**31 - 1, description="An online colleague's user id.")
    skill: str | None = Field(
        default=None, pattern=r"^[a-z0-9_-]{1,48}$", description="Another queue (its skill), in the same language."
    )
    note: str = Field(default="", max_length=2000, description="For whoever takes it; never shown to the citizen.")

    @model_validator(mode="after")
    def somewhere(self) -> TransferTo:
        if self.colleague is None and self.skill is None:
            raise ValueError("name a colleague or a queue to hand the conversation to")
        self.note = self.note.strip()
        return self


class CallbackOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["reached", "no_answer", "given_up"]


def specialists(parts: Parts) -> Specialists:
    if parts.specialists is None:
        raise HTTPException(status_code=503, detail="the specialist queue is not running")
    return parts.specialists


def _conflict(exc: Exception) -> HTTPException:
    return HTTPException(status_code=status.HTTP_409_CONFLICT, detail=str(exc))


@router.get("/api/operator/state")
async def my_state(user: Operator, parts: PartsDep) -> dict[str, Any]:
    """My state, my offer and my conversation, with the queues' live figures."""
    found = specialists(parts)
    snapshot = await to_thread.run_sync(lambda: found.desk.snapshot(user.id))
    return {**snapshot, "queues": await found.figures.get()}


@router.post("/api/operator/state", dependencies=CSRF)
def set_state(change: StateChange, user: Operator, parts: PartsDep) -> dict[str, Any]:
    """Become available, pause (with a reason) or go offline."""
    if change.state == "paused" and not change.reason.strip():
        raise HTTPException(status_code=422, detail="say why you pause")
    try:
        me = specialists(parts).desk.set_state(user.id, OperatorState(change.state), reason=change.reason.strip())
    except Conflict as exc:
        raise _conflict(exc) from None
    return {"state": me.state.value, "reason": me.reason}


@router.post("/api/operator/offers/{conversation_id}/accept", dependencies=CSRF)
async def accept(conversation_id: ConversationId, user: Operator, parts: PartsDep) -> dict[str, Any]:
    """Take the conversation offered to me (409 when it is not, e.g. another specialist has it)."""
    try:
        entry = await specialists(parts).desk.accept(user.id, conversation_id)
    except Conflict as exc:
        raise _conflict(exc) from None
    except NotConfigured as exc:  # the console said so before accept; it waits on for a server that can
        raise HTTPException(status_code=503, detail=f"the call could not be connected: {exc}") from None
    except CannotConnect as exc:
        raise HTTPException(status_code=502, detail=f"the call could not be connected: {exc}") from None
    return {"conversation_id": entry.conversation_id, "kind": entry.kind.value, "state": "connected"}


@router.post("/api/operator/offers/{conversation_id}/more-time", dependencies=CSRF)
def more_time(conversation_id: ConversationId, user: Operator, parts: PartsDep) -> dict[str, float]:
    """Keep the offer for me one offer timeout longer (twice per offer; 409 when it is not mine, gone or used up)."""
    try:
        deadline = specialists(parts).desk.more_time(user.id, conversation_id)
    except Conflict as exc:
        raise _conflict(exc) from None
    return {"deadline": deadline}


def _readable(parts: Parts, user: StaffUser, conversation_id: str) -> bool:
    """Whether the conversation is the user's own (offered, held, just closed); else only an admin may read
    it, masked. Raises 403 for anyone else."""
    me = specialists(parts).queue.store.operator(user.id)
    mine = conversation_id in {me.offer, *me.conversations, *me.wrap_ups}
    if user.role is not Role.ADMIN and not mine:
        raise HTTPException(status_code=403, detail="this conversation is not offered to you or held by you")
    return mine


@router.get("/api/operator/conversations/{conversation_id}")
def conversation(
    conversation_id: ConversationId, user: Operator, parts: PartsDep, lang: Literal["uk", "ru"] = "uk"
) -> dict[str, Any]:
    """What the robot learned: channel, language, path through the tree, what the citizen said, intents."""
    mine = _readable(parts, user, conversation_id)
    trees = parts.dialogue.trees
    with parts.sessions() as session:
        view = context.build(session, conversation_id, trees.get(trees.current_version()), lang)
    if view is None:
        raise HTTPException(status_code=404, detail="no such conversation")
    entry = specialists(parts).queue.store.entry(conversation_id)
    view["phone"] = entry.phone if entry else ""
    view["kind"] = entry.kind.value if entry else None
    return view if mine else privacy_view.masked(view, lang)  # an admin reading someone else's: masked


@router.get("/api/operator/conversations/{conversation_id}/earlier")
def earlier(
    conversation_id: ConversationId, user: Operator, parts: PartsDep, lang: Literal["uk", "ru"] = "uk"
) -> list[dict[str, Any]]:
    """The citizen's earlier conversations (same messenger user or phone number), newest first: mine only."""
    if not _readable(parts, user, conversation_id):
        raise HTTPException(status_code=403, detail="only the specialist it is offered to or held by may read it")
    found = specialists(parts).queue
    entry = found.store.entry(conversation_id)
    trees = parts.dialogue.trees
    with parts.sessions() as session:
        conversation = conversation_log.get(session, conversation_id=conversation_id)
        if conversation is None:
            raise HTTPException(status_code=404, detail="no such conversation")
        tree = trees.get(trees.current_version()).tree
        by_user = not found.is_call(conversation.channel)  # a call's id is the call's, not the caller's
        phone = entry.phone if entry else ""
        return history.earlier(session, conversation, by_user=by_user, phone=phone, tree=tree, lang=lang)


@router.get("/api/operator/canned")
def canned_replies(
    user: Operator,
    parts: PartsDep,
    lang: Literal["uk", "ru"] = "uk",
    skill: Annotated[str, Query(pattern=r"^[a-z0-9_-]{1,48}$")] | None = None,
) -> list[dict[str, Any]]:
    """The admins' ready replies in a conversation's language, those of its queue first."""
    with parts.sessions() as session:
        return canned.for_console(session, lang=lang, skill=skill)


@router.post("/api/operator/conversations/{conversation_id}/notes", status_code=201, dependencies=CSRF)
def note(conversation_id: ConversationId, body: OperatorMessage, user: Operator, parts: PartsDep) -> dict[str, Any]:
    """A private note on a conversation I hold or wrap up: never shown to the citizen."""
    try:
        stored = specialists(parts).desk.note(user.id, conversation_id, body.text, client_id=body.message_id)
    except Conflict as exc:
        raise _conflict(exc) from None
    return context.message_view(stored)


def _recording_sid(parts: Parts, user: StaffUser, conversation_id: str) -> str:
    if not _readable(parts, user, conversation_id):
        raise HTTPException(status_code=403, detail="only the specialist it is offered to or held by may listen")
    with parts.sessions() as session:
        found = call_events.recordings(session, end=utcnow() + timedelta(days=1), conversation_ids=[conversation_id])
    if not found:
        raise HTTPException(status_code=404, detail="there is no voice message (or it is deleted)")
    return found[0].sid


@router.get("/api/operator/conversations/{conversation_id}/recording", response_class=Response)
async def recording(conversation_id: ConversationId, user: Operator, parts: PartsDep) -> Response:
    """The caller's voice message, fetched from where its channel keeps it now (never kept here), for the
    specialist it is theirs."""
    sid = await to_thread.run_sync(_recording_sid, parts, user, conversation_id)  # 403 or 404 come first
    kept = parts.channels.find_part(Recordings)
    if kept is None:
        raise HTTPException(status_code=503, detail="no channel that keeps voice messages is configured here")
    try:
        audio, media_type = await kept.recording(sid)
    except LookupError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    except CannotConnect as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    return Response(audio, media_type=media_type, headers={"Cache-Control": "no-store"})


@router.post("/api/operator/conversations/{conversation_id}/messages", status_code=201, dependencies=CSRF)
def send(conversation_id: ConversationId, message: OperatorMessage, user: Operator, parts: PartsDep) -> dict[str, Any]:
    """Write to the citizen; answered once the message is stored."""
    try:
        stored = specialists(parts).desk.send(user.id, conversation_id, message.text, client_id=message.message_id)
    except Conflict as exc:
        raise _conflict(exc) from None
    return context.message_view(stored)


@router.post("/api/operator/conversations/{conversation_id}/close", dependencies=CSRF)
def close(conversation_id: ConversationId, user: Operator, parts: PartsDep) -> dict[str, str]:
    """End the conversation: the citizen is back with the robot and I wrap up."""
    try:
        specialists(parts).desk.close(user.id, conversation_id)
    except Conflict as exc:
        raise _conflict(exc) from None
    return {"state": "wrap_up"}


@router.get("/api/operator/conversations/{conversation_id}/transfer")
def transfer_options(
    conversation_id: ConversationId, user: Operator, parts: PartsDep, lang: Literal["uk", "ru"] = "uk"
) -> dict[str, Any]:
    """Where a conversation I hold may go: the colleagues on the line (and whether each may take it now) and the
    queues (their skill and title)."""
    try:
        colleagues = specialists(parts).desk.colleagues(user.id, conversation_id)
    except Conflict as exc:
        raise _conflict(exc) from None
    titles = console.skill_titles(parts, lang)
    return {"colleagues": colleagues, "queues": [{"skill": k, "title": v} for k, v in titles.items()]}


@router.post("/api/operator/conversations/{conversation_id}/transfer", dependencies=CSRF)
def transfer(conversation_id: ConversationId, body: TransferTo, user: Operator, parts: PartsDep) -> dict[str, Any]:
    """Hand a conversation I hold to a colleague (offered to them at once) or to another queue, with a note; the
    citizen is told, I wrap up. 409 when it cannot go there now (the colleague is busy, does not take it…)."""
    if body.skill is not None and body.skill not in console.skill_titles(parts, "uk"):
        raise HTTPException(status_code=422, detail=f"there is no queue {body.skill!r}")
    to = Transfer(note=body.note, skill=body.skill, colleague=body.colleague)
    try:
        entry = specialists(parts).desk.transfer(user.id, conversation_id, to)
    except Conflict as exc:
        raise _conflict(exc) from None
    except CannotTransferCall as exc:
        raise HTTPException(status_code=503, detail=str(exc)) from None
    return {"state": entry.state.value, "queue": entry.queue, "operator": entry.operator}


@router.post("/api/operator/conversations/{conversation_id}/wrap-up", dependencies=CSRF)
def wrap_up(conversation_id: ConversationId, body: WrapUp, user: Operator, parts: PartsDep) -> dict[str, str]:
    """What it was about (an intent, or 'other') and a note; then I am available again."""
    try:
        specialists(parts).desk.wrap_up(user.id, conversation_id, disposition=body.disposition, note=body.note)
    except ValueError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except Conflict as exc:
        raise _conflict(exc) from None
    return {"state": "done"}


@router.post("/api/operator/conversations/{conversation_id}/callback-outcome", dependencies=CSRF)
def callback_outcome(
    conversation_id: ConversationId, body: CallbackOutcome, user: Operator, parts: PartsDep
) -> dict[str, Any]:
    """How a callback went: reached, no answer (tried again later) or given up."""
    try:
        entry = specialists(parts).desk.callback_outcome(user.id, conversation_id, body.outcome)
    except Conflict as exc:
        raise _conflict(exc) from None
    return {"state": entry.state.value, "attempts": entry.attempts, "due": entry.due}


@router.get("/api/queues")
async def queues(user: Operator, parts: PartsDep) -> list[dict[str, Any]]:
    """Every queue's live figures."""
    return await specialists(parts).figures.get()


@router.post("/api/queues/rebuild", dependencies=CSRF)
def rebuild(user: Admin, parts: PartsDep) -> dict[str, int]:
    """Put back into Redis every open conversation of the SQL queue log (after Redis lost data)."""
    return {"restored": specialists(parts).queue.rebuild()}


@router.websocket("/api/operator/live")
async def operator_live(websocket: WebSocket) -> None:
    parts: Parts = websocket.app.state.parts
    user = await to_thread.run_sync(lambda: _websocket_user(websocket, parts))
    if user is None or parts.specialists is None or not live.same_origin(websocket, parts.settings.public_url):
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    found = parts.specialists
    await websocket.accept()
    await live.stream(
        websocket,
        lambda: live.operator_updates(found.desk, found.figures, found.live_redis, user.id),
        heard=lambda frame: found.desk.heard(user.id, frame),  # typing, seen
    )


@router.websocket("/api/operator/alerts")
async def operator_alerts(websocket: WebSocket) -> None:
    """My state and my offer, live, for every staff page I have open (it rings when an offer comes)."""
    parts: Parts = websocket.app.state.parts
    user = await to_thread.run_sync(lambda: _websocket_user(websocket, parts))
    if user is None or parts.specialists is None or not live.same_origin(websocket, parts.settings.public_url):
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    found = parts.specialists
    lang = "ru" if websocket.query_params.get("lang") == "ru" else "uk"
    titles = console.skill_titles(parts, lang)
    await websocket.accept()
    await live.stream(
        websocket, lambda: live.alerts(found.desk, found.live_redis, user.id, console.queue_title(titles, lang))
    )


def _websocket_user(websocket: WebSocket, parts: Parts) -> StaffUser | None:
    """The logged-in specialist of the session cookie, or None."""
    user = staff_of(websocket, parts)
    return user if user is not None and user.role in SPECIALISTS else None


# The supervisor's view (its page, wallboard, silent view and whisper) and the search over conversations come in
# with the operator API.
router.include_router(supervisor.router)
router.include_router(search_pages.router)
