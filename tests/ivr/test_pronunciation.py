"""How the phone's voice says abbreviations and numbers: the built-in forms, phone numbers digit by digit,
the admins' table (page, audit, heard on the line), applied to every <Say> and never to chat text."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from hotline import users
from hotline.admin.models import AuditEntry
from hotline.db import transaction
from hotline.deps import Parts
from hotline.pronunciation import Entry, Pronouncer
from ivr import twiml
from ivr.line import phone_of
from tests.helpers import chat, staff_login
from tests.ivr.phone import Phone

PASSWORD = "s3cret-pass"


@pytest.mark.parametrize(
    ("lang", "written", "said"),
    [
        ("uk", "Пільги для УБД і ВПО", "Пільги для у-бе-де і ве-пе-о"),
        ("uk", "у ЦНАП або до ЦНАПу, у ПФУ, РНОКПП", "у цнап або до цнапу, у пе-еф-у, ер-ен-о-ка-пе-пе"),
        (
            "ru",
            "Льготы для УБД, ВПО, ЦНАП, ПФУ, РНОКПП",
            "Льготы для у-бэ-дэ, вэ-пэ-о, цнап, пэ-эф-у, эр-эн-о-ка-пэ-пэ",
        ),
        ("uk", "Лінія 0 800 500 335.", "Лінія нуль, вісім нуль нуль, п'ять нуль нуль, три три п'ять."),
        ("ru", "+380 (61) 222-33-44", "плюс три восемь ноль, шесть один, два два два, три три, четыре четыре"),
        ("uk", "лінія 7333, або 116 123", "лінія сім три три три, або один один шість, один два три"),
        # Amounts, years and the emergency numbers are numbers, not phone numbers to spell.
        ("uk", "2 100 гривень у 2025 році, телефонуйте 112", "2 100 гривень у 2025 році, телефонуйте 112"),
        ("uk", "ВПОшник", "ВПОшник"),  # another word
    ],
)
def test_the_voice_says_abbreviations_and_phone_numbers_as_people_do(lang: str, written: str, said: str) -> None:
    assert Pronouncer().say(written, lang) == said


def test_the_office_s_own_rows_extend_and_override_the_built_in_ones() -> None:
    own = Pronouncer([Entry("uk", "УБД", "учасників бойових дій"), Entry("uk", "грн", "гривень")])
    assert own.say("Пільги для УБД: 500 грн, ВПО", "uk") == "Пільги для учасників бойових дій: 500 гривень, ве-пе-о"
    assert own.say("Льготы для УБД", "ru") == "Льготы для у-бэ-дэ"  # a row is for its own language


def test_only_the_text_of_each_say_changes_and_a_document_without_any_stays_as_it_was() -> None:
    urls = twiml.Urls("https://hotline.example.org")
    document = twiml.enqueue(["Довідка ВПО: 0 800 500 335."], "uk", "idp", urls).to_xml()
    spoken = twiml.spoken(document, Pronouncer())
    assert spoken == document.replace(
        "ВПО: 0 800 500 335", "ве-пе-о: нуль, вісім нуль нуль, п'ять нуль нуль, три три п'ять"
    )
    plain = twiml.goodbye(["Дякуємо за дзвінок."], "uk").to_xml()
    assert twiml.spoken(plain, Pronouncer()) is plain


def _admin(client: TestClient, username: str) -> str:
    with transaction(client.app.state.parts.sessions) as session:  # type: ignore[attr-defined]
        users.create(session, username=username, password=PASSWORD, role=users.Role.ADMIN)
    assert staff_login(client, username, PASSWORD).status_code == 303
    page = client.get("/admin/pronunciation")
    assert page.status_code == 200 and "у-бе-де" in page.text  # the built-in forms are listed
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    return token.group(1)


def test_the_admin_s_row_is_audited_heard_on_the_line_and_never_in_chat(client: TestClient, parts: Parts) -> None:
    phone = Phone(client)
    menu = phone.answer(phone.call(), Digits="1")
    assert "Переселенці (ве-пе-о) — 6." in menu.said[0]  # the built-in form, in the very first menu
    token = _admin(client, "voice-admin")
    row = {"lang": "uk", "written": "ВПО", "spoken": "внутрішньо переміщених осіб", "csrf_token": token}
    assert client.post("/admin/pronunciation", data=row, follow_redirects=False).status_code == 303
    phone_of(parts).pronunciation.invalidate()  # other workers: within its recheck
    again = phone.answer(menu, Digits="*")
    assert "Переселенці (внутрішньо переміщених осіб) — 6." in again.said[0]
    with parts.sessions() as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "voice.pronunciation.save")).one()
    assert entry.username == "voice-admin" and entry.detail["new"] == "внутрішньо переміщених осіб"
    assert entry.detail["old"] is None and entry.target == "uk:ВПО"
    audit = client.get("/admin/audit")
    assert "Вимова: збережено запис" in audit.text and "внутрішньо переміщених осіб" in audit.text
    # Chat text is read, not heard: as written.
    session_id = client.post("/api/chat/sessions", json={"lang": "uk"}).json()["session_id"]
    answer = chat(client, session_id, text="довідка переселенця")
    assert "ВПО" in " ".join(r["text_long"] for r in answer["replies"])
    # Deleting the row brings the built-in form back.
    row_id = re.search(r"/admin/pronunciation/(\d+)/delete", client.get("/admin/pronunciation").text)
    assert row_id
    deleted = client.post(f"/admin/pronunciation/{row_id.group(1)}/delete", data={"csrf_token": token})
    assert deleted.status_code == 200 and "Вимову «ВПО» видалено." in deleted.text
    phone_of(parts).pronunciation.invalidate()
    assert "Переселенці (ве-пе-о) — 6." in phone.answer(again, Digits="*").said[0]


def test_a_bad_row_is_refused_with_a_sentence(client: TestClient) -> None:
    token = _admin(client, "voice-admin-2")
    for row, sentence in [
        ({"lang": "uk", "written": "  ", "spoken": "x"}, "Потрібні і написання, і вимова."),
        ({"lang": "uk", "written": "-УБД", "spoken": "x"}, "Написання має починатися"),
    ]:
        refused = client.post("/admin/pronunciation", data={**row, "csrf_token": token})
        assert refused.status_code == 400 and sentence in refused.text, refused.text
    assert client.post(
        "/admin/pronunciation", data={"lang": "en", "written": "a", "spoken": "b", "csrf_token": token}
    ).status_code in {400, 422}
    assert client.post("/admin/pronunciation/999999/delete", data={"csrf_token": token}).status_code == 404
