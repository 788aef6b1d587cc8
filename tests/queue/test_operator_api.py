"""The operator API and the live chat through the whole app: login, roles and CSRF, clear 4xx answers,
the chat relay (in order, stored before acknowledged, the robot silent meanwhile), and phone calls
redirected to the operator through a local server speaking Twilio's REST API."""

from __future__ import annotations

import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import fields
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from starlette.websockets import WebSocketDisconnect
from twilio.twiml.voice_response import Dial, VoiceResponse

from hotline import conversation_log
from hotline.office_hours import QueuePolicy
from hotline.queue_log import QueueEvent
from hotline.users import Role
from intents.engine import Input, InputKind
from specialist_queue import runtime
from specialist_queue.chat import ChatMessage
from specialist_queue.model import EntryState, OperatorState
from specialist_queue.runtime import Specialists
from tests.fakes.twilio_api import FakeTwilioApi
from tests.helpers import chat
from tests.queue.conftest import ACCOUNT, PUBLIC_URL, StaffClient, staff

CALL_SID = "CA" + "ab" * 16


def specialists(app: TestClient) -> Specialists:
    found: Specialists = app.app.state.parts.specialists  # type: ignore[attr-defined]
    return found


def asks_for_a_person(app: TestClient) -> str:
    """A web chat that reaches a person: subsidies, how to apply, then "оператор"."""
    session_id = str(app.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"])
    chat(app, session_id, button="subsidies")
    chat(app, session_id, text="як оформити субсидію")
    answer = chat(app, session_id, text="оператор")
    assert answer["replies"][-1]["handoff"]["queue"] == "subsidies"
    return session_id


def test_the_console_and_its_api_need_a_logged_in_operator_and_a_csrf_token(app: TestClient) -> None:
    assert app.get("/operator", follow_redirects=False).headers["location"] == "/login?next=/operator"
    assert app.get("/api/operator/state").status_code == 401
    assert app.post("/api/operator/state", json={"state": "available"}).status_code in {401, 403}
    olena = staff(app, "olena-auth")
    assert olena.client.post("/api/operator/state", json={"state": "available"}).status_code == 403  # no token
    assert olena.post("/api/operator/state", {"state": "available"}).json() == {"state": "available", "reason": ""}
    assert olena.post("/api/queues/rebuild").status_code == 403  # admins only
    admin = staff(app, "admin-auth", role=Role.ADMIN)
    assert admin.post("/api/queues/rebuild").json() == {"restored": 0}
    elsewhere = {"origin": "https://evil.example"}  # the session's user, but a page from elsewhere
    with (
        pytest.raises(WebSocketDisconnect),
        olena.client.websocket_connect("/api/operator/live", headers=elsewhere) as ws,
    ):
        ws.receive_json()
    anonymous = TestClient(app.app, base_url=PUBLIC_URL)
    with (
        pytest.raises(WebSocketDisconnect),
        anonymous.websocket_connect("/api/operator/live", headers={"origin": PUBLIC_URL}) as ws,
    ):
        ws.receive_json()


def test_bad_input_is_answered_with_a_clear_4xx(app: TestClient) -> None:
    olena = staff(app, "olena-input")
    cases: list[tuple[str, dict[str, Any], int]] = [
        ("/api/operator/state", {"state": "dancing"}, 422),
        ("/api/operator/state", {"state": "paused"}, 422),  # a pause needs its reason
        ("/api/operator/state", {"state": "available", "extra": 1}, 422),
        ("/api/operator/offers/not-a-conversation/accept", {}, 422),
        (f"/api/operator/offers/{'0' * 32}/accept", {}, 409),
        (f"/api/operator/conversations/{'0' * 32}/messages", {"text": "   "}, 422),
        (f"/api/operator/conversations/{'0' * 32}/messages", {"text": "x" * 2001}, 422),
        (f"/api/operator/conversations/{'0' * 32}/messages", {"text": "hello"}, 409),
        (f"/api/operator/conversations/{'0' * 32}/close", {}, 409),
        (f"/api/operator/conversations/{'0' * 32}/wrap-up", {"disposition": "nonsense"}, 422),
        (f"/api/operator/conversations/{'0' * 32}/wrap-up", {"disposition": "other"}, 409),
        (f"/api/operator/conversations/{'0' * 32}/callback-outcome", {"outcome": "maybe"}, 422),
    ]
    for path, body, status in cases:
        response = olena.post(path, body)
        assert response.status_code == status, (path, body, response.text)
        assert response.json()["message"], response.json()
    assert olena.get(f"/api/operator/conversations/{'0' * 32}").status_code == 403
    with pytest.raises(WebSocketDisconnect), app.websocket_connect(f"/api/chat/sessions/{'0' * 32}/live") as ws:
        ws.receive_json()


def test_chat_relay_in_order_stored_before_acknowledged_and_the_robot_silent(app: TestClient) -> None:
    olena = staff(app, "olena-chat", display_name="Олена")
    session_id = asks_for_a_person(app)
    olena.post("/api/operator/state", {"state": "available"})
    state = olena.get("/api/operator/state").json()
    assert state["offer"]["conversation_id"] == session_id and state["queues"][0]["queue"] == "subsidies:uk"
    context = olena.get(f"/api/operator/conversations/{session_id}").json()
    assert [n["slug"] for n in context["path"]] == ["subsidies", "housing_subsidy_apply"]
    assert context["intents"][0]["slug"] == "housing_subsidy_apply" and context["channel"] == "web"
    assert [t["text"] for t in context["transcript"] if t["who"] == "citizen"][-3:] == [
        "Житлова субсидія",  # the button's label, not its id
        "як оформити субсидію",
        "оператор",
    ]

    with app.websocket_connect(f"/api/chat/sessions/{session_id}/live") as citizen:
        waiting = {"type": "status", "state": "waiting", "position": 1, "wait_seconds": 300, "unserved": False}
        assert citizen.receive_json() == waiting
        assert olena.post(f"/api/operator/offers/{session_id}/accept").status_code == 200
        update = citizen.receive_json()
        while update["state"] == "waiting":  # a refreshed estimate may come first on a slow machine
            update = citizen.receive_json()
        assert update == {"type": "status", "state": "connected", "operator": "Олена"}
        robot_turns = _robot_turns(app, session_id)
        said = []
        for number in range(5):  # citizen and specialist interleaved, each stored before its answer
            answer = chat(app, session_id, text=f"громадянин {number}", message_id=f"m{number}")
            stored = answer.pop("message_id")  # what the specialist's "seen" refers to
            assert answer == {"lang": "uk", "replies": [], "specialist": True, "relayed": True}
            assert _stored(app, stored) == f"громадянин {number}"
            sent = olena.post(f"/api/operator/conversations/{session_id}/messages", {"text": f"фахівець {number}"})
            assert sent.status_code == 201 and _stored(app, sent.json()["id"]) == f"фахівець {number}"
            said += [f"громадянин {number}", f"фахівець {number}"]
        assert chat(app, session_id, text="громадянин 4", message_id="m4")["specialist"]  # resent: stored once
        assert app.post(f"/api/chat/sessions/{session_id}/messages", json={"button": "menu"}).status_code == 409
        got = [citizen.receive_json() for _ in range(5)]
        assert [m["text"] for m in got] == [f"фахівець {n}" for n in range(5)]
        assert [m["id"] for m in got] == sorted(m["id"] for m in got)
        assert _robot_turns(app, session_id) == robot_turns  # the robot said nothing meanwhile
        with app.websocket_connect("/api/operator/live", headers={"origin": PUBLIC_URL}) as console:
            frames = [console.receive_json() for _ in range(11)]
        assert frames[0]["type"] == "state" and frames[0]["conversations"][0]["conversation_id"] == session_id
        assert [f["text"] for f in frames[1:]] == said
        # The console opened under the name the browser used (localhost while the public URL says another).
        here = {"origin": "http://localhost:8000", "host": "localhost:8000"}
        with olena.client.websocket_connect("/api/operator/live", headers=here) as console:
            assert console.receive_json()["conversations"][0]["conversation_id"] == session_id
        assert olena.post(f"/api/operator/conversations/{session_id}/close").json() == {"state": "wrap_up"}
        assert citizen.receive_json() == {"type": "status", "state": "none"}
    wrap = {"disposition": "housing_subsidy_apply", "note": "<b>пояснила</b>"}
    assert olena.post(f"/api/operator/conversations/{session_id}/wrap-up", wrap).json() == {"state": "done"}
    assert chat(app, session_id, text="Коли ви працюєте?")["replies"][0]["intent"] == "office_hours"  # robot again
    with app.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
        stored = session.scalars(select(ChatMessage).where(ChatMessage.conversation_id == session_id)).all()
        kinds = session.scalars(
            select(QueueEvent.event).where(QueueEvent.conversation_id == session_id).order_by(QueueEvent.id)
        ).all()
    assert [m.text for m in sorted(stored, key=lambda m: m.id)] == said
    assert kinds == ["entered", "offered", "connected", "closed", "wrap_up"]


def test_after_closing_the_robot_answers_again_and_a_second_request_reaches_the_queue(app: TestClient) -> None:
    olena = staff(app, "olena-again")
    session_id = asks_for_a_person(app)
    olena.post("/api/operator/state", {"state": "available"})
    for _ in range(2):  # the second request for a person, after the first was closed, goes the same way
        assert olena.post(f"/api/operator/offers/{session_id}/accept").status_code == 200
        assert chat(app, session_id, text="Дякую, зрозуміло")["specialist"]
        assert olena.post(f"/api/operator/conversations/{session_id}/close").status_code == 200
        done = olena.post(f"/api/operator/conversations/{session_id}/wrap-up", {"disposition": "other"})
        assert done.json() == {"state": "done"}
        again = chat(app, session_id, text="Коли ви працюєте?")
        assert [(r["intent"], r["handoff"]) for r in again["replies"]] == [("office_hours", None)]  # the robot
        asked = chat(app, session_id, text="оператор")
        assert asked["replies"][-1]["handoff"] is not None
        assert olena.get("/api/operator/state").json()["offer"]["conversation_id"] == session_id
    olena.post(f"/api/operator/offers/{session_id}/accept")
    with app.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
        kinds = session.scalars(
            select(QueueEvent.event).where(QueueEvent.conversation_id == session_id).order_by(QueueEvent.id)
        ).all()
    assert kinds == ["entered", "offered", "connected", "closed", "wrap_up"] * 2 + ["entered", "offered", "connected"]


def test_private_notes_and_the_citizen_s_earlier_conversations(app: TestClient) -> None:
    olena = staff(app, "olena-notes")
    queue = app.app.state.parts.specialists.queue  # type: ignore[attr-defined]
    phone = "+380501230077"
    first = asks_for_a_person(app)
    queue.request_callback(first, phone)  # "call me back on this number"
    olena.post("/api/operator/state", {"state": "available"})
    assert olena.post(f"/api/operator/offers/{first}/accept").status_code == 200
    assert olena.get(f"/api/operator/conversations/{first}/earlier").json() == []  # first time
    noted = olena.post(f"/api/operator/conversations/{first}/notes", {"text": "Просила після 15:00"})
    assert noted.status_code == 201 and noted.json()["sender"] == "note"
    assert chat(app, first, text="Дякую")["replies"] == []  # the citizen is told nothing of it
    olena.post(f"/api/operator/conversations/{first}/close")
    wrap = {"disposition": "housing_subsidy_apply", "note": "Пояснила, які документи"}
    assert olena.post(f"/api/operator/conversations/{first}/wrap-up", wrap).status_code == 200
    assert olena.post(f"/api/operator/conversations/{first}/notes", {"text": "пізно"}).status_code == 409

    second = asks_for_a_person(app)
    queue.request_callback(second, phone)  # the same citizen, another day
    assert olena.get("/api/operator/state").json()["offer"]["conversation_id"] == second
    earlier = olena.get(f"/api/operator/conversations/{second}/earlier").json()
    assert [(e["conversation_id"], e["about"], e["note"], e["with_specialist"]) for e in earlier] == [
        (first, "Як оформити субсидію", "Пояснила, які документи", True)
    ]
    stranger = staff(app, "petro-notes")
    assert stranger.get(f"/api/operator/conversations/{second}/earlier").status_code == 403
    for step in (f"/api/operator/offers/{second}/accept", f"/api/operator/conversations/{second}/close"):
        assert olena.post(step).status_code == 200  # nothing left waiting for the next test's operators


def test_a_crisis_the_citizen_writes_in_a_held_chat_is_flagged_to_the_specialist(app: TestClient) -> None:
    olena = staff(app, "olena-crisis")
    session_id = asks_for_a_person(app)
    olena.post("/api/operator/state", {"state": "available"})
    assert olena.post(f"/api/operator/offers/{session_id}/accept").status_code == 200
    written = ["Дякую, чекаю", "Мне страшно идти домой, он бьет меня"]  # Russian in a Ukrainian conversation
    for number, text in enumerate(written):
        assert chat(app, session_id, text=text, message_id=f"c{number}")["relayed"]  # to the specialist, not the robot
    context = olena.get(f"/api/operator/conversations/{session_id}").json()
    flags = [(m["text"], m["crisis"]) for m in context["messages"]]
    assert flags == [(written[0], False), (written[1], True)]
    with olena.client.websocket_connect("/api/operator/live", headers={"origin": PUBLIC_URL}) as console:
        frames = [console.receive_json() for _ in range(3)]
    assert [(f["text"], f["crisis"]) for f in frames[1:]] == flags  # what the console draws the flag from
    sent = olena.post(f"/api/operator/conversations/{session_id}/messages", {"text": "Ви в небезпеці зараз?"})
    assert sent.json()["crisis"] is False  # only what the citizen writes is read for danger
    assert olena.post(f"/api/operator/conversations/{session_id}/close").status_code == 200


def test_the_wrap_up_lasts_as_long_as_the_admins_set_on_the_office_page(app: TestClient) -> None:
    admin = staff(app, "admin-policy", role=Role.ADMIN)
    form = {f.name: str(f.default) for f in fields(QueuePolicy) if not isinstance(f.default, bool)}
    form |= {f.name: "on" for f in fields(QueuePolicy) if f.default is True}
    saved = admin.client.post(
        "/admin/office/policy", data={**form, "wrap_up_seconds": "45", "csrf_token": admin.csrf}, follow_redirects=False
    )
    assert saved.status_code == 303, saved.text
    olena = staff(app, "olena-wrap")
    asks_for_a_person(app)
    found, t = specialists(app), time.time()
    found.desk.set_state(olena.id, OperatorState.AVAILABLE, now=t)
    offered = found.queue.store.operator(olena.id).offer
    anyio.run(lambda: found.desk.accept(olena.id, offered, now=t))
    found.desk.close(olena.id, offered, now=t + 10)
    found.queue.tick(now=t + 54)
    assert found.queue.store.operator(olena.id).state is OperatorState.WRAP_UP
    found.queue.tick(now=t + 56)  # 45 s after closing: available again by itself
    assert found.queue.store.operator(olena.id).state is OperatorState.AVAILABLE


def _robot_turns(app: TestClient, session_id: str) -> int:
    with app.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
        return len(conversation_log.events(session, conversation_id=session_id))


def _stored(app: TestClient, message_id: int) -> str | None:
    with app.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
        message = session.get(ChatMessage, message_id)
        return message.text if message else None


def phone_call(app: TestClient, call_sid: str) -> str:
    """A phone conversation (as the phone line starts it) whose caller presses 0 for a person."""
    dialogue = app.app.state.parts.dialogue  # type: ignore[attr-defined]
    started = dialogue.start(channel="phone", lang="uk", external_id=call_sid)
    dialogue.handle(started.conversation_id, Input(InputKind.DIGIT, value="0"))
    return str(started.conversation_id)


def dial(**noun: str) -> str:
    """The TwiML the call must get, made independently with the twilio library."""
    verb = Dial()
    if "number" in noun:
        verb.number(noun["number"])
    else:
        verb.client(noun["client"])
    response = VoiceResponse()
    response.append(verb)
    return str(response.to_xml())


def test_accepting_a_waiting_call_redirects_it_to_the_operator(app: TestClient, twilio_api: FakeTwilioApi) -> None:
    twilio_api.received.clear()
    petro = staff(app, "petro-phone", phone="+380441234567")
    call = phone_call(app, CALL_SID)
    petro.post("/api/operator/state", {"state": "available"})
    assert petro.post(f"/api/operator/offers/{call}/accept").json()["kind"] == "call"
    [update] = twilio_api.received
    assert (update.account_sid, update.call_sid) == (ACCOUNT, CALL_SID)
    assert update.form["Twiml"] == dial(number="+380441234567")
    assert ET.fromstring(update.form["Twiml"]).find("Dial/Number").text == "+380441234567"
    petro.post(f"/api/operator/conversations/{call}/close")

    twilio_api.received.clear()
    second = "CA" + "cd" * 16
    call = phone_call(app, second)
    anna = staff(app, "anna-phone")  # no phone of her own: the call rings her Twilio Client
    anna.post("/api/operator/state", {"state": "available"})
    assert anna.post(f"/api/operator/offers/{call}/accept").status_code == 200
    assert [(r.call_sid, r.form["Twiml"]) for r in twilio_api.received] == [(second, dial(client="anna-phone"))]


def test_a_caller_who_hung_up_is_abandoned_and_a_twilio_failure_keeps_the_place(
    app: TestClient, twilio_api: FakeTwilioApi
) -> None:
    queue = specialists(app).queue
    petro = staff(app, "petro-gone", phone="+380441234567")
    gone_sid, ok_sid = "CA" + "ef" * 16, "CA" + "12" * 16
    gone, waiting = phone_call(app, gone_sid), phone_call(app, ok_sid)
    twilio_api.gone.add(gone_sid)
    petro.post("/api/operator/state", {"state": "available"})
    refused = petro.post(f"/api/operator/offers/{gone}/accept")
    assert refused.status_code == 409 and "hung up" in refused.json()["message"]
    assert queue.store.entry(gone).state is EntryState.CLOSED
    assert queue.store.operator(petro.id).state.value == "available"

    queue.dispatch()
    twilio_api.fail_next(503, 20500, "Service unavailable")
    failed = petro.post(f"/api/operator/offers/{waiting}/accept")
    assert failed.status_code == 502 and failed.json()["message"].startswith("the call could not be connected")
    assert queue.store.entry(waiting).state is EntryState.WAITING and queue.held_by(waiting) is None
    queue.dispatch()
    assert petro.post(f"/api/operator/offers/{waiting}/accept").status_code == 200  # and now it works
    with app.app.state.parts.sessions() as session:  # type: ignore[attr-defined]
        events = session.scalars(select(QueueEvent.event).where(QueueEvent.conversation_id == gone)).all()
    assert events[-1] == "abandoned"


def test_two_operators_accepting_one_conversation_at_once_only_one_gets_it(app: TestClient) -> None:
    olena, petro = staff(app, "olena-race"), staff(app, "petro-race")
    session_id = asks_for_a_person(app)
    olena.post("/api/operator/state", {"state": "available"})
    petro.post("/api/operator/state", {"state": "available"})
    start = threading.Barrier(2)
    results: dict[str, int] = {}

    def accept(name: str, who: StaffClient) -> None:
        start.wait()
        results[name] = who.post(f"/api/operator/offers/{session_id}/accept").status_code

    racers = [threading.Thread(target=accept, args=pair) for pair in (("olena", olena), ("petro", petro))]
    for racer in racers:
        racer.start()
    for racer in racers:
        racer.join()
    assert sorted(results.values()) == [200, 409]
    assert specialists(app).queue.held_by(session_id) in {olena.id, petro.id}


def test_the_console_speaks_ukrainian_and_russian(app: TestClient) -> None:
    olena = staff(app, "olena-lang")
    assert "Консоль фахівця" in olena.get("/operator?lang=uk").text
    page = olena.get("/operator?lang=ru").text
    assert "Консоль специалиста" in page and "Принимать обращения" in page and "Итог обращения" in page


def test_starting_again_rebuilds_what_redis_lost(app: TestClient) -> None:
    session_id = asks_for_a_person(app)
    parts = app.app.state.parts  # type: ignore[attr-defined]
    store = specialists(app).queue.store
    for key in store.client.scan_iter(f"{store.prefix}:sq:*"):
        store.client.delete(key)  # this line's keys only: other test runs share the server
    assert store.entry(session_id) is None
    # What the app's start does (the whole app is not started twice here: one Redis prefix, one line).
    again = runtime.build(
        parts.settings, parts.sessions, parts.redis, parts.dialogue, parts.office_hours, parts.office.policy
    )
    parts.dialogue.handoff_listeners.remove(again.queue.on_handoff)
    anyio.run(again.aclose)
    assert store.entry(session_id).state is EntryState.WAITING
    assert specialists(app).queue.wait_figures(session_id)[0] == 1
