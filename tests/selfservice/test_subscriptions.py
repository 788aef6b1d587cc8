"""Subscribing on Viber through the whole app (signed callbacks, replies read at the fake Viber API): the topics
an admin defined, "стоп" at any time in both languages, Viber's own unsubscribe, repeated callbacks, and the
counts per topic, channel and language in the statistics."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from selfservice import topics
from tests.fakes.viber_api import FakeViberApi
from tests.selfservice.conftest import log_in_admin, sessions_of
from tests.viber.conftest import button_bodies, conversation_started, new_user, post, text_message, token


def _topic(client: TestClient, csrf: str, uk: str, ru: str) -> str:
    slug = f"t_{uuid.uuid4().hex[:8]}"
    form = {"csrf_token": csrf, "slug": slug, "title_uk": uk, "title_ru": ru}
    assert client.post("/admin/topics", data=form, follow_redirects=False).status_code == 303
    return slug


def _say(client: TestClient, fake: FakeViberApi, user: dict[str, Any], text: str) -> dict[str, Any]:
    """The citizen writes (or presses a button: its ActionBody comes back as text); our one reply."""
    before = len(fake.sent_to(user["id"]))
    assert post(client, text_message(user, text)).status_code == 200
    replies = fake.wait_for(user["id"], before + 1)
    assert len(replies) == before + 1
    return replies[-1]


def _mine(client: TestClient, user: dict[str, Any]) -> set[int]:
    with sessions_of(client)() as session:
        return topics.subscribed(session, channel="viber", recipient=user["id"])


def test_a_citizen_subscribes_to_topics_and_stops_at_any_time(line: TestClient, fake_viber: FakeViberApi) -> None:
    csrf = log_in_admin(line)
    fraud = _topic(line, csrf, "Попередження про шахраїв", "Предупреждения о мошенниках")
    dates = _topic(line, csrf, "Строки виплат", "Сроки выплат")
    user = new_user("uk")
    welcome = post(line, conversation_started(user)).json()
    assert "напишіть «підписатися»" in welcome["text"]

    listed = _say(line, fake_viber, user, "Підписатися")
    assert "Про що вам повідомляти?" in listed["text"]
    assert {f"sub:{fraud}", f"sub:{dates}"} <= set(button_bodies(listed))
    done = _say(line, fake_viber, user, f"sub:{fraud}")
    assert "Ви підписалися на тему «Попередження про шахраїв»" in done["text"]
    assert f"unsub:{fraud}" in button_bodies(done) and "unsubscribe" in button_bodies(done)
    # Viber repeats a callback it got no 200 for: the same press changes nothing more, and is answered once.
    again = text_message(user, f"sub:{dates}")
    assert post(line, again).status_code == 200 and post(line, again).status_code == 200
    assert len(_mine(line, user)) == 2

    stopped = _say(line, fake_viber, user, "СТОП!")
    assert stopped["text"].startswith("Ви відписалися від усіх розсилок.")
    assert _mine(line, user) == set()
    # "стоп" from someone with no subscription is the dialogue's (it stops a questionnaire there).
    assert "Ви відписалися" not in _say(line, fake_viber, user, "стоп")["text"]
    assert "У вас немає підписок" in _say(line, fake_viber, user, "відписатися")["text"]


def test_russian_words_and_viber_unsubscribe_drop_the_subscriptions(line: TestClient, fake_viber: FakeViberApi) -> None:
    csrf = log_in_admin(line)
    slug = _topic(line, csrf, "Нові види допомоги", "Новые виды помощи")
    user = new_user("ru")
    post(line, conversation_started(user))
    assert "О чём вам сообщать?" in _say(line, fake_viber, user, "подписаться")["text"]
    assert "Вы подписались на тему «Новые виды помощи»" in _say(line, fake_viber, user, f"sub:{slug}")["text"]
    assert "отписались от всех" in _say(line, fake_viber, user, "отписаться")["text"]
    _say(line, fake_viber, user, f"sub:{slug}")
    event = {"event": "unsubscribed", "timestamp": 1457764197627, "user_id": user["id"], "message_token": token()}
    assert post(line, event).status_code == 200
    assert _mine(line, user) == set()


def test_subscribers_are_counted_per_topic_channel_and_language(line: TestClient, fake_viber: FakeViberApi) -> None:
    csrf = log_in_admin(line)
    slug = _topic(line, csrf, "Субсидії", "Субсидии")
    for language in ("uk", "uk", "ru"):
        user = new_user(language)
        post(line, conversation_started(user))
        _say(line, fake_viber, user, f"sub:{slug}")
    counts = line.get("/api/admin/stats").json()["subscribers"]
    mine = {(c["channel"], c["lang"]): c["subscribers"] for c in counts if c["topic"] == slug}
    assert mine == {("viber", "uk"): 2, ("viber", "ru"): 1}
    page = line.get("/admin/stats").text
    assert f'<tr data-topic="{slug}" data-channel="viber" data-lang="uk"><td><code>{slug}</code></td>' in page
