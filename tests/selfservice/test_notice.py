"""The emergency notice through the whole app: set by an admin (form, CSRF, audit, uk/ru refusals), and its
window — before, during, after — on the phone (signed webhooks, TwiML checked against the schema), the
web chat page, the Viber welcome (the fake Viber API) and Telegram's /start (the fake Bot API); on SQLite
and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.admin.models import AuditEntry
from hotline.db import transaction, utcnow
from selfservice.models import Notice
from tests.fakes.telegram_api import FakeTelegramApi
from tests.ivr.phone import Doc, Phone
from tests.selfservice.conftest import log_in_admin, sessions_of
from tests.telegram import conftest as telegram
from tests.viber.conftest import conversation_started, new_user, post

UK = "Через повітряну тривогу офіс зачинено до 14:00."
RU = "Из-за воздушной тревоги офис закрыт до 14:00."


def _local(at: datetime) -> str:
    """As an admin picks it in a `datetime-local` field, on the office's clock."""
    return at.astimezone(ZoneInfo("Europe/Kyiv")).strftime("%Y-%m-%dT%H:%M")


def _add(sessions: sessionmaker[Session], uk: str, ru: str, starts: datetime, ends: datetime) -> None:
    with transaction(sessions) as session:
        session.add(Notice(text_uk=uk, text_ru=ru, starts_at=starts, ends_at=ends))


def _call(client: TestClient) -> Doc:
    return Phone(client).call()


def _welcome(client: TestClient, language: str) -> str:
    text: str = post(client, conversation_started(new_user(language))).json()["text"]
    return text


def _telegram_welcome(client: TestClient, fake: FakeTelegramApi, language: str) -> str:
    """The first message a new Telegram citizen gets after /start."""
    user = telegram.new_user(language)
    assert telegram.post(client, telegram.start(user)).status_code == 200
    return fake.wait_for(1, chat_id=user["id"])[0].text


def _shown(client: TestClient) -> str:
    return client.get("/").text


def test_a_notice_is_on_every_channel_only_while_it_is_in_force(
    line: TestClient, fake_telegram: FakeTelegramApi
) -> None:
    sessions = sessions_of(line)
    with transaction(sessions) as session:
        session.query(Notice).delete()
    now = utcnow()
    _add(sessions, "Завтра прийому немає.", "Завтра приёма нет.", now + timedelta(hours=1), now + timedelta(hours=2))
    _add(
        sessions, "Виплати затримуються.", "Выплаты задерживаются.", now - timedelta(hours=2), now - timedelta(hours=1)
    )

    # Before one starts and after one has ended: nothing anywhere.
    before = _call(line)
    assert before.tags()[:2] == ["Response", "Gather"]
    assert not any("Завтра" in s or "Виплати" in s for s in before.said)
    assert 'id="notice"' not in _shown(line)
    assert "Завтра" not in _welcome(line, "uk") and "Виплати" not in _welcome(line, "uk")
    assert "Завтра" not in _telegram_welcome(line, fake_telegram, "uk")

    # During: set by an admin now, until an hour from now.
    token = log_in_admin(line)
    form = {"csrf_token": token, "text_uk": UK, "text_ru": RU, "starts": "", "ends": _local(now + timedelta(hours=1))}
    assert line.post("/admin/notices", data=form, follow_redirects=False).status_code == 303

    during = _call(line)
    says = list(during.root.iter("Say"))
    assert [s.text for s in says[:2]] == [UK, RU]
    assert [s.get("language") for s in says[:2]] == ["uk-UA", "ru-RU"]
    assert during.tags()[:4] == ["Response", "Say", "Say", "Gather"]  # said before anything can be pressed
    page = _shown(line)
    assert '<div id="notice" class="emergency" role="status"' in page
    assert f'<p lang="uk"><strong>Увага!</strong> {UK}</p>' in page
    assert f'<p lang="ru"><strong>Внимание!</strong> {RU}</p>' in page
    assert _welcome(line, "uk").startswith(UK)
    assert _welcome(line, "ru").startswith(RU)
    both = _welcome(line, "en")  # a language Viber gives that we do not speak: both
    assert both.startswith(f"{UK}\n{RU}")
    assert _telegram_welcome(line, fake_telegram, "uk").startswith(f"{UK}\n\n")  # then the greeting
    assert _telegram_welcome(line, fake_telegram, "ru").startswith(RU)

    # The admin ends it: gone from every channel at once.
    page = line.get("/admin/notices").text
    assert 'data-state="notice_active"' in page
    with sessions() as session:
        notice_id = session.scalar(select(Notice.id).where(Notice.text_uk == UK))
    ended = line.post(f"/admin/notices/{notice_id}/end", data={"csrf_token": token}, follow_redirects=False)
    assert ended.status_code == 303
    assert not any(UK in s for s in _call(line).said)
    assert 'id="notice"' not in _shown(line)
    assert not _welcome(line, "uk").startswith(UK)
    assert UK not in _telegram_welcome(line, fake_telegram, "uk")
    with sessions() as session:
        actions = list(
            session.scalars(
                select(AuditEntry.action).where(AuditEntry.target == str(notice_id), AuditEntry.action.like("notice.%"))
            )
        )
    assert actions == ["notice.create", "notice.end"]


def test_a_notice_that_cannot_be_is_refused_in_the_admins_words(line: TestClient) -> None:
    token = log_in_admin(line)
    later = _local(utcnow() + timedelta(hours=2))
    cases = [
        ({"text_uk": "", "text_ru": RU, "ends": later}, "Потрібен текст обома мовами."),
        ({"text_uk": UK, "text_ru": RU, "ends": _local(utcnow() - timedelta(hours=1))}, "Цей час уже минув."),
        ({"text_uk": UK, "text_ru": RU, "ends": later, "starts": later}, "Кінець має бути пізніше за початок."),
        ({"text_uk": UK, "text_ru": RU, "ends": "завтра"}, "Дату й час не розпізнано"),
        ({"text_uk": "я" * 501, "text_ru": RU, "ends": later}, "Текст задовгий: не більше 500 символів"),
    ]
    for data, words in cases:
        refused = line.post("/admin/notices?lang=uk", data={"csrf_token": token, **data}, follow_redirects=False)
        assert refused.status_code == 400, data
        assert words in refused.text
    unsigned = line.post("/admin/notices", data={"text_uk": UK, "text_ru": RU, "ends": later}, follow_redirects=False)
    assert unsigned.status_code == 403
    page = line.get("/admin/notices?lang=ru").text
    assert "Срочное объявление" in page and 'lang="ru"' in page
