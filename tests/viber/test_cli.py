"""`hotline viber set-webhook` against the fake Viber API."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from hotline.cli import app
from tests.fakes.viber_api import FakeViberApi
from tests.viber.conftest import TOKEN


def test_set_webhook_registers_our_url_asking_for_names_and_photos(
    fake_viber: FakeViberApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_VIBER_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("HOTLINE_VIBER_API_URL", fake_viber.url)
    monkeypatch.setenv("HOTLINE_PUBLIC_URL", "https://hotline.example.gov.ua/")
    result = CliRunner().invoke(app, ["viber", "set-webhook"])
    assert result.exit_code == 0, result.output
    assert "https://hotline.example.gov.ua/viber/webhook" in result.output
    call = [r for r in fake_viber.delivered if r.path.endswith("/pa/set_webhook")][-1]
    assert call.token == TOKEN
    assert call.body["url"] == "https://hotline.example.gov.ua/viber/webhook"
    assert call.body["send_name"] is True and call.body["send_photo"] is True
    assert {"conversation_started", "delivered", "seen", "failed", "unsubscribed"} <= set(call.body["event_types"])


def test_set_webhook_says_what_went_wrong(fake_viber: FakeViberApi, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOTLINE_VIBER_AUTH_TOKEN", "")
    result = CliRunner().invoke(app, ["viber", "set-webhook"])
    assert result.exit_code == 2 and "HOTLINE_VIBER_AUTH_TOKEN" in result.output
    monkeypatch.setenv("HOTLINE_VIBER_AUTH_TOKEN", TOKEN)
    monkeypatch.setenv("HOTLINE_VIBER_API_URL", fake_viber.url)
    fake_viber.refuse_next(1, viber_status=1)
    result = CliRunner().invoke(app, ["viber", "set-webhook", "--url", "http://127.0.0.1/viber/webhook"])
    assert result.exit_code == 1 and "did not take the webhook" in result.output
    assert "https://" in result.output  # the warning about a plain-http URL
