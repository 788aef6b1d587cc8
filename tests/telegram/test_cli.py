"""`hotline telegram set-webhook` against the fake Bot API."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from hotline.cli import app as hotline
from tests.fakes.telegram_api import FakeTelegramApi
from tests.telegram.conftest import BOT_TOKEN, SECRET


def test_set_webhook_sends_the_secret_and_the_updates_we_handle(
    fake_telegram: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("HOTLINE_TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("HOTLINE_TELEGRAM_API_URL", fake_telegram.url)
    monkeypatch.setenv("HOTLINE_PUBLIC_URL", "https://hotline.example.gov.ua/")
    result = CliRunner().invoke(hotline, ["telegram", "set-webhook"])
    assert result.exit_code == 0, result.output
    (call,) = fake_telegram.calls("setWebhook")
    assert call.token == BOT_TOKEN
    assert call.body["url"] == "https://hotline.example.gov.ua/telegram/webhook"
    assert call.body["secret_token"] == SECRET
    assert call.body["allowed_updates"] == ["message", "edited_message", "callback_query", "my_chat_member"]
    assert "https://hotline.example.gov.ua/telegram/webhook" in result.output and SECRET not in result.output


def test_set_webhook_says_what_went_wrong(fake_telegram: FakeTelegramApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_TELEGRAM_BOT_TOKEN", "")
    result = CliRunner().invoke(hotline, ["telegram", "set-webhook"])
    assert result.exit_code == 2 and "HOTLINE_TELEGRAM_BOT_TOKEN" in result.output
    monkeypatch.setenv("HOTLINE_TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("HOTLINE_TELEGRAM_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("HOTLINE_TELEGRAM_API_URL", fake_telegram.url)
    fake_telegram.refuse_next(1, code=400, description="Bad Request: bad webhook: HTTPS url must be provided")
    result = CliRunner().invoke(hotline, ["telegram", "set-webhook", "--url", "http://127.0.0.1/telegram/webhook"])
    assert result.exit_code == 1 and "HTTPS url must be provided" in result.output
    assert "https://" in result.output  # the warning about a plain-http URL
    monkeypatch.setenv("HOTLINE_TELEGRAM_WEBHOOK_SECRET", "no spaces allowed")
    result = CliRunner().invoke(hotline, ["telegram", "set-webhook"])
    assert result.exit_code != 0 and "1 to 256 of A-Z" in str(result.exception) + result.output
