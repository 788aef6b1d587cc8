"""Voice messages are fetched from Twilio only when the specialist plays one (never kept here), only by the
specialist it is theirs, and not once Twilio no longer keeps it."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from hotline import users
from hotline.app import create_app
from hotline.db import transaction, utcnow
from hotline.settings import Settings
from tests.fakes.twilio_api import FakeTwilioApi
from tests.helpers import staff_login
from tests.privacy import seed

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ACCOUNT, TOKEN, PASSWORD = "AC" + "3" * 32, "twilio-token", "s3cret-pass"
AUDIO = b"ID3\x03\x00 a voice message"


@pytest.fixture
def twilio() -> Iterator[FakeTwilioApi]:
    fake = FakeTwilioApi(ACCOUNT, TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def app(settings: Settings, twilio: FakeTwilioApi) -> Iterator[TestClient]:
    configured = settings.model_copy(
        update={
            "twilio_account_sid": ACCOUNT,
            "twilio_auth_token": SecretStr(TOKEN),
            "twilio_api_url": twilio.url,
            "office_hours": "mon-sun 00:00-24:00",
            "queue_tick_seconds": 0.05,
        }
    )
    with TestClient(create_app(configured)) as client:
        yield client


def _staff(app: TestClient, username: str, role: users.Role) -> tuple[TestClient, str]:
    with transaction(app.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        users.create(session, username=username, password=PASSWORD, role=role)
    client = TestClient(app.app)
    assert staff_login(client, username, PASSWORD).status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    return client, token.group(1)


@SQLITE_ONLY
def test_the_specialist_plays_the_voice_message_fetched_from_twilio_then(
    app: TestClient, twilio: FakeTwilioApi
) -> None:
    parts = app.app.state.parts  # type: ignore[attr-defined]
    traces = seed.citizen(parts.sessions, at=utcnow() - timedelta(minutes=5), user_id=seed.owner(parts.sessions))
    twilio.recordings[traces.recording_sid] = AUDIO
    parts.specialists.queue.request_callback(traces.conversation_id, seed.PHONE, skill="subsidies")
    olena, token = _staff(app, "olena", users.Role.OPERATOR)
    taras, _ = _staff(app, "taras", users.Role.OPERATOR)
    admin, _ = _staff(app, "anna", users.Role.ADMIN)
    assert olena.post("/api/operator/state", json={"state": "available"}, headers={"X-CSRF-Token": token}).is_success
    deadline = time.monotonic() + 20
    while (offer := olena.get("/api/operator/state").json().get("offer")) is None:
        assert time.monotonic() < deadline, "no offer"
        time.sleep(0.05)
    assert offer["conversation_id"] == traces.conversation_id
    assert twilio.recording_requests == []  # nothing fetched until someone plays it

    path = f"/api/operator/conversations/{traces.conversation_id}"
    assert olena.get(path).json()["voice_message"]["url"] == f"{path}/recording"
    played = olena.get(f"{path}/recording")
    assert played.status_code == 200 and played.content == AUDIO and played.headers["content-type"] == "audio/mpeg"
    assert played.headers["cache-control"] == "no-store"
    assert twilio.recording_requests == [("GET", traces.recording_sid)]
    assert taras.get(f"{path}/recording").status_code == 403  # not theirs
    assert admin.get(f"{path}/recording").status_code == 403  # an admin reads it masked, never listens
    assert admin.get(path).json()["voice_message"]["url"] is None

    del twilio.recordings[traces.recording_sid]  # deleted at Twilio (e.g. by hand in its console)
    assert olena.get(f"{path}/recording").status_code == 404
