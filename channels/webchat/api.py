"""Web chat JSON API: sessions and messages; every bot reply carries `intent` and `handoff`."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated, Any, Literal, TypeVar

from anyio import to_thread
from fastapi import APIRouter, HTTPException, Path, WebSocket, status
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from channels.chat import guard, texts
from channels.chat import service as chat_records
from channels.chat.service import AbuseAction, Citizen
from channels.chat.wording import written
from channels.dialogue import TurnResult, UnknownConversation
from hotline import conversation_log
from hotline.db import UNREACHABLE, RowIdOrZero, transaction
from hotline.deps import Parts, PartsDep
from hotline.rate_limits import CHAT, CHAT_MESSAGES, NEW_CHATS, limited, path_param
from intents.codec import handoff_to_dict
from intents.engine import T_LANG, T_MENU, Input, InputKind, Reply
from specialist_queue import follow, live, presence
from specialist_queue.service import SpecialistQueue

MAX_TEXT = 2000
CHANNEL = "web"
T = TypeVar("T")
SESSION_ID = re.compile(r"^[0-9a-f]{32}$")

MAX_BODY = 32 * 1024  # a message is at most 2,000 characters, 12 KB even written as JSON escapes
router = APIRouter(prefix="/api/chat", tags=["web chat"], max_body_size=MAX_BODY)


class NewSession(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lang: Literal["uk", "ru"] | None = Field(default=None, description="Without it the first reply asks.")


class Message(BaseModel):
    """Free text typed by the citizen, or the id of a button they pressed (exactly one of them)."""

    model_config = ConfigDict(extra="forbid")
    text: str | None = Field(default=None, max_length=MAX_TEXT)
    button: str | None = Field(default=None, max_length=100)
    message_id: str | None = Field(
        default=None, max_length=64, description="Optional: a resent message with the same id is answered once."
    )

    @field_validator("text")
    @classmethod
    def not_blank(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("the message is empty")
        return value

    @model_validator(mode="after")
    def one_of(self) -> Message:
        if (self.text is None) == (self.button is None):
            raise ValueError("send either 'text' or 'button'")
        return self


class Button(BaseModel):
    id: str
    label: str
    key: str


class HandoffState(BaseModel):
    state: Literal["waiting"]
    queue: str
    priority: str
    reason: str


class BotReply(BaseModel):
    text: str = Field(description="The short form (as short as the phone says it, without its keys).")
    text_long: str = Field(description="The full answer for reading.")
    buttons: list[Button]
    intent: str | None
    handoff: HandoffState | None


class SessionCreated(BaseModel):
    session_id: str
    lang: str | None
    replies: list[BotReply]


class Replies(BaseModel):
    lang: str | None
    replies: list[BotReply]
    specialist: bool = Field(
        default=False,
        description="True while a specialist holds the conversation: the text went to them (stored before "
        "this answer) and the robot stays silent; their answers come over the live WebSocket.",
    )
    relayed: bool = Field(
        default=False,
        description="True when the text went to a specialist: the one who holds the conversation, or the one "
        "awaited (who reads it on accepting); the robot answers only what it surely knows.",
    )
    message_id: int | None = Field(
        default=None,
        description="The stored message's id when it went to the specialist holding the conversation: the live "
        "WebSocket's `seen` frames (`upto`) say up to which of them the specialist has read.",
    )


def _replies(result: TurnResult) -> list[BotReply]:
    return [_reply(r) for r in result.replies]


def _reply(reply: Reply) -> BotReply:
    handoff = handoff_to_dict(reply.handoff)
    return BotReply(
        text=written(reply, short=True),
        text_long=written(reply),
        buttons=[Button(id=o.target, label=o.label, key=o.key) for o in reply.options],
        intent=reply.intent,
        handoff=HandoffState(state="waiting", **handoff) if handoff else None,
    )


@router.post(
    "/sessions",
    status_code=201,
    response_model=SessionCreated,
    dependencies=[limited(CHAT), limited(NEW_CHATS)],
    responses={429: {"description": "Too many new chats from this address: wait `Retry-After` seconds"}},
)
def create_session(parts: PartsDep, body: NewSession | None = None) -> SessionCreated:
    """Start a chat; the first replies greet the citizen (or ask for the language)."""
    result = parts.dialogue.start(channel=CHANNEL, lang=body.lang if body else None)
    return SessionCreated(session_id=result.conversation_id, lang=result.lang, replies=_replies(result))


SessionId = Annotated[str, Path(max_length=64)]


@router.post(
    "/sessions/{session_id}/messages",
    response_model=Replies,
    dependencies=[limited(CHAT), limited(CHAT_MESSAGES, path_param("session_id"))],
    responses={
        404: {"description": "No such chat session"},
        409: {"description": "The conversation is busy with other messages: send again"},
        429: {"description": "Too many messages: wait `Retry-After` seconds"},
    },
)
def post_message(session_id: SessionId, message: Message, parts: PartsDep) -> Replies:
    """The citizen writes or presses a button; the robot answers. What every chat channel does first
    (`channels.chat.guard`): a blocked citizen is told so, an abusive message is masked and warned
    about (then blocked), a rating after a specialist closed the conversation is kept."""
    if not SESSION_ID.match(session_id):
        raise HTTPException(status_code=404, detail="no such chat session")
    citizen = Citizen(CHANNEL, session_id)
    # While the database is away the robot still answers from Redis (docs/ARCHITECTURE.md): the language
    # then comes with the turn, and the block list and the abuse screen wait for the database.
    lang = _unless_unreachable(lambda: _lang(parts, session_id), None)
    if _unless_unreachable(lambda: guard.blocked(parts.sessions, citizen), False):
        return Replies(lang=lang, replies=[_note(texts.say("blocked", lang))])
    text = (message.text or "").strip()
    held = parts.specialists.queue.held(session_id) if parts.specialists is not None else None
    if message.text is not None:
        screened = _unless_unreachable(
            lambda: guard.screen(
                parts.sessions,
                citizen=citizen,
                conversation_id=session_id,
                message_id=message.message_id or uuid.uuid4().hex,
                text=text,
                lang=lang,
            ),
            None,
        )
        if screened is not None and screened.action is not None:
            if held is not None and parts.specialists is not None:  # the specialist reads it masked
                parts.specialists.queue.citizen_message(session_id, screened.text, client_id=message.message_id)
            warned = screened.action is AbuseAction.WARNED
            return Replies(lang=lang, replies=[_note(texts.say("abuse_warning" if warned else "blocked", lang))])
    switching = message.button is not None and message.button.startswith(T_LANG)
    if held is not None and parts.specialists is not None:
        if switching:  # the robot's language changes for later; the specialist goes on talking
            result = _turn(parts, session_id, message)
            return Replies(lang=result.lang, replies=[], specialist=True)
        if message.text is None:
            raise HTTPException(status_code=409, detail="a specialist is talking with you: write your message")
        stored = parts.specialists.queue.citizen_message(session_id, text, client_id=message.message_id)
        return Replies(lang=held.lang, replies=[], specialist=True, relayed=True, message_id=stored.id)
    if message.button is not None and (rated := _rating(parts, citizen, message)) is not None:
        return rated
    result = _turn(parts, session_id, message)
    return Replies(lang=result.lang, replies=_replies(result), relayed=bool(result.relayed))


def _turn(parts: Parts, session_id: str, message: Message) -> TurnResult:
    if message.button is not None:
        event = Input(InputKind.BUTTON, value=message.button)
    else:
        event = Input(InputKind.TEXT, value=(message.text or "").strip())
    turn = f"web:{message.message_id}" if message.message_id else None
    try:
        return parts.dialogue.handle(session_id, event, turn=turn)
    except UnknownConversation:
        raise HTTPException(status_code=404, detail="no such chat session") from None


@router.websocket("/sessions/{session_id}/live", dependencies=[limited(CHAT)])
async def live_updates(websocket: WebSocket, session_id: str, after: RowIdOrZero = 0) -> None:
    """After a handoff: the place in the queue and the estimated wait, the specialist joining and
    leaving, and the specialist's messages (those with an id above `after`), as JSON frames."""
    parts: Parts = websocket.app.state.parts
    found = parts.specialists
    if (
        found is None
        or not SESSION_ID.match(session_id)
        or not await to_thread.run_sync(lambda: _is_web_chat(parts, session_id))
    ):
        await websocket.close(code=status.WS_1008_POLICY_VIOLATION)
        return
    await websocket.accept()
    heard = partial(_heard, found.queue, session_id)  # the citizen typing, or having seen the specialist's words
    await live.stream(websocket, lambda: _frames(found.follow, session_id, after), heard=heard)


def _heard(queue: SpecialistQueue, session_id: str, frame: str) -> None:
    """`{"type": "typing"}` or `{"type": "seen", "upto": id}` from the citizen's page, while a specialist holds
    the chat (Redis only, `specialist_queue.presence`); anything else is ignored."""
    found = presence.report(frame)
    if found is None or found.conversation_id is not None or queue.held_by(session_id) is None:
        return
    if found.kind == "typing":
        queue.presence.typing(session_id, "citizen")
    else:
        queue.citizen_seen(session_id, found.upto)


async def _frames(follower: follow.Follow, session_id: str, after: int) -> AsyncIterator[dict[str, Any]]:
    async for update in follower.updates(session_id, after=after):
        yield follow.view(update)


def _note(text: str) -> BotReply:
    return BotReply(text=text, text_long=text, buttons=[], intent=None, handoff=None)


def _unless_unreachable(read: Callable[[], T], otherwise: T) -> T:
    try:
        return read()
    except UNREACHABLE:
        return otherwise


def _lang(parts: Parts, session_id: str) -> str | None:
    """The chat's language; None (both languages) while the database is unreachable: the chat goes on."""
    try:
        with parts.sessions() as session:
            found = conversation_log.get(session, conversation_id=session_id)
    except UNREACHABLE:
        return None
    if found is None and parts.dialogue.channel_of(session_id) is None:  # else its row is on its way (an outage)
        raise HTTPException(status_code=404, detail="no such chat session")
    return found.lang if found is not None else None


def _rating(parts: Parts, citizen: Citizen, message: Message) -> Replies | None:
    """A rating button after a specialist closed the conversation: kept (the first one stands), thanked, and
    the menu again; None when it is no rating (or there was nothing to rate)."""
    score = guard.score(message.button or "")
    if score is None or parts.specialists is None or not parts.specialists.follow.closings(citizen.user_id):
        return None
    with transaction(parts.sessions) as session:
        chat_records.rate(session, citizen=citizen, conversation_id=citizen.user_id, score=score)
    turn = f"web:{message.message_id}" if message.message_id else None
    menu = parts.dialogue.handle(citizen.user_id, Input(InputKind.BUTTON, value=T_MENU), turn=turn)
    return Replies(lang=menu.lang, replies=[_note(texts.say("rated", menu.lang)), *_replies(menu)])


def _is_web_chat(parts: Parts, session_id: str) -> bool:
    try:
        with parts.sessions() as session:
            conversation = conversation_log.get(session, conversation_id=session_id)
    except UNREACHABLE:
        conversation = None
    if conversation is None:  # the database is away, or the row of a chat started meanwhile is on its way
        return parts.dialogue.channel_of(session_id) == CHANNEL
    return conversation.channel == CHANNEL
