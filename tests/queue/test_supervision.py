"""What supervisors are told, on a real Redis and a real database (SQLite and PostgreSQL): a conversation on
offer still waits in every figure; a queue nobody on shift may take is flagged with since when; the
wallboard's alarms follow the admins' thresholds; each operator's day; the whisper and the live streams
need the right role."""

from __future__ import annotations

import anyio
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from starlette.websockets import WebSocketDisconnect

from hotline import users
from hotline.db import transaction
from hotline.office_hours import QueuePolicy
from hotline.users import Role
from specialist_queue import wallboard
from specialist_queue.desk import Desk
from specialist_queue.figures import QueueFigures
from specialist_queue.model import OperatorState
from specialist_queue.service import SpecialistQueue
from tests.queue.conftest import PUBLIC_URL, conversation, staff
from tests.queue.test_operator_api import asks_for_a_person, specialists

T = 1_800_000_000.0


def operator(sessions: sessionmaker[Session], name: str, *, skills: list[str], languages: list[str]) -> int:
    with transaction(sessions) as session:
        user = users.create(session, username=name, password="s3cret-pass", role=Role.OPERATOR)
        user.skills, user.languages, user.display_name = skills, languages, name.title()
        return user.id


def test_a_conversation_on_offer_still_waits_in_every_figure(
    queue: SpecialistQueue, desk: Desk, sessions: sessionmaker[Session]
) -> None:
    olena = operator(sessions, "olena", skills=["subsidies"], languages=["uk"])
    first, second = conversation(sessions), conversation(sessions)
    queue.enqueue(first, skill="subsidies", lang="uk", now=T)
    queue.enqueue(second, skill="subsidies", lang="uk", now=T + 10)
    desk.set_state(olena, OperatorState.AVAILABLE, now=T + 30)  # the first is offered to her
    [figures] = queue.figures(now=T + 40)
    assert (figures.waiting, figures.offered, figures.longest_wait) == (2, 1, 40.0)
    assert queue.wait_figures(first, now=T + 40) == (1, 300) and queue.wait_figures(second, now=T + 40)[0] == 2
    anyio.run(lambda: desk.accept(olena, first, now=T + 45))
    [figures] = queue.figures(now=T + 50)
    assert (figures.waiting, figures.offered, figures.longest_wait) == (1, 0, 40.0)
    assert queue.wait_figures(second, now=T + 50)[0] == 1


def test_a_queue_nobody_on_shift_may_take_is_flagged_with_since_when(
    queue: SpecialistQueue, desk: Desk, sessions: sessionmaker[Session]
) -> None:
    olena = operator(sessions, "olena", skills=["subsidies"], languages=["uk"])
    ivan = operator(sessions, "ivan", skills=["disability_care"], languages=["ru"])
    desk.set_state(olena, OperatorState.AVAILABLE, now=T)
    russian = conversation(sessions)
    queue.enqueue(russian, skill="disability_care", lang="ru", now=T + 5)  # a Russian disability question
    assert queue.unserved_since(russian) == T + 5  # only a Ukrainian subsidies operator is on shift
    [flagged] = [f for f in queue.figures(now=T + 65) if f.queue == "disability_care:ru"]
    assert flagged.unserved_since == T + 5 and wallboard.alarms(flagged, QueuePolicy()) == ["unserved"]
    desk.set_state(ivan, OperatorState.PAUSED, reason="lunch", now=T + 70)  # there is one, but on a break
    assert queue.unserved_since(russian) == T + 70
    desk.set_state(ivan, OperatorState.AVAILABLE, now=T + 80)  # back: he is offered it, nothing to flag
    assert queue.unserved_since(russian) is None
    assert all(f.unserved_since is None for f in queue.figures(now=T + 85))

    # An emergency may go to anyone speaking its language, whatever their skills.
    urgent = conversation(sessions)
    queue.enqueue(urgent, skill="crisis", lang="uk", priority="emergency", now=T + 90)  # Olena is offered it
    assert queue.unserved_since(urgent) is None
    desk.set_state(olena, OperatorState.OFFLINE, now=T + 95)  # gives it back, and nobody speaking uk is left
    assert queue.unserved_since(urgent) == T + 95


def _figures(**changed: object) -> QueueFigures:
    quiet = QueueFigures("subsidies:uk", 0, 0, 0.0, 0, 1, 1, 0, None, 0)
    return QueueFigures(**{**quiet.__dict__, **changed})  # type: ignore[arg-type]


def test_the_wallboard_s_alarms_follow_the_admins_thresholds() -> None:
    policy = QueuePolicy(alert_waiting=3, alert_wait_seconds=60, alert_service_level_percent=80)
    assert wallboard.alarms(_figures(), policy) == []
    assert wallboard.alarms(_figures(waiting=4, longest_wait=61.0), policy) == ["waiting", "longest"]
    assert wallboard.alarms(_figures(waiting=3, longest_wait=60.0), policy) == []  # at the threshold: not crossed
    assert wallboard.alarms(_figures(service_level=0.79), policy) == ["service_level"]
    assert wallboard.alarms(_figures(service_level=0.8, waiting=1, unserved_since=T), policy) == ["unserved"]


def test_each_operator_s_day_on_the_wallboard(
    queue: SpecialistQueue, desk: Desk, sessions: sessionmaker[Session]
) -> None:
    olena = operator(sessions, "olena", skills=[], languages=[])
    petro = operator(sessions, "petro", skills=[], languages=[])
    start = T
    desk.set_state(olena, OperatorState.AVAILABLE, now=start)
    for n, handled in enumerate((60, 120)):
        chat = conversation(sessions)
        at = start + 200 * n
        queue.enqueue(chat, skill="subsidies", lang="uk", now=at)
        anyio.run(lambda chat=chat, at=at: desk.accept(olena, chat, now=at + 1))
        desk.close(olena, chat, now=at + 1 + handled)
        desk.wrap_up(olena, chat, disposition="other", note="", now=at + 2 + handled)
    desk.set_state(petro, OperatorState.PAUSED, reason="training", now=start + 500)
    board = wallboard.build(queue, now=start + 550)
    rows = {row["name"]: row for row in board["operators"]}
    assert rows["Olena"]["handled"] == 2 and rows["Olena"]["average_handling"] == 90.0
    assert rows["Olena"]["state"] == "available" and rows["Petro"]["state"] == "paused"
    assert (rows["Petro"]["reason"], rows["Petro"]["handled"], rows["Petro"]["average_handling"]) == (
        "training",
        0,
        None,
    )
    assert board["thresholds"] == {"waiting": 5, "wait_seconds": 120, "service_level_percent": 80}


def test_an_operator_on_the_wallboard_reads_why_not_in_the_page_s_language(app: TestClient) -> None:
    olena = staff(app, "olena-refused")
    refused = olena.get("/supervisor")
    assert refused.status_code == 403 and refused.headers["content-type"].startswith("text/html")
    page = refused.text
    assert '<html lang="uk">' in page and "Немає доступу" in page and "Ваша роль не дає змоги" in page
    assert 'href="/operator"' in page and 'href="/login?next=/supervisor"' in page
    assert "your role" not in page  # the English sentence of old
    russian = olena.get("/supervisor?lang=ru").text
    assert '<html lang="ru">' in russian and "Ваша роль не позволяет" in russian and "Войти как другой" in russian
    app.cookies.clear()
    for page_path in ("/supervisor", "/operator", "/operator/search", "/operator/cases"):
        anonymous = app.get(page_path, follow_redirects=False)  # every staff page's one door: log in first
        assert (anonymous.status_code, anonymous.headers["location"]) == (303, f"/login?next={page_path}")


def test_the_supervisor_s_api_needs_the_role_and_a_held_conversation(app: TestClient) -> None:
    olena = staff(app, "olena-sup")
    svitlana = staff(app, "svitlana-sup", role=Role.SUPERVISOR)
    assert olena.get("/api/supervisor/wallboard").status_code == 403
    assert olena.get("/supervisor").status_code == 403
    assert svitlana.get("/supervisor").status_code == 200
    board = svitlana.get("/api/supervisor/wallboard").json()
    assert set(board) == {"now", "thresholds", "queues", "operators"}

    session_id = asks_for_a_person(app)
    path = f"/api/supervisor/conversations/{session_id}/whisper"
    assert svitlana.post(path, {"text": "Підкажіть про пільги"}).status_code == 409  # nobody holds it yet
    olena.post("/api/operator/state", {"state": "available"})
    assert olena.post(f"/api/operator/offers/{session_id}/accept").status_code == 200
    assert olena.post(path, {"text": "я не старший"}).status_code == 403
    assert svitlana.client.post(path, json={"text": "без токена"}).status_code == 403
    assert svitlana.post(path, {"text": "  "}).status_code == 422
    assert svitlana.post(path, {"text": "x" * 1001}).status_code == 422
    whispered = svitlana.post(path, {"text": "Підкажіть про пільги"})
    assert whispered.status_code == 201 and whispered.json()["sender"] == "whisper"
    held = olena.get(f"/api/operator/conversations/{session_id}").json()
    assert [m["sender"] for m in held["messages"]] == ["whisper"]
    assert specialists(app).queue.held_by(session_id) == olena.id  # the citizen's side is untouched:
    assert app.post(f"/api/chat/sessions/{session_id}/messages", json={"text": "Алло?"}).json()["replies"] == []

    with svitlana.client.websocket_connect("/api/supervisor/live", headers={"origin": PUBLIC_URL}) as ws:
        assert ws.receive_json()["type"] == "wallboard"
    with svitlana.client.websocket_connect(
        f"/api/supervisor/conversations/{session_id}/live", headers={"origin": PUBLIC_URL}
    ) as ws:
        assert ws.receive_json() == {"type": "status", "state": "connected", "operator": "olena-sup"}
        assert [ws.receive_json()["text"] for _ in range(2)] == ["Підкажіть про пільги", "Алло?"]
    for path in ("/api/supervisor/live", f"/api/supervisor/conversations/{session_id}/live"):
        with (
            pytest.raises(WebSocketDisconnect),
            olena.client.websocket_connect(path, headers={"origin": PUBLIC_URL}) as ws,
        ):
            ws.receive_json()
    with olena.client.websocket_connect("/api/operator/alerts", headers={"origin": PUBLIC_URL}) as ws:
        alert = ws.receive_json()
        assert alert["type"] == "alert" and alert["operator"]["state"] == "busy" and alert["offer"] is None
