"""The Telegram channel as the app builds it once in its lifespan, and closes at shutdown."""

from __future__ import annotations

import logging
from dataclasses import dataclass

import anyio
import httpx
import redis.asyncio as aioredis
from redis import Redis
from sqlalchemy.orm import Session, sessionmaker

from channels.chat import texts as chat_texts
from channels.chat.kept import Kept, Replaying
from channels.chat.outbox import Delivery
from channels.dialogue import Dialogue
from channels.telegram import keys, render, wire
from channels.telegram.client import BotApi, Retry, TelegramError, make_http
from channels.telegram.flows import TelegramFlows
from channels.telegram.sender import Rates, Recorder, Sender
from channels.telegram.voice import MAX_SECONDS, Transcriber, Unreadable
from channels.telegram.wire import Call, Incoming, Kind
from hotline.db import UNREACHABLE
from hotline.leases import Holding, Lease
from hotline.redis_conn import RedisHandle
from hotline.settings import Settings
from ivr.speech.listening import Heard
from ivr.speech.models import load
from specialist_queue.follow import Update
from specialist_queue.presence import Typing
from specialist_queue.service import SpecialistQueue

log = logging.getLogger(__name__)

HANDLING_SECONDS = 120  # a claim not confirmed in this time (the worker died) lets Telegram's retry through
DONE_SECONDS = 2 * 24 * 3600  # Telegram gives up on an update after a day
REPLAY_SECONDS = 2.0
TOLD_SECONDS = 600  # a citizen is told about a technical break once in this long, not on every message
TOLD = (Kind.START, Kind.TEXT, Kind.BUTTON, Kind.VOICE, Kind.OTHER)  # what a citizen waits for an answer to


@dataclass
class TelegramLine:
    secret: str
    prefix: str
    flows: TelegramFlows
    api: BotApi
    sender: Sender
    http: httpx.AsyncClient
    redis: aioredis.Redis
    kept: Kept  # updates kept while the database is unreachable (`channels.chat.kept`)
    client: Redis
    transcriber: Transcriber | None = None
    replaying: Replaying | None = None  # the kept callbacks, handed back once the database is back, on one node

    async def claim(self, update_id: int) -> bool:
        """True for the first delivery of an update (False: handled, or being handled, already)."""
        return bool(await self.redis.set(keys.update(self.prefix, update_id), "handling", nx=True, ex=HANDLING_SECONDS))

    async def release(self, update_id: int) -> None:
        await self.redis.delete(keys.update(self.prefix, update_id))

    async def take(self, body: bytes, incoming: Incoming) -> list[Call]:
        """Handle an update (from Redis alone while the database is unreachable: the robot answers, a person is asked
        for), or keep it when it needs the database (and while one of the citizen's messages waits: their messages
        are answered in the order they came); then Telegram gets a 200 and the citizen one polite word."""
        if not await anyio.to_thread.run_sync(self.kept.holds, citizen(incoming)):  # asks Redis only while some wait
            try:
                return await self.handle(incoming)
            except UNREACHABLE:
                log.warning("the database is unreachable: Telegram update %d kept for later", incoming.update_id)
        calls = await anyio.to_thread.run_sync(self._keep, body, incoming)
        await self.redis.set(keys.update(self.prefix, incoming.update_id), "done", ex=DONE_SECONDS)
        return calls

    def _keep(self, body: bytes, incoming: Incoming) -> list[Call]:
        self.kept.keep(body, citizen(incoming))
        chat_id = incoming.chat_id
        if chat_id is None or incoming.kind not in TOLD:
            return []
        turn = f"tg:{incoming.update_id}"
        calls = [render.answer_button(turn, chat_id, incoming.callback_id)] if incoming.callback_id else []
        if self.client.set(keys.of(self.prefix).break_told(chat_id), "1", nx=True, ex=TOLD_SECONDS):
            said = chat_texts.say("technical_break", incoming.lang)
            calls.append(render.plain(said, chat_id=chat_id, turn=f"{turn}:break"))
        return calls

    async def replay(self, _: Holding) -> None:
        """The kept updates, oldest first, now that the database may be back (it stops while it is not)."""
        if await anyio.to_thread.run_sync(self.flows.behind_pending_log):
            return
        while (body := await anyio.to_thread.run_sync(self.kept.first)) is not None:
            incoming = wire.parse(body)
            try:
                calls = await self.handle(incoming) if incoming is not None else []
            except UNREACHABLE:
                return  # still away: the next round tries again
            await anyio.to_thread.run_sync(self.kept.done, citizen(incoming) if incoming is not None else None)
            if calls:
                await self.send(calls)

    async def handle(self, incoming: Incoming) -> list[Call]:
        """The calls that answer one update (the turn is taken, and the claim made lasting)."""
        calls = await self._voice_refused(incoming) if incoming.kind is Kind.VOICE else None
        if calls is None:
            heard = await self._hear(incoming) if incoming.kind is Kind.VOICE else None
            calls = await anyio.to_thread.run_sync(self.flows.handle, incoming, heard)
        await self.redis.set(keys.update(self.prefix, incoming.update_id), "done", ex=DONE_SECONDS)
        return calls

    async def send(self, calls: list[Call]) -> list[Delivery]:
        return await self.sender.deliver(calls)

    async def push(self, conversation_id: str, update: Update) -> list[Delivery]:
        """The specialists' side of one of our conversations, sent to the citizen (once per update); the
        specialist typing shows as Telegram's "typing…" (a chat action: not a message, never in the outbox)."""
        if isinstance(update, Typing):
            found = await anyio.to_thread.run_sync(self.flows.chat_of, conversation_id)
            if found is not None:
                try:
                    await self.api.call("sendChatAction", {"chat_id": found[0], "action": "typing"})
                except TelegramError as exc:
                    log.info("Telegram did not show the specialist typing: %s", exc)
            return []
        calls = await anyio.to_thread.run_sync(self.flows.pushed, conversation_id, update)
        return await self.send(calls) if calls else []

    async def _voice_refused(self, incoming: Incoming) -> list[Call] | None:
        if self.transcriber is not None and incoming.seconds > MAX_SECONDS:
            return await anyio.to_thread.run_sync(self.flows.voice_refused, incoming, f"longer than {MAX_SECONDS} s")
        return None

    async def _hear(self, incoming: Incoming) -> Heard | None:
        """What the voice message says (None without speech recognition, or when it cannot be fetched)."""
        if self.transcriber is None or incoming.file_id is None:
            return None
        try:
            audio = await self.api.file(incoming.file_id)
            lang = await anyio.to_thread.run_sync(self.flows.lang_of, incoming.chat_id or 0, incoming.lang)
            return await anyio.to_thread.run_sync(self.transcriber.hear, audio, lang)
        except (TelegramError, Unreadable) as exc:
            log.warning("a Telegram voice message was not heard: %s", exc)
            return Heard()

    async def aclose(self) -> None:
        if self.replaying is not None:
            await self.replaying.aclose()
        await self.http.aclose()
        await self.redis.aclose()


def citizen(incoming: Incoming) -> str | None:
    """Whose messages a kept update holds back: the chat of what a citizen wrote or pressed; nobody's for a change of
    membership or an update we ignore (their order does not matter)."""
    return str(incoming.chat_id) if incoming.chat_id is not None and incoming.kind in TOLD else None


def api_for(settings: Settings, http: httpx.AsyncClient, *, rates: Rates | None = None) -> BotApi:
    """The Bot API as the settings say; with `rates`, a 429 holds every chat's messages (`Rates.hold`)."""
    retry = Retry(attempts=settings.telegram_send_attempts, first_delay=settings.telegram_retry_seconds)
    token = settings.telegram_bot_token.get_secret_value()
    limited = rates.hold if rates is not None else None
    return BotApi(http, api_url=settings.telegram_api_url, token=token, retry=retry, limited=limited)


def open_line(
    settings: Settings,
    *,
    redis: RedisHandle,
    sessions: sessionmaker[Session],
    dialogue: Dialogue,
    queue: SpecialistQueue | None = None,
) -> TelegramLine:
    """Everything the webhook and the sender share; call it from the running event loop (the lifespan)."""
    transcriber = None
    if settings.asr == "vosk":  # the phone line's models: loaded once per process, shared
        models = load({"uk": settings.vosk_model_path_uk, "ru": settings.vosk_model_path_ru})
        transcriber = Transcriber(models) if models.loaded else None
    flows = TelegramFlows(
        dialogue=dialogue,
        sessions=sessions,
        redis_client=redis.client,
        keys=keys.of(settings.redis_prefix),
        ttl_seconds=settings.conversation_ttl_seconds,
        hears_voice=transcriber is not None,
        queue=queue,
    )
    prefix = settings.redis_prefix
    http = make_http(settings.telegram_timeout_seconds)
    async_redis = redis.async_client()
    rates = Rates(async_redis, prefix)
    api = api_for(settings, http, rates=rates)
    line = TelegramLine(
        secret=settings.telegram_webhook_secret.get_secret_value(),
        prefix=settings.redis_prefix,
        flows=flows,
        api=api,
        sender=Sender(api, async_redis, prefix=prefix, rates=rates, record=recorder(flows)),
        http=http,
        redis=async_redis,
        kept=Kept(redis.client, keys.of(prefix).kept()),
        client=redis.client,
        transcriber=transcriber,
    )
    lease = Lease(redis.client, "telegram-kept", prefix=prefix, ttl=settings.lease_seconds)
    line.replaying = Replaying(line.kept, lease, line.replay, every=REPLAY_SECONDS, name="telegram")
    return line


def recorder(flows: TelegramFlows) -> Recorder:
    """Send outcomes written down as the flows write updates (in a thread: SQL blocks)."""

    async def record(outcome: str, chat_id: int, detail: str) -> None:
        await anyio.to_thread.run_sync(flows.record, None, chat_id, outcome, detail)

    return record
