"""The channel registry: which channels are on (HOTLINE_CHANNELS), what staff pages read from it, and an
app with some channels off answering only for those that are on."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from channels import builtin
from channels.registry import Channel, Channels, Controls, Delivery, UnknownChannel
from hotline.app import create_app
from hotline.settings import Settings


def test_the_built_in_channels_declare_themselves() -> None:
    found = Channels.chosen(builtin.channels(), "")
    assert found.names() == ["phone", "viber", "telegram", "web"]
    assert all(isinstance(c, Channel) for c in found.channels)
    assert found.labels("ru") == {"phone": "Телефон", "viber": "Viber", "telegram": "Telegram", "web": "Веб-чат"}
    assert found.label("fax", "uk") == "fax"  # a name only old statistics know
    phone, viber = found.find("phone"), found.find("viber")
    assert phone is not None and phone.capabilities.controls is Controls.KEYS
    assert viber is not None and viber.capabilities.delivery is Delivery.PUSH and viber.capabilities.text_limit == 7000
    assert list(found.pushing()) == ["viber", "telegram"]
    assert "/viber/webhook" in found.signed_paths() and "/twilio/voice" in found.signed_paths()


def test_hotline_channels_chooses_and_refuses_names_it_does_not_know() -> None:
    assert Channels.chosen(builtin.channels(), " web , viber").names() == ["web", "viber"]
    with pytest.raises(UnknownChannel, match="fax"):
        Channels.chosen(builtin.channels(), "web,fax")
    with pytest.raises(ValueError, match="share a name"):
        Channels([*builtin.channels(), *builtin.channels()])


def test_an_app_with_only_the_web_chat_on(redis_url: str, tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'h.db'}",
        redis_url=redis_url,
        data_dir=tmp_path / "var",
        redis_prefix="test-web-only",
        channels="web",
    )
    with TestClient(create_app(settings)) as client:
        assert client.post("/api/chat/sessions", json={"lang": "uk"}).status_code == 201
        assert client.post("/viber/webhook", content=b"{}").status_code == 404
        assert client.post("/twilio/voice", data={"CallSid": "CA" + "0" * 32}).status_code == 404
        ready = client.get("/readyz").json()
        assert ready["ready"] and "speech" not in ready["checks"]  # the phone's own check is off with it
