"""`POST /viber/webhook` through the whole app, with callbacks signed as Viber signs them and sends
checked at the fake Viber API; on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from channels.chat import service as chat_records
from channels.chat.service import Citizen
from channels.viber import service
from channels.viber.line import ViberLine
from channels.viber.models import ViberEvent
from channels.viber.wire import signature
from hotline import conversation_log
from tests.fakes.viber_api import FakeViberApi
from tests.viber.conftest import (
    TOKEN,
    as_admin,
    button_bodies,
    conversation_started,
    new_user,
    post,
    text_message,
    texts,
    token,
)


def _events(sessions: sessionmaker[Session], user_id: str) -> list[str]:
    with sessions() as session:
        return [e.event for e in service.events(session, user_id=user_id)]


def _conversations(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return int(session.scalar(select(func.count(conversation_log.Conversation.id))) or 0)


def test_unsigned_or_tampered_callbacks_are_refused_and_change_nothing(
    viber_client: TestClient, fake_viber: FakeViberApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user()
    before = _conversations(sessions_of)
    event = conversation_started(user)
    assert post(viber_client, event, sign=False).status_code == 403
    raw = json.dumps(text_message(user, "привіт"), ensure_ascii=False).encode()

    tampered = raw.replace("привіт".encode(), "прощай".encode())
    response = viber_client.post(
        "/viber/webhook", content=tampered, headers={"X-Viber-Content-Signature": signature(raw, TOKEN)}
    )
    assert response.status_code == 403 and "signature" in response.json()["message"]
    assert _conversations(sessions_of) == before
    assert fake_viber.sent_to(user["id"]) == [] and _events(sessions_of, user["id"]) == []


def test_the_webhook_check_is_answered(viber_client: TestClient) -> None:
    event = {"event": "webhook", "timestamp": 1457764197627, "chat_hostname": "SN-376_", "message_token": token()}
    response = post(viber_client, event)
    assert response.status_code == 200 and response.json() == {"status": 0}


def test_the_welcome_is_in_the_answer_in_the_users_language_with_the_top_menu(
    viber_client: TestClient, fake_viber: FakeViberApi
) -> None:
    uk, ru, en = new_user("uk"), new_user("ru"), new_user("en")
    welcome = post(viber_client, conversation_started(uk)).json()
    assert "Коротко опишіть ваше питання" in welcome["text"] and welcome["sender"]["name"] == "Соцзахист"
    assert "receiver" not in welcome and welcome["type"] == "text"
    assert button_bodies(welcome)[:3] == ["subsidies", "benefits", "families"]
    assert button_bodies(welcome)[-3:] == ["back", "menu", "operator"]
    assert "Коротко опишите ваш вопрос" in post(viber_client, conversation_started(ru)).json()["text"]
    other = post(viber_client, conversation_started(en)).json()
    assert "Оберіть мову" in other["text"] and {"lang:uk", "lang:ru"} <= set(button_bodies(other))
    assert fake_viber.sent_to(uk["id"]) == []  # the welcome is not sent with send_message


def test_a_repeated_conversation_started_gets_the_same_welcome_and_one_conversation(
    viber_client: TestClient, sessions_of: sessionmaker[Session]
) -> None:
    event = conversation_started(new_user())
    first = post(viber_client, event).json()
    count = _conversations(sessions_of)
    assert post(viber_client, event).json() == first and _conversations(sessions_of) == count


def test_a_question_is_answered_once_even_when_viber_repeats_it(
    viber_client: TestClient, fake_viber: FakeViberApi
) -> None:
    user = new_user()
    post(viber_client, conversation_started(user))
    question = text_message(user, "Як мені оформити житлову субсидію")
    assert post(viber_client, question).status_code == 200
    assert post(viber_client, question).status_code == 200
    sent = fake_viber.sent_to(user["id"])
    assert len(sent) == 1 and "субсид" in sent[0]["text"].lower()
    assert button_bodies(sent[0]) == ["repeat", "back", "menu", "operator"]


def test_button_presses_come_back_as_action_body(viber_client: TestClient, fake_viber: FakeViberApi) -> None:
    user = new_user()
    post(viber_client, conversation_started(user))
    post(viber_client, text_message(user, "subsidies"))
    menu = fake_viber.sent_to(user["id"])[-1]
    assert menu["text"] == "Житлова субсидія" and "housing_subsidy_apply" in button_bodies(menu)
    post(viber_client, text_message(user, "back"))
    assert "subsidies" in button_bodies(fake_viber.sent_to(user["id"])[-1])


def test_a_first_message_without_a_welcome_starts_a_conversation(
    viber_client: TestClient, fake_viber: FakeViberApi
) -> None:
    user = new_user("en")
    post(viber_client, text_message(user, "Как оформить субсидию на коммунальные услуги"))
    sent = fake_viber.sent_to(user["id"])
    assert len(sent) == 1 and "субсид" in sent[0]["text"].lower()


def test_stickers_pictures_and_locations_get_a_polite_answer(
    viber_client: TestClient, fake_viber: FakeViberApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user("ru")
    post(viber_client, conversation_started(user))
    for message in (
        {"type": "sticker", "sticker_id": 46105},
        {"type": "picture", "media": "http://example.com/a.jpg", "text": ""},
        {"type": "location", "location": {"lat": 50.76891, "lon": 6.11499}},
        {"type": "poll"},
    ):
        event = {"event": "message", "timestamp": 1, "message_token": token(), "sender": user, "message": message}
        assert post(viber_client, event).status_code == 200
    sent = fake_viber.sent_to(user["id"])
    assert len(sent) == 4 and all("понимаю только текст" in t for t in texts(sent))
    assert _events(sessions_of, user["id"]).count("unsupported_message") == 4


def test_receipts_and_unknown_events_are_recorded_once_never_a_500(
    viber_client: TestClient, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user()
    shared = token()
    for event in (
        {"event": "delivered", "timestamp": 1, "message_token": shared, "user_id": user["id"]},
        {"event": "seen", "timestamp": 1, "message_token": shared, "user_id": user["id"]},
        {"event": "failed", "timestamp": 1, "message_token": shared, "user_id": user["id"]},  # no "desc"
        {"event": "failed", "timestamp": 1, "message_token": shared, "user_id": user["id"]},  # repeated
        {"event": "client_status", "timestamp": 1, "message_token": token(), "user_id": user["id"]},
    ):
        assert post(viber_client, event).status_code == 200
    assert post(viber_client, {}, raw=b'{"no": "event"}').status_code == 200
    assert post(viber_client, {}, raw=b"\xff not json").status_code == 200
    assert sorted(_events(sessions_of, user["id"])) == ["client_status", "delivered", "failed", "seen"]


def test_after_unsubscribing_nothing_is_sent_until_the_user_writes(
    viber_client: TestClient, fake_viber: FakeViberApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user()
    post(viber_client, conversation_started(user))
    event = {"event": "unsubscribed", "timestamp": 1, "user_id": user["id"], "message_token": token()}
    assert post(viber_client, event).status_code == 200
    relay = viber_client.app.state.parts.channels.part(ViberLine).relay  # type: ignore[attr-defined]
    conversation_id = relay.flows.conversation_of(user["id"])
    relay.operator_message_soon(conversation_id, "Доброго дня!", message_id=1).result(timeout=10)
    assert fake_viber.sent_to(user["id"]) == []
    assert "unsubscribed" in _events(sessions_of, user["id"])
    post(viber_client, text_message(user, "Як оформити субсидію"))  # writing subscribes again
    assert len(fake_viber.sent_to(user["id"])) == 1


def test_abuse_gets_one_warning_then_a_block_that_an_admin_can_lift(
    viber_client: TestClient, fake_viber: FakeViberApi, sessions_of: sessionmaker[Session]
) -> None:
    user = new_user(name="Грубіян")
    post(viber_client, conversation_started(user))
    rude = text_message(user, "Ви всі ідіоти, де моя субсидія")
    post(viber_client, rude)
    post(viber_client, rude)  # Viber repeats it: still one warning, no block
    warned = fake_viber.sent_to(user["id"])
    assert len(warned) == 1 and "без лайки" in warned[0]["text"]
    post(viber_client, text_message(user, "Ідіоти!!!"))
    assert "обмежено" in fake_viber.sent_to(user["id"])[-1]["text"]
    post(viber_client, text_message(user, "Як оформити субсидію"))  # blocked: no answer at all
    assert len(fake_viber.sent_to(user["id"])) == 2
    with sessions_of() as session:
        log = [e.text for e in conversation_log.events(session, conversation_id=_conversation(viber_client, user))]
        abuse = chat_records.abuse_of(session, citizen=Citizen("viber", user["id"]))
    assert [a.action for a in abuse] == ["warned", "blocked"]
    assert "Ви всі і*****, де моя субсидія" in log and "І*****!!!" in log
    assert not any("ідіот" in (text or "").lower() for text in log)  # never the raw words
    assert "ignored_blocked" in _events(sessions_of, user["id"])

    admin = as_admin(viber_client)
    listed = viber_client.get("/api/chat/blocks").json()
    block = next(b for b in listed["blocks"] if b["user_id"] == user["id"])
    assert block["name"] == "Грубіян" and block["sample"] == "І*****!!!" and block["lifted_at"] is None
    lifted = viber_client.post(f"/api/chat/blocks/{block['id']}/lift", headers={"X-CSRF-Token": admin})
    assert lifted.status_code == 200 and lifted.json()["lifted_by"] is not None
    post(viber_client, text_message(user, "Як оформити субсидію"))
    assert "субсид" in fake_viber.sent_to(user["id"])[-1]["text"].lower()
    post(viber_client, text_message(user, "ідіоти"))  # a clean slate: a warning again, not a block
    assert "без лайки" in fake_viber.sent_to(user["id"])[-1]["text"]


def _conversation(client: TestClient, user: dict[str, str]) -> str:
    flows = client.app.state.parts.channels.part(ViberLine).flows  # type: ignore[attr-defined]
    found = flows.conversation_of(user["id"])
    assert found is not None
    return str(found)


def test_viber_events_table_keeps_repeats_out(sessions_of: sessionmaker[Session]) -> None:
    with sessions_of() as session, session.begin():
        assert service.record_event(session, event="seen", user_id="x", message_token=77)
        assert not service.record_event(session, event="seen", user_id="x", message_token=77)
        assert session.scalar(select(func.count(ViberEvent.id)).where(ViberEvent.user_id == "x")) == 1
