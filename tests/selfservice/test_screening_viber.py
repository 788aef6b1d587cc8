"""The screening questionnaire on Viber through the whole app: signed callbacks, the questions and the result
read at the fake Viber API, answers by typing and by the keyboard's buttons, and a specialist at the end
with the answers kept for the operator's screen (and only then)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline.conversation_log import Conversation, ConversationEvent
from tests.fakes.viber_api import FakeViberApi
from tests.selfservice.conftest import sessions_of
from tests.viber.conftest import conversation_started, new_user, post, text_message


def _reply(client: TestClient, fake: FakeViberApi, user: dict[str, Any], text: str) -> dict[str, Any]:
    before = len(fake.sent_to(user["id"]))
    assert post(client, text_message(user, text)).status_code == 200
    sent = fake.wait_for(user["id"], before + 1)
    assert len(sent) > before, f"no answer to {text!r}"
    return sent[-1]


def _press(client: TestClient, fake: FakeViberApi, user: dict[str, Any], shown: dict[str, Any], label: str) -> Any:
    """Press the button labelled `label` on the last message's keyboard: Viber sends back its ActionBody."""
    bodies = {b["Text"]: b["ActionBody"] for b in shown["keyboard"]["Buttons"]}
    assert label in bodies, f"{label!r} not among {list(bodies)}"
    return _reply(client, fake, user, bodies[label])


def test_a_family_goes_through_the_questionnaire_on_viber(line: TestClient, fake_viber: FakeViberApi) -> None:
    user = new_user("uk")
    post(line, conversation_started(user))
    shown = _reply(line, fake_viber, user, "benefit_screening")
    assert "Скільки людей у вашій родині" in shown["text"]
    shown = _reply(line, fake_viber, user, "нас п'ятеро")
    assert "Чи є у родині діти до 18 років?" in shown["text"]
    shown = _press(line, fake_viber, user, shown, "Так")
    wrong = _reply(line, fake_viber, user, "багато")
    assert wrong["text"].endswith("Назвіть число, наприклад: «двоє» або 2.")
    shown = _reply(line, fake_viber, user, "3")
    for label in ("Ні", "Ні", "Менший за прожитковий мінімум", "Так, дитина", "Так", "Ні", "Ні"):
        shown = _press(line, fake_viber, user, shown, label)
    result = _press(line, fake_viber, user, shown, "Важко, субсидії немає")
    assert result["text"].startswith("За вашими відповідями ваша родина, ймовірно, може мати право на таке.")
    assert "Це попередня оцінка, а не рішення." in result["text"]
    measure = _press(line, fake_viber, user, result, "Багатодітні сім'ї")
    assert "багатодітн" in measure["text"].lower()
    with sessions_of(line)() as session:
        conversation_id = session.scalars(select(Conversation.id).where(Conversation.external_id == user["id"])).one()
        kinds = list(
            session.scalars(select(ConversationEvent.kind).where(ConversationEvent.conversation_id == conversation_id))
        )
    assert "screening_answers" not in kinds  # nothing kept unless it goes to a specialist
    back = _press(line, fake_viber, user, measure, "Назад")
    assert back["text"].startswith("За вашими відповідями")
    _press(line, fake_viber, user, back, "Фахівець")  # Viber's keyboard keeps its own "person" button
    with sessions_of(line)() as session:
        answers = session.scalars(
            select(ConversationEvent).where(
                ConversationEvent.conversation_id == conversation_id, ConversationEvent.kind == "screening_answers"
            )
        ).one()
    assert len(answers.data["answers"]) == 11
