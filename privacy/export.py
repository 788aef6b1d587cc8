"""Everything kept about one citizen as a plain-text file they can read (and an office can print)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from hotline import conversation_log
from privacy.subject import Found
from registry_client import service as cases
from registry_client.models import Case
from selfservice import citizens as selfservice_citizens
from specialist_queue import chat

TEXT = {
    "title": {"uk": "Дані, які зберігає лінія соціального захисту", "ru": "Данные, которые хранит линия соцзащиты"},
    "made": {"uk": "Сформовано", "ru": "Сформировано"},
    "conversation": {"uk": "Розмова", "ru": "Разговор"},
    "citizen": {"uk": "Громадянин", "ru": "Гражданин"},
    "robot": {"uk": "Робот", "ru": "Робот"},
    "specialist": {"uk": "Фахівець", "ru": "Специалист"},
    "event": {"uk": "Подія", "ru": "Событие"},
    "voice": {"uk": "Голосове повідомлення (запис у Twilio)", "ru": "Голосовое сообщение (запись в Twilio)"},
    "case": {"uk": "Справа", "ru": "Дело"},
    "certificate": {"uk": "Довідка з реєстру", "ru": "Справка из реестра"},
    "none": {"uk": "Нічого не знайдено.", "ru": "Ничего не найдено."},
    "channel_phone": {"uk": "телефон", "ru": "телефон"},
    "channel_viber": {"uk": "Viber", "ru": "Viber"},
    "channel_web": {"uk": "вебчат", "ru": "веб-чат"},
    "channel_telegram": {"uk": "Telegram", "ru": "Telegram"},
    "subscriptions": {"uk": "Підписки на розсилки", "ru": "Подписки на рассылки"},
    "since": {"uk": "з", "ru": "с"},
    "announcements": {"uk": "Надіслані розсилки", "ru": "Отправленные рассылки"},
    "state_sent": {"uk": "надіслано", "ru": "отправлено"},
    "state_failed": {"uk": "не доставлено", "ru": "не доставлено"},
    "state_gone": {"uk": "не доставлено: ви відписалися", "ru": "не доставлено: вы отписались"},
    "state_unknown": {"uk": "невідомо, чи доставлено", "ru": "неизвестно, доставлено ли"},
    "state_pending": {"uk": "чекає надсилання", "ru": "ждёт отправки"},
    "state_sending": {"uk": "надсилається", "ru": "отправляется"},
    "state_cancelled": {"uk": "скасовано", "ru": "отменено"},
}


def readable(session: Session, found: Found, *, lang: str, timezone: str, now: datetime) -> str:
    """The citizen's conversations (every turn and message, in order), voice messages and cases."""
    page = _Page(lang, ZoneInfo(timezone))
    lines = [page.say("title"), f"{page.say('made')}: {page.when(now)}", ""]
    if found.empty:
        lines.append(page.say("none"))
    for conversation in found.conversations:
        lines += page.conversation(session, conversation)
    for recording in found.recordings:
        lines.append(f"{page.say('voice')}: {recording.sid}, {page.when(recording.at)}")
    for case in found.cases:
        lines += page.case(session, case)
    lines += page.selfservice(found.selfservice)
    return "\n".join(lines).rstrip() + "\n"


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite gives back naive UTC


class _Page:
    def __init__(self, lang: str, zone: ZoneInfo) -> None:
        self.lang = lang
        self.zone = zone

    def say(self, code: str) -> str:
        return TEXT.get(code, {}).get(self.lang, code)

    def when(self, moment: datetime) -> str:
        return _utc(moment).astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    def conversation(self, session: Session, conversation: conversation_log.Conversation) -> list[str]:
        channel = self.say(f"channel_{conversation.channel}")
        title = f"== {self.say('conversation')} {conversation.id} · {channel} · {self.when(conversation.started_at)} =="
        said: list[tuple[datetime, str, str]] = []
        for event in conversation_log.events(session, conversation_id=conversation.id):
            if event.text:
                who = "robot" if event.kind == "bot" else "citizen" if event.kind.startswith("citizen_") else "event"
                said.append((_utc(event.at), self.say(who), event.text))
        for message in chat.since(session, conversation_id=conversation.id):
            who = "citizen" if message.sender == "citizen" else "specialist"
            said.append((_utc(message.at), self.say(who), message.text))
        said.sort(key=lambda entry: entry[0])
        return [title, *(f"{self.when(moment)} {who}: {text}" for moment, who, text in said), ""]

    def selfservice(self, kept: selfservice_citizens.Kept) -> list[str]:
        """The topics the citizen is subscribed to, and the announcements sent to them."""
        lines = []
        if kept.subscriptions:
            lines.append(f"== {self.say('subscriptions')} ==")
            for s in kept.subscriptions:
                topic, since = s.topic_ru if self.lang == "ru" else s.topic_uk, self.when(s.since)
                lines.append(f"{self.say(f'channel_{s.channel}')}: «{topic}» ({s.lang}), {self.say('since')} {since}")
            lines.append("")
        if kept.announcements:
            lines.append(f"== {self.say('announcements')} ==")
            for sent in kept.announcements:
                lines.append(
                    f"{self.when(sent.at)} {self.say(f'channel_{sent.channel}')}, {self.say(f'state_{sent.state}')}:"
                )
                lines += [sent.text, ""]
        return lines

    def case(self, session: Session, case: Case) -> list[str]:
        lines = [
            f"== {self.say('case')} {case.number} · {case.kind} · {case.status} ==",
            f"{case.full_name}, {case.birth_date.isoformat()}, {case.id_kind}: {case.id_value}",
        ]
        if case.notes:
            lines.append(case.notes)
        for certificate in cases.certificates_of(session, case_id=case.id):
            formed = self.when(certificate.formed_at)
            lines.append(f"{self.say('certificate')} {certificate.extract_id}, {formed}: {certificate.address}")
        return [*lines, ""]
