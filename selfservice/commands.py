"""What a citizen writes on a push channel to subscribe or to stop, and what they are answered.

A channel adapter asks `answer` first with every text or button press; None lets the message go on to
the dialogue. "стоп" / "stop" / "відписатися" / "отписаться" unsubscribe from everything at any time
(mid-questionnaire too: a subscriber's "стоп" is taken as the messenger's stop word); a citizen with no
subscription saying "стоп" is left to the dialogue (it stops a questionnaire).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from selfservice import topics
from selfservice.models import Topic

SUBSCRIBE = "subscribe"  # the button that lists the topics
# A topic's buttons say what they do (not "toggle"), so a press the platform delivers twice changes nothing more.
TOPIC_ON, TOPIC_OFF = "sub:", "unsub:"
STOP = "unsubscribe"  # the button that unsubscribes from everything
SUBSCRIBE_WORDS = frozenset(
    [
        "підписатися",
        "підписатись",
        "підписка",
        "підписки",
        "розсилка",
        "розсилки",
        "подписаться",
        "подписка",
        "подписки",
        "рассылка",
        "рассылки",
        "subscribe",
    ]
)
STOP_WORDS = frozenset(["стоп", "stop"])
UNSUBSCRIBE_WORDS = frozenset(["відписатися", "відписатись", "відписка", "отписаться", "отписка", "unsubscribe"])
_NOT_WORD = re.compile(r"[^\w'ʼ]+")

_TEXTS: dict[str, dict[str, str]] = {
    "choose": {
        "uk": "Про що вам повідомляти? Натисніть тему, щоб підписатися або відписатися (✓ — ви підписані). "
        "Відписатися від усього можна будь-коли словом «стоп».",
        "ru": "О чём вам сообщать? Нажмите тему, чтобы подписаться или отписаться (✓ — вы подписаны). "
        "Отписаться от всего можно в любой момент словом «стоп».",
    },
    "none": {"uk": "Розсилок поки немає.", "ru": "Рассылок пока нет."},
    "subscribed": {
        "uk": "Ви підписалися на тему «{topic}». Відписатися — словом «стоп».",
        "ru": "Вы подписались на тему «{topic}». Отписаться — словом «стоп».",
    },
    "unsubscribed": {"uk": "Ви відписалися від теми «{topic}».", "ru": "Вы отписались от темы «{topic}»."},
    "stopped": {
        "uk": "Ви відписалися від усіх розсилок. Щоб підписатися знову, напишіть «підписатися».",
        "ru": "Вы отписались от всех рассылок. Чтобы подписаться снова, напишите «подписаться».",
    },
    "not_subscribed": {
        "uk": "У вас немає підписок. Щоб підписатися, напишіть «підписатися».",
        "ru": "У вас нет подписок. Чтобы подписаться, напишите «подписаться».",
    },
    "stop_all": {"uk": "Відписатися від усього", "ru": "Отписаться от всего"},
    "how_to_stop": {
        "uk": "Щоб відписатися від розсилок, напишіть «стоп».",
        "ru": "Чтобы отписаться от рассылок, напишите «стоп».",
    },
    "invite": {
        "uk": "Новини, строки виплат і попередження про шахраїв: напишіть «підписатися».",
        "ru": "Новости, сроки выплат и предупреждения о мошенниках: напишите «подписаться».",
    },
}


def say(key: str, lang: str, **values: object) -> str:
    return _TEXTS[key][lang if lang in ("uk", "ru") else "uk"].format(**values)


@dataclass(frozen=True)
class Answer:
    """What to write back: the text and buttons as (target, label)."""

    text: str
    buttons: tuple[tuple[str, str], ...] = ()


def word(text: str) -> str:
    """The message as one lower-case word, if it is one ("Стоп!" → "стоп"); else ''."""
    words = [w for w in _NOT_WORD.split(text.lower().replace("ё", "е")) if w]
    return words[0] if len(words) == 1 else ""


def is_command(text: str) -> bool:
    """Whether `answer` may act on this message (cheap: no SQL), so a channel asks only then."""
    said = word(text)
    return (
        text in (SUBSCRIBE, STOP)
        or text.startswith((TOPIC_ON, TOPIC_OFF))
        or said in SUBSCRIBE_WORDS
        or said in STOP_WORDS
        or said in UNSUBSCRIBE_WORDS
    )


def answer(session: Session, *, channel: str, recipient: str, text: str, lang: str | None) -> Answer | None:
    """Act on a subscription command in the caller's transaction; None when the message is not one."""
    lang = lang if lang in ("uk", "ru") else "uk"
    said = word(text)
    if text == SUBSCRIBE or said in SUBSCRIBE_WORDS:
        return _choices(session, channel, recipient, lang, say("choose", lang))
    if text.startswith((TOPIC_ON, TOPIC_OFF)):
        on = text.startswith(TOPIC_ON)
        return _choose(session, channel, recipient, lang, text.removeprefix(TOPIC_ON if on else TOPIC_OFF), on=on)
    if text == STOP or said in STOP_WORDS or said in UNSUBSCRIBE_WORDS:
        if topics.unsubscribe(session, channel=channel, recipient=recipient):
            return Answer(say("stopped", lang))
        return None if said in STOP_WORDS else Answer(say("not_subscribed", lang))
    return None


def invitation(session: Session, lang: str | None) -> str:
    """One line for the welcome, when there is anything to subscribe to; else ''."""
    return say("invite", lang or "uk") if topics.listed(session, active_only=True) else ""


def _title(topic: Topic, lang: str) -> str:
    return topic.title_ru if lang == "ru" else topic.title_uk


def _choices(session: Session, channel: str, recipient: str, lang: str, text: str) -> Answer:
    offered = topics.listed(session, active_only=True)
    mine = topics.subscribed(session, channel=channel, recipient=recipient)
    if not offered:
        return Answer(say("none", lang))
    buttons = [
        (f"{TOPIC_OFF}{t.slug}", f"✓ {_title(t, lang)}") if t.id in mine else (f"{TOPIC_ON}{t.slug}", _title(t, lang))
        for t in offered
    ]
    if mine:
        buttons.append((STOP, say("stop_all", lang)))
    return Answer(text, tuple(buttons))


def _choose(session: Session, channel: str, recipient: str, lang: str, slug: str, *, on: bool) -> Answer:
    topic = topics.get_by_slug(session, slug=slug)
    if topic is None or (on and not topic.active):
        return _choices(session, channel, recipient, lang, say("choose", lang))  # a topic closed meanwhile
    if on:
        topics.subscribe(session, channel=channel, recipient=recipient, topic_id=topic.id, lang=lang)
        done = say("subscribed", lang, topic=_title(topic, lang))
    else:
        topics.unsubscribe(session, channel=channel, recipient=recipient, topic_id=topic.id)
        done = say("unsubscribed", lang, topic=_title(topic, lang))
    return _choices(session, channel, recipient, lang, done)
