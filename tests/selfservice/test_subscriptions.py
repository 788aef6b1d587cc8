"""Subscribing on Viber and Telegram through the whole app (signed callbacks and webhook updates, replies read at
the fake Viber and Bot APIs): the topics an admin defined, "стоп" at any time in both languages, Viber's own
unsubscribe and a Telegram block, repeated callbacks and updates, and the counts per topic, channel and language
in the statistics."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from selfservice import topics
from tests.fakes.telegram_api import FakeTelegramApi, Received
from tests.fakes.viber_api import FakeViberApi
from tests.selfservice.conftest import log_in_admin, new_topic, sessions_of
from tests.telegram import conftest as telegram
from tests.viber.conftest import button_bodies, conversation_started, new_user, post, text_message, token


def _say(client: TestClient, fake: FakeViberApi, user: dict[str, Any], text: str) -> dict[str, Any]:
    """The citizen writes (or presses a button: its ActionBody comes back as text); our one reply."""
    before = len(fake.sent_to(user["id"]))
    assert post(client, text_message(user, text)).status_code == 200
    replies = fake.wait_for(user["id"], before + 1)
    assert len(replies) == before + 1
    return replies[-1]


def _mine(client: TestClient, user: dict[str, Any], channel: str = "viber") -> set[int]:
    with sessions_of(client)() as session:
        return topics.subscribed(session, channel=channel, recipient=str(user["id"]))


def _tell(client: TestClient, fake: FakeTelegramApi, user: dict[str, Any], update: dict[str, Any]) -> Received:
    """Telegram delivers the citizen's update (a message, a press); our newest message to them, once it is sent."""
    before = len(fake.texts(user["id"]))
    assert telegram.post(client, update).status_code == 200
    return fake.wait_for(before + 1, chat_id=user["id"])[-1]


def _wrote(client: TestClient, fake: FakeTelegramApi, user: dict[str, Any], text: str) -> str:
    return _tell(client, fake, user, telegram.text_update(user, text)).text


def test_a_citizen_subscribes_to_topics_and_stops_at_any_time(line: TestClient, fake_viber: FakeViberApi) -> None:
    csrf = log_in_admin(line)
    fraud = new_topic(line, csrf, "Попередження про шахраїв", "Предупреждения о мошенниках")
    dates = new_topic(line, csrf, "Строки виплат", "Сроки выплат")
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
    slug = new_topic(line, csrf, "Нові види допомоги", "Новые виды помощи")
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
    slug = new_topic(line, csrf, "Субсидії", "Субсидии")
    for language in ("uk", "uk", "ru"):
        user = new_user(language)
        post(line, conversation_started(user))
        _say(line, fake_viber, user, f"sub:{slug}")
    counts = line.get("/api/admin/stats").json()["subscribers"]
    mine = {(c["channel"], c["lang"]): c["subscribers"] for c in counts if c["topic"] == slug}
    assert mine == {("viber", "uk"): 2, ("viber", "ru"): 1}
    page = line.get("/admin/stats").text
    assert f'<tr data-topic="{slug}" data-channel="viber" data-lang="uk"><td><code>{slug}</code></td>' in page


def test_a_telegram_citizen_subscribes_and_stops_at_any_time(line: TestClient, fake_telegram: FakeTelegramApi) -> None:
    csrf = log_in_admin(line)
    fraud = new_topic(line, csrf, "Попередження про шахраїв", "Предупреждения о мошенниках")
    dates = new_topic(line, csrf, "Строки виплат", "Сроки выплат")
    user = telegram.new_user("uk")
    assert telegram.post(line, telegram.start(user)).status_code == 200
    welcome = fake_telegram.wait_for(1, chat_id=user["id"])
    assert "напишіть «підписатися»" in welcome[-1].text

    listed = _tell(line, fake_telegram, user, telegram.text_update(user, "Підписатися"))
    assert "Про що вам повідомляти?" in listed.text
    assert {f"sub:{fraud}", f"sub:{dates}"} <= set(telegram.buttons(listed.body))
    done = _tell(line, fake_telegram, user, telegram.press(user, f"sub:{fraud}"))
    assert "Ви підписалися на тему «Попередження про шахраїв»" in done.text
    assert {f"unsub:{fraud}", "unsubscribe"} <= set(telegram.buttons(done.body))
    # Telegram delivers an update again when it got no 200 in time: the same press changes nothing more.
    again = telegram.press(user, f"sub:{dates}")
    assert telegram.post(line, again).status_code == 200 and telegram.post(line, again).status_code == 200
    assert len(_mine(line, user, "telegram")) == 2 and _mine(line, user) == set()  # Telegram's, not Viber's

    unsubscribed = _tell(line, fake_telegram, user, telegram.press(user, f"unsub:{dates}"))
    assert "Ви відписалися від теми «Строки виплат»" in unsubscribed.text
    assert _wrote(line, fake_telegram, user, "СТОП!").startswith("Ви відписалися від усіх розсилок.")
    assert _mine(line, user, "telegram") == set()
    # "стоп" from someone with no subscription is the dialogue's (it stops a questionnaire there).
    assert "Ви відписалися" not in _wrote(line, fake_telegram, user, "стоп")
    assert "У вас немає підписок" in _wrote(line, fake_telegram, user, "відписатися")


def test_a_russian_telegram_citizen_and_a_block_drop_the_subscriptions(
    line: TestClient, fake_telegram: FakeTelegramApi
) -> None:
    csrf = log_in_admin(line)
    slug = new_topic(line, csrf, "Нові види допомоги", "Новые виды помощи")
    user = telegram.new_user("ru")
    assert "О чём вам сообщать?" in _wrote(line, fake_telegram, user, "подписаться")
    subscribed = _tell(line, fake_telegram, user, telegram.press(user, f"sub:{slug}")).text
    assert "Вы подписались на тему «Новые виды помощи»" in subscribed and "Отписаться — словом «стоп»" in subscribed
    assert "отписались от всех" in _wrote(line, fake_telegram, user, "/stop")
    _tell(line, fake_telegram, user, telegram.press(user, f"sub:{slug}"))
    assert _mine(line, user, "telegram")
    assert telegram.post(line, telegram.member(user, "kicked")).status_code == 200  # the citizen blocked the bot
    assert _mine(line, user, "telegram") == set()
