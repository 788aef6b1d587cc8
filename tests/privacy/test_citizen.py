"""The citizen's rights through the admin pages: find one citizen by phone, messenger id or case, export
what is kept as a readable file, erase it (voice messages at Twilio too; a messenger's subscriptions and
announcements too), each audited; retention periods."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from hotline import conversation_log, users
from hotline.admin.models import AuditEntry
from hotline.app import create_app
from hotline.db import transaction, utcnow
from hotline.settings import Settings
from privacy import retention
from selfservice.models import Announcement, Delivery, Subscription, Topic
from tests.fakes.twilio_api import FakeTwilioApi
from tests.helpers import chat, staff_login
from tests.privacy import seed

SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
ACCOUNT, TOKEN, PASSWORD = "AC" + "2" * 32, "twilio-token", "s3cret-pass"


@pytest.fixture
def twilio() -> Iterator[FakeTwilioApi]:
    fake = FakeTwilioApi(ACCOUNT, TOKEN).start()
    yield fake
    fake.stop()


@pytest.fixture
def admin(settings: Settings, twilio: FakeTwilioApi) -> Iterator[tuple[TestClient, str]]:
    configured = settings.model_copy(
        update={"twilio_account_sid": ACCOUNT, "twilio_auth_token": SecretStr(TOKEN), "twilio_api_url": twilio.url}
    )
    with TestClient(create_app(configured)) as client:
        with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
            users.create(session, username="anna", password=PASSWORD, role=users.Role.ADMIN)
        assert staff_login(client, "anna", PASSWORD).status_code == 303
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/admin/privacy").text)
        assert token
        yield client, token.group(1)


@SQLITE_ONLY
def test_find_export_and_erase_one_citizen(admin: tuple[TestClient, str], twilio: FakeTwilioApi) -> None:
    client, token = admin
    sessions = client.app.state.parts.sessions  # type: ignore[attr-defined]
    operator = seed.owner(sessions)
    mine = seed.citizen(sessions, at=utcnow() - timedelta(days=3), user_id=operator)
    other = seed.citizen(sessions, at=utcnow() - timedelta(days=3), user_id=operator, phone="+380671112233")
    twilio.recordings.update({mine.recording_sid: b"ID3", other.recording_sid: b"ID3"})

    found = client.post("/admin/privacy/citizen", data={"phone": "050 123 45 67", "csrf_token": token})
    assert found.status_code == 200 and mine.conversation_id in found.text and other.conversation_id not in found.text
    assert "розмов — 1, справ — 1, записів — 1" in found.text
    by_case = client.post("/admin/privacy/citizen", data={"case": f"C-{mine.case_id:06d}", "csrf_token": token})
    assert mine.conversation_id in by_case.text

    exported = client.post(
        "/admin/privacy/citizen/export", data={"kind": "phone", "value": seed.PHONE, "csrf_token": token}
    )
    assert (
        exported.headers["content-type"].startswith("text/plain")
        and "attachment" in exported.headers["content-disposition"]
    )
    assert (
        seed.SAID in exported.text and f"C-{mine.case_id:06d}" in exported.text and mine.recording_sid in exported.text
    )

    form = {"kind": "phone", "value": seed.PHONE, "csrf_token": token}
    assert client.post("/admin/privacy/citizen/erase", data={**form, "reason": "бо"}).status_code == 400
    erased = client.post(
        "/admin/privacy/citizen/erase", data={**form, "reason": "заява громадянина вх. № 77"}, follow_redirects=False
    )
    assert erased.status_code == 303
    assert set(twilio.recordings) == {other.recording_sid}  # deleted at Twilio through its API
    again = client.post("/admin/privacy/citizen", data={"phone": seed.PHONE, "csrf_token": token})
    assert "розмов — 0, справ — 0, записів — 0" in again.text
    left = client.post("/admin/privacy/citizen", data={"phone": "+380671112233", "csrf_token": token})
    assert "розмов — 1, справ — 1, записів — 1" in left.text

    with sessions() as session:
        entries = {e.action: e for e in session.scalars(select(AuditEntry).where(AuditEntry.action.like("privacy.%")))}
    assert entries["privacy.erase"].detail["reason"] == "заява громадянина вх. № 77"
    assert entries["privacy.erase"].detail["cases"] == 1 and entries["privacy.export"].detail["conversations"] == 1
    assert "501234567" not in entries["privacy.erase"].target + entries["privacy.export"].target


def _subscriber(client: TestClient, chat_id: str, other: str) -> None:
    """Two Telegram citizens subscribed to a topic, each sent one announcement (in their language)."""
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        topic = Topic(slug=f"t_{chat_id}", title_uk="Строки виплат", title_ru="Сроки выплат")
        session.add(topic)
        session.flush()
        sent = Announcement(topic_id=topic.id, text_uk="Виплати з 5 числа.", text_ru="Выплаты с 5 числа.",
                            state="done", send_at=utcnow())  # fmt: skip
        session.add(sent)
        session.flush()
        for who, lang in ((chat_id, "uk"), (other, "ru")):
            session.add(Subscription(channel="telegram", recipient=who, topic_id=topic.id, lang=lang))
            session.add(Delivery(announcement_id=sent.id, channel="telegram", recipient=who, lang=lang, state="sent"))


def test_a_messenger_citizens_subscriptions_and_announcements_are_exported_and_erased(
    admin: tuple[TestClient, str],
) -> None:
    client, token = admin
    sessions = client.app.state.parts.sessions  # type: ignore[attr-defined]
    chat_id, other = "7350001234", "7350009999"
    _subscriber(client, chat_id, other)

    found = client.post("/admin/privacy/citizen", data={"messenger": chat_id, "csrf_token": token})
    assert found.status_code == 200 and "підписок — 1, розсилок — 1" in found.text
    form = {"kind": "user", "value": chat_id, "csrf_token": token}
    exported = client.post("/admin/privacy/citizen/export", data=form).text
    assert "== Підписки на розсилки ==" in exported and "Telegram: «Строки виплат» (uk)" in exported
    assert "Telegram, надіслано:\nВиплати з 5 числа.\n\nЩоб відписатися від розсилок, напишіть «стоп»." in exported
    assert "Выплаты" not in exported  # the other citizen's copy

    erased = client.post("/admin/privacy/citizen/erase", data={**form, "reason": "заява громадянина вх. № 78"})
    assert erased.status_code == 200 and "підписок — 1, розсилок — 1." in erased.text
    again = client.post("/admin/privacy/citizen", data={"messenger": chat_id, "csrf_token": token})
    assert "підписок — 0, розсилок — 0" in again.text
    with sessions() as session:
        assert set(session.scalars(select(Subscription.recipient))) == {other}
        copies = set(session.scalars(select(Delivery.recipient)))
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.erase")).one()
    assert other in copies and chat_id not in copies and len(copies) == 2  # the copy still counts, without its id
    assert (entry.detail["subscriptions"], entry.detail["announcements"]) == (1, 1) and chat_id not in entry.target


@SQLITE_ONLY
def test_admins_set_the_periods_and_read_the_last_run(admin: tuple[TestClient, str]) -> None:
    client, token = admin
    page = client.get("/admin/privacy")
    assert page.status_code == 200 and 'value="90"' in page.text and "Ще не було" in page.text
    chosen = {"conversations": 60, "transcripts": 14, "recordings": 7, "certificates": 365, "audit": 1825}
    saved = client.post("/admin/privacy/retention", data={**chosen, "csrf_token": token}, follow_redirects=False)
    assert saved.status_code == 303
    assert client.post("/admin/privacy/retention", data={**chosen, "audit": 0, "csrf_token": token}).status_code == 422
    with client.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
        assert retention.periods(session) == retention.Periods(60, 14, 7, 365, 1825)
        change = session.scalars(select(AuditEntry).where(AuditEntry.action == "privacy.retention_settings")).one()
    assert change.detail["old"]["conversations"] == 90 and change.detail["new"]["conversations"] == 60
    assert client.post("/admin/privacy/citizen", data={"csrf_token": token}).status_code == 400  # nothing to find by


@SQLITE_ONLY
@pytest.mark.parametrize(
    ("lang", "text", "says"),
    [
        ("uk", "видаліть мої дані", "заяву"),
        ("uk", "відкликаю згоду на обробку персональних даних", "заяву"),
        ("uk", "не зберігайте мої дані будь ласка", "заяву"),
        ("ru", "удалите мои персональные данные", "заявление"),
        ("ru", "какие данные вы обо мне храните", "заявление"),
    ],
)
def test_asking_the_robot_to_delete_my_data_tells_how_and_deletes_nothing(
    client: TestClient, lang: str, text: str, says: str
) -> None:
    session_id = client.post("/api/chat/sessions", json={"lang": lang}).json()["session_id"]
    answer = chat(client, session_id, text=text)
    reply = answer["replies"][-1]
    assert reply["intent"] == "personal_data" and says in reply["text_long"] and reply["handoff"] is None
    with client.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
        said = conversation_log.events(session, conversation_id=session_id)
    assert any(event.text == text for event in said)  # kept: an office decides, never a chat message alone
