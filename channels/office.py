"""The office's rules, decided once for every channel: can a person take a conversation now, and if not,
what the citizen is told and offered.

`OfficeRules` is what the dialogue engine asks at a handoff (`intents.turns.Office`): the same answer
reaches the phone, the web chat, Viber and any channel after them, each rendering it its own way (keys
on the phone, buttons in a chat). Nobody can take a conversation

- out of office hours (the admins' calendar: weekly hours, holidays, closures): the citizen hears when
  specialists work, and is not put in the queue unless they choose to wait where that is allowed;
- in office hours when nobody on shift may take its queue (no operator of its skill and language, or
  all of them paused or offline): the citizen waits in their place, and hears so honestly.

A crisis is always put through. A callback is offered where the admins' callback policy allows it, a
phone number with a message always (the phone's voice message); waiting out of hours only where the
office keeps a duty specialist (`HOTLINE_IVR_AFTER_HOURS_QUEUE`); when none who may take the queue is on shift
now, the citizen hears that before choosing to wait.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from hotline.bilingual import by_language
from hotline.db import utcnow
from hotline.office_hours import OfficeHours, QueuePolicy
from intents.messages import pick
from intents.tree import Priority
from intents.turns import Handoff, Unavailable

_WORDS = by_language({
    "closed": ("Зараз фахівці не працюють.", "Сейчас специалисты не работают."),
    "opens": ("Вони відповідатимуть {when}.", "Они будут отвечать {when}."),
    "unserved": (
        "Зараз жоден фахівець на зміні не може прийняти ваше звернення. Ви в черзі: вам відповідять, "
        "щойно фахівець з'явиться.",
        "Сейчас ни один специалист на смене не может принять ваше обращение. Вы в очереди: вам ответят, "
        "как только специалист появится.",
    ),
    "no_duty": (
        "Чергового фахівця зараз немає на зміні: якщо вирішите чекати, вам відповідять, щойно він з'явиться.",
        "Дежурного специалиста сейчас нет на смене: если решите ждать, вам ответят, как только он появится.",
    ),
})
_WEEKDAYS = {
    "uk": ("у понеділок", "у вівторок", "у середу", "у четвер", "у п'ятницю", "у суботу", "у неділю"),
    "ru": ("в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу", "в воскресенье"),
}
_DAYS_AHEAD = {"uk": ("сьогодні", "завтра"), "ru": ("сегодня", "завтра")}
_AT = {"uk": "о", "ru": "в"}

# (skill, language) → True when nobody on shift may take a new conversation of that queue now.
Unserved = Callable[[str, str], bool]


def when(opening: datetime, now: datetime, lang: str) -> str:
    """'завтра о 08:00', 'в понедельник в 08:00': when the office next opens, said from `now`."""
    days = (opening.date() - now.astimezone(opening.tzinfo).date()).days
    ahead = _DAYS_AHEAD.get(lang, _DAYS_AHEAD["uk"])
    day = ahead[days] if days < len(ahead) else _WEEKDAYS.get(lang, _WEEKDAYS["uk"])[opening.weekday()]
    if days >= 7:
        day = f"{day}, {opening:%d.%m}"
    return f"{day} {_AT.get(lang, _AT['uk'])} {opening:%H:%M}"


def unserved_words(lang: str) -> str:
    """What a citizen who waits while nobody on shift may take their queue hears, in `lang`."""
    return pick(_WORDS, "unserved", lang)


class OfficeRules:
    """The office's hours and queue policy as the admins set them, the duty setting, and who is on shift.

    `hours` and `policy` are read on every decision (the admins' changes apply at once); `unserved` is the
    specialist queue's view of its operators (None: staffing is not known, so only the hours count)."""

    def __init__(
        self,
        hours: Callable[[], OfficeHours],
        policy: Callable[[], QueuePolicy],
        *,
        after_hours_wait: bool,
        unserved: Unserved | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.hours = hours
        self.policy = policy
        self.after_hours_wait = after_hours_wait
        self.unserved = unserved
        self.clock = clock

    def is_open(self) -> bool:
        return self.hours().is_open(self.clock())

    def callback_allowed(self, *, office_open: bool | None = None) -> bool:
        """May a citizen ask to be called back now: the admins' callback policy, in and out of hours."""
        policy = self.policy()
        is_open = self.is_open() if office_open is None else office_open
        return policy.callback_enabled and (is_open or policy.callback_when_closed)

    def wait_allowed(self, *, office_open: bool | None = None) -> bool:
        """May a citizen wait for a person now: always in office hours, out of them where a duty specialist is."""
        return (self.is_open() if office_open is None else office_open) or self.after_hours_wait

    def duty_absent(self, queue: str, lang: str) -> bool:
        """Out of hours with a duty setting, but nobody on shift may take `queue` now (unknown staffing: no)."""
        return self.after_hours_wait and self.unserved is not None and self.unserved(queue, lang)

    def unavailable(self, handoff: Handoff, lang: str) -> Unavailable | None:
        """None when a person may take `handoff` now; else the honest words and the choices."""
        if handoff.priority is Priority.EMERGENCY:
            return None
        if not self.is_open():
            words = self.closed_words(lang)
            if self.duty_absent(handoff.queue, lang):
                words = f"{words} {pick(_WORDS, 'no_duty', lang)}"
            return Unavailable(
                handoff=handoff,
                words=words,
                callback=self.callback_allowed(office_open=False),
                wait=self.wait_allowed(office_open=False),
            )
        if self.unserved is not None and self.unserved(handoff.queue, lang):
            words = unserved_words(lang)
            return Unavailable(handoff=handoff, words=words, callback=self.callback_allowed(), wait=True, queued=True)
        return None

    def closed_words(self, lang: str) -> str:
        """'Specialists do not work now. They will answer on Monday at 08:00.' (without a next opening, the first)."""
        now = self.clock()
        try:
            opens = self.hours().next_opening(now)
        except ValueError:  # a calendar with no hours at all: there is no "when" to tell
            return pick(_WORDS, "closed", lang)
        return f"{pick(_WORDS, 'closed', lang)} {pick(_WORDS, 'opens', lang, when=when(opens, now, lang))}"
