"""The web-chat API over the whole app: real Redis, SQLite and PostgreSQL, the demo content pack."""

from __future__ import annotations

import re
from dataclasses import replace

from fastapi.testclient import TestClient
from sqlalchemy import select

from channels.state_store import state_key
from hotline.app import create_app
from hotline.conversation_log import ConversationEvent
from hotline.db import transaction
from hotline.settings import Settings
from intents import versions
from intents.pack import DEMO_PACK, load_pack
from tests.helpers import chat, intents_of


def _session(client: TestClient, lang: str | None = None) -> str:
    response = client.post("/api/chat/sessions", json={"lang": lang} if lang else {})
    assert response.status_code == 201, response.text
    return str(response.json()["session_id"])


def test_a_citizen_asks_in_each_language_and_gets_the_answer(client: TestClient) -> None:
    uk = _session(client, "uk")
    answer = chat(client, uk, text="Як мені оформити житлову субсидію?")
    assert intents_of(answer) == ["housing_subsidy_apply"]
    reply = answer["replies"][0]
    assert reply["handoff"] is None and reply["text_long"] and reply["text"] != reply["text_long"]
    assert {b["id"] for b in reply["buttons"]} >= {"repeat", "menu", "operator"}
    ru = _session(client, "ru")
    assert intents_of(chat(client, ru, text="Справка о регистрации места жительства")) == ["residence_certificate"]


def test_without_a_language_the_first_reply_asks_and_a_button_answers(client: TestClient) -> None:
    response = client.post("/api/chat/sessions")
    assert response.status_code == 201
    body = response.json()
    assert body["lang"] is None
    assert [b["id"] for b in body["replies"][0]["buttons"]] == ["lang:uk", "lang:ru"]
    menu = chat(client, body["session_id"], button="lang:ru")
    assert menu["lang"] == "ru"
    buttons = menu["replies"][0]["buttons"]
    assert len([b for b in buttons if b["key"].isdigit() and b["key"] != "0"]) >= 8
    category = chat(client, body["session_id"], button=buttons[0]["id"])
    intent_button = category["replies"][0]["buttons"][0]
    answer = chat(client, body["session_id"], button=intent_button["id"])
    assert answer["replies"][0]["intent"] == intent_button["id"]


def test_crisis_hands_off_first_and_every_reply_says_so(client: TestClient) -> None:
    sid = _session(client, "ru")
    answer = chat(client, sid, text="Насилие в семье, нужна срочная помощь")
    reply = answer["replies"][0]
    assert reply["intent"] == "crisis"
    assert reply["handoff"]["state"] == "waiting" and reply["handoff"]["priority"] == "emergency"
    later = chat(client, sid, text="Як оформити субсидію")  # written while waiting: for the specialist to read,
    assert later["relayed"] is True and later["replies"][0]["handoff"]["priority"] == "emergency"  # and answered
    unclear = chat(client, sid, text="алло, де ви всі")  # not "not understood", not "please wait" once more
    assert unclear["relayed"] is True and unclear["replies"] == []


def test_bad_requests_get_clear_errors(client: TestClient) -> None:
    sid = _session(client, "uk")
    too_long = client.post(f"/api/chat/sessions/{sid}/messages", json={"text": "x" * 2001})
    assert too_long.status_code == 422 and "2000" in too_long.json()["message"]
    empty = client.post(f"/api/chat/sessions/{sid}/messages", json={"text": "   "})
    assert empty.status_code == 422 and "empty" in empty.json()["message"]
    both = client.post(f"/api/chat/sessions/{sid}/messages", json={"text": "a", "button": "menu"})
    assert both.status_code == 422
    unknown = client.post("/api/chat/sessions/does-not-exist/messages", json={"text": "привіт"})
    assert unknown.status_code == 404 and unknown.json()["detail"]
    unknown_hex = client.post(f"/api/chat/sessions/{'0' * 32}/messages", json={"text": "привіт"})
    assert unknown_hex.status_code == 404
    bad_lang = client.post("/api/chat/sessions", json={"lang": "en"})
    assert bad_lang.status_code == 422
    not_json = client.post(
        f"/api/chat/sessions/{sid}/messages", content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422


def test_script_text_is_stored_and_returned_as_text(client: TestClient) -> None:
    sid = _session(client, "uk")
    answer = chat(client, sid, text="<script>alert(1)</script>")
    assert answer["replies"][0]["intent"] is None


def test_a_resent_message_is_answered_once(client: TestClient) -> None:
    sid = _session(client, "uk")
    first = chat(client, sid, text="субсидії", message_id="m-1")
    again = chat(client, sid, text="субсидії", message_id="m-1")
    assert again == first
    parts = client.app.state.parts  # type: ignore[attr-defined]
    with parts.sessions() as session:
        steps = session.scalars(
            select(ConversationEvent.step).where(
                ConversationEvent.conversation_id == sid, ConversationEvent.kind == "citizen_text"
            )
        ).all()
    assert steps == [2]


def test_every_turn_is_logged_and_the_chat_survives_losing_redis(client: TestClient) -> None:
    sid = _session(client, "uk")
    chat(client, sid, text="Як оформити субсидію?")
    parts = client.app.state.parts  # type: ignore[attr-defined]
    with parts.sessions() as session:
        events = session.scalars(
            select(ConversationEvent).where(ConversationEvent.conversation_id == sid).order_by(ConversationEvent.id)
        ).all()
    kinds = [(e.step, e.kind) for e in events]
    assert (2, "citizen_text") in kinds and (2, "bot") in kinds
    asked = next(e for e in events if e.kind == "citizen_text")
    assert asked.intent == "housing_subsidy_apply" and asked.score and asked.score > 0
    parts.redis.client.delete(state_key(parts.settings.redis_prefix, sid))
    answer = chat(client, sid, text="Допомога при народженні дитини")
    assert intents_of(answer) == ["birth_grant"]


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    checks = ready.json()["checks"]
    assert checks["database"] == "ok" and checks["redis"] == "ok" and checks["tree"].startswith("version ")
    assert checks["understanding"].startswith("on: multilingual-e5-small")
    assert client.get("/docs").status_code == 200
    assert "/api/chat/sessions" in client.get("/openapi.json").json()["paths"]


def test_a_publish_reaches_new_chats_while_running_ones_keep_their_version(client: TestClient) -> None:
    running = _session(client, "uk")
    tree = load_pack(DEMO_PACK)
    parts = client.app.state.parts  # type: ignore[attr-defined]
    with transaction(parts.sessions) as session:
        versions.save_draft(session, tree=replace(tree, welcome={"uk": "Нова версія.", "ru": "Новая версия."}))
        versions.publish(session, author="test", note="new welcome")
    fresh = client.post("/api/chat/sessions", json={"lang": "uk"}).json()
    assert fresh["replies"][0]["text"].startswith("Нова версія.")
    # The conversation that started before the publish goes on, on its own version.
    assert intents_of(chat(client, running, text="Як оформити субсидію?")) == ["housing_subsidy_apply"]


KEYPAD_WORDING = re.compile(r"— ?[0-9#]\b|решітк|решётк|натисніть|нажмите")


def test_no_reply_in_the_chat_names_a_key_and_repeat_gives_the_short_form(client: TestClient) -> None:
    sid = client.post("/api/chat/sessions").json()["session_id"]
    said = [chat(client, sid, button="lang:uk"), chat(client, sid, button="subsidies")]
    said.append(chat(client, sid, text="абракадабра"))  # "not understood" in a menu
    answer = chat(client, sid, button="housing_subsidy_apply")
    said += [answer, chat(client, sid, text="коли грає динамо")]  # "not understood" after an answer
    again = chat(client, sid, button="repeat")
    said += [again, chat(client, sid, text="субсидія документи")]
    # The robot's own words (the answers are the office's text, which may mention the phone menu).
    texts = [t for body in said for r in body["replies"] if not r["intent"] for t in (r["text"], r["text_long"])]
    assert len(texts) >= 8 and not [t for t in texts if KEYPAD_WORDING.search(t)]
    short = load_pack(DEMO_PACK).index["housing_subsidy_apply"].text("uk").short
    assert again["replies"][0]["text_long"] == short != answer["replies"][0]["text_long"]
    labels = [b["label"] for b in answer["replies"][0]["buttons"]]
    assert labels == ["Повторити", "Головне меню", "Назад", "Фахівець"]  # Back after an answer, as on the phone


def test_the_second_opinion_is_asked_about_and_a_yes_answers_it(client: TestClient) -> None:
    sid = _session(client, "uk")
    asked = chat(client, sid, text="не знаю куди звернутися мені дуже важко")["replies"][0]
    assert asked["intent"] is None and asked["text"].startswith("Ви питаєте про «")
    yes, no = asked["buttons"][0], asked["buttons"][1]
    assert (yes["label"], no["label"], no["id"]) == ("Так", "Ні", "menu")
    answer = chat(client, sid, text="так")
    assert intents_of(answer) == [yes["id"]]


def test_without_the_second_opinion_the_line_is_lexical_and_says_so(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"second_opinion": False}))) as client:
        assert client.get("/readyz").json()["checks"]["understanding"].startswith("off:")
        sid = _session(client, "uk")
        reply = chat(client, sid, text="не знаю куди звернутися мені дуже важко")["replies"][0]
        assert reply["intent"] is None and "Ви питаєте про" not in reply["text"]
