"""The questionnaire in the tree editor through the whole app: edit it as the page posts it, be told what
blocks publishing in the page's language, try it on sample answers, publish it, see the chat follow."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from fastapi.testclient import TestClient

from hotline import users
from hotline.admin import screening_form
from hotline.admin.editor import EditError
from hotline.db import transaction
from intents.pack import DEMO_PACK, load_pack
from tests.helpers import staff_login

PAGE = "/admin/tree/screening?node=benefit_screening"
ACTION = "/admin/tree/screening/benefit_screening"
PASSWORD = "s3cret-pass"
QUESTIONNAIRE = load_pack(DEMO_PACK).screenings["benefit_screening"]


@pytest.fixture
def admin(client: TestClient) -> TestClient:
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        users.create(session, username="anna", password=PASSWORD, role=users.Role.ADMIN)
    assert staff_login(client, "anna", PASSWORD).status_code == 303
    return client


def form_of(html: str, action: str = ACTION) -> dict[str, str]:
    """Every field the page's form would post (as a browser does), without a button's value."""
    form = next(f for f in lxml.html.fromstring(html).forms if f.action == action)
    return {name: value for name, value in form.form_values()}


def post(client: TestClient, fields: dict[str, str], op: str = "save") -> Any:
    return client.post(ACTION, data={**fields, "op": op}, follow_redirects=True)


def test_the_page_shows_the_questionnaire_and_saving_it_unchanged_changes_nothing(admin: TestClient) -> None:
    page = admin.get(PAGE)
    assert page.status_code == 200
    assert "Скільки людей у вашій родині" in page.text and "household &gt;= 2 or household = unknown" in page.text
    saved = post(admin, form_of(page.text))
    assert "Опитування збережено в чернетці." in saved.text
    tree = admin.get("/api/admin/tree").json()
    assert tree["problems"] == []
    assert "Неопубліковані зміни" not in admin.get("/admin/tree").text  # the same questionnaire: nothing to publish


def test_edits_go_to_the_draft_and_a_broken_rule_is_named_in_ukrainian(admin: TestClient) -> None:
    fields = form_of(admin.get(PAGE).text)
    fields["q0_uk_text"] = "Скільки вас у родині?"
    rule = int(fields["measures"]) - 1  # the blank last row adds a rule
    fields.update({f"m{rule}_intent": "one_time_aid", f"m{rule}_when": "kids >= 3", f"m{rule}_uk_why": "бо так"})
    page = post(admin, fields)
    assert "Скільки вас у родині?" in page.text
    assert "one_time_aid: kids &gt;= 3: такого питання немає серед поставлених раніше." in page.text
    assert "опитування: «one_time_aid» не написано мовою ru." in page.text
    publish = admin.get("/admin/publish").text
    assert "такого питання немає" in publish
    assert 'disabled' in publish.split('action="/admin/publish"')[1].split("</form>")[0]
    audit = admin.get("/admin/audit").text
    assert "Дерево: змінено опитування" in audit


def test_rows_are_added_moved_and_deleted(admin: TestClient) -> None:
    page = post(admin, form_of(admin.get(PAGE).text), op="add_question")
    assert "question_1" in page.text
    fields = form_of(page.text)
    last = int(fields["questions"]) - 1
    assert fields[f"q{last}_id"] == "question_1"
    page = post(admin, fields, op=f"up_question:{last}")
    fields = form_of(page.text)
    assert fields[f"q{last - 1}_id"] == "question_1"
    page = post(admin, fields, op=f"delete_question:{last - 1}")
    assert "question_1" not in page.text
    page = post(admin, form_of(page.text), op="delete_measure:0")
    assert form_of(page.text)["m0_intent"] == "large_family"  # the first rule (birth_grant) is gone


def test_a_form_it_cannot_hold_is_refused_with_the_field(admin: TestClient) -> None:
    fields = form_of(admin.get(PAGE).text)
    refused = admin.post(ACTION, data={**fields, "q0_max": "twenty", "op": "save"}, follow_redirects=False)
    assert refused.status_code == 400
    assert "q0_max" in refused.text
    refused = admin.post(ACTION, data={**fields, "q0_id": "Household!", "op": "save"}, follow_redirects=False)
    assert refused.status_code == 400


def test_trying_sample_answers_runs_the_engine(admin: TestClient) -> None:
    tried = admin.get(PAGE + "&s_household=4&s_has_children=yes&s_children=3&s_child_under_3=no").text
    assert "Чи є серед них дитина, молодша за 3 роки?" in tried
    assert "Далі робот чекає відповіді на: Ви виховуєте дітей самі" in tried
    samples = "&".join(
        f"s_{q}={a}"
        for q, a in [
            ("household", "4"), ("has_children", "yes"), ("children", "3"), ("child_under_3", "no"),
            ("single_parent", "no"), ("income", "below"), ("disability", "no"), ("idp", "no"),
            ("veteran", "no"), ("housing", "fine"),
        ]
    )  # fmt: skip
    done = admin.get(f"{PAGE}&{samples}").text
    assert "За вашими відповідями ваша родина, ймовірно, може мати право на таке." in done
    assert "• Багатодітні сім&#39;ї — родина з трьома і більше дітьми" in done
    assert "Обговорити з фахівцем" in done
    wrong = admin.get(PAGE + "&s_household=200").text
    assert "«200» — не відповідь на це питання" in wrong


def test_only_a_benefit_screening_intent_has_a_questionnaire(admin: TestClient) -> None:
    assert admin.get("/admin/tree/screening?node=birth_grant").status_code == 404
    token = form_of(admin.get(PAGE).text)["csrf_token"]
    refused = admin.post("/admin/tree/screening/birth_grant/create", data={"csrf_token": token})
    assert refused.status_code == 400


def test_delete_create_and_publish_reach_the_chat(admin: TestClient) -> None:
    token = form_of(admin.get(PAGE).text)["csrf_token"]
    admin.post(f"{ACTION}/delete", data={"csrf_token": token})
    assert "Створити опитування" in admin.get(PAGE).text
    admin.post(f"{ACTION}/create", data={"csrf_token": token})
    fields = form_of(admin.get(PAGE).text)
    assert fields["q0_id"] == "question_1"
    fields.update(
        {
            "uk_intro": "Два слова.", "ru_intro": "Два слова.",
            "uk_result": "Вам підходить:", "ru_result": "Вам подходит:",
            "uk_none": "Нічого.", "ru_none": "Ничего.",
            "uk_disclaimer": "Вирішує фахівець.", "ru_disclaimer": "Решает специалист.",
            "q0_uk_text": "Ви переселенець?", "q0_ru_text": "Вы переселенец?",
            "m0_intent": "idp_allowance", "m0_when": "question_1 = yes",
            "m0_uk_why": "для ВПО.", "m0_ru_why": "для ВПЛ.",
        }
    )  # fmt: skip
    post(admin, fields)
    published = admin.post("/admin/publish", data={"csrf_token": token, "note": "коротке опитування"})
    assert published.status_code == 200 and "коротке опитування" in published.text
    session = admin.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]
    first = admin.post(f"/api/chat/sessions/{session}/messages", json={"button": "benefit_screening"}).json()
    assert first["replies"][0]["text"] == "Два слова. Ви переселенець?"
    result = admin.post(f"/api/chat/sessions/{session}/messages", json={"button": "answer:yes"}).json()
    assert result["replies"][0]["text_long"].startswith("Вам підходить:\n\n• Допомога на проживання ВПО — для ВПО.")


def test_the_form_reader_drops_blank_rows_and_knows_its_operations() -> None:
    fields = {"questions": "1", "q0_id": "", "measures": "1", "m0_intent": ""}
    assert screening_form.read("benefit_screening", fields).questions == ()
    with pytest.raises(EditError):
        screening_form.apply(QUESTIONNAIRE, "explode:1")
    with pytest.raises(EditError):
        screening_form.read("benefit_screening", {"questions": "9999"})
    same = screening_form.apply(QUESTIONNAIRE, "delete_question:99")  # a row that is not there: nothing
    assert same == QUESTIONNAIRE


def test_statistics_count_questionnaires_and_measures_not_people(admin: TestClient) -> None:
    for _ in range(2):
        session = admin.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]
        path = f"/api/chat/sessions/{session}/messages"
        admin.post(path, json={"button": "benefit_screening"})
        admin.post(path, json={"text": "1"})
        for answer in ("below", "no", "no", "no", "hard"):
            admin.post(path, json={"button": f"answer:{answer}"})
    figures = admin.get("/api/admin/stats").json()["screening"]
    assert figures == {
        "started": {"web": 2},
        "completed": {"web": 2},
        "suggested": {"low_income_aid": 2, "housing_subsidy_apply": 2},
    }
    page = admin.get("/admin/stats").text
    assert "Дійшли до результату" in page and 'data-intent="low_income_aid"' in page
