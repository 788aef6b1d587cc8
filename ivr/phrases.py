"""What the phone line itself says around the engine's replies (queue, nights, voicemail), in uk and ru."""

from __future__ import annotations

from datetime import datetime

from intents.messages import pick

# The language question as two prompts, so each is read by a voice of its own language. It greets nobody:
# the welcome after it does, once.
LANGUAGE_PROMPTS = (
    ("uk", "Оберіть мову: українська — 1."),
    ("ru", "Выберите язык: русский — 2."),
)

_PHRASES: dict[str, dict[str, str]] = {
    "position": {"uk": "Ваш номер у черзі — {position}.", "ru": "Ваш номер в очереди — {position}."},
    "first": {"uk": "Ви перші в черзі.", "ru": "Вы первый в очереди."},
    "estimate": {
        "uk": "Орієнтовний час очікування — {minutes}.",
        "ru": "Примерное время ожидания — {minutes}.",
    },
    "offer_callback": {
        "uk": "Щоб не чекати на лінії, а отримати зворотний дзвінок, натисніть 1. Ваше місце в черзі збережеться.",
        "ru": "Чтобы не ждать на линии, а получить обратный звонок, нажмите 1. Ваше место в очереди сохранится.",
    },
    "callback_confirmed": {
        "uk": "Дякуємо! Фахівець передзвонить вам на цей номер у порядку черги. До побачення.",
        "ru": "Спасибо! Специалист перезвонит вам на этот номер в порядке очереди. До свидания.",
    },
    "closed": {"uk": "Зараз фахівці не працюють.", "ru": "Сейчас специалисты не работают."},
    "opens": {"uk": "Вони відповідатимуть {when}.", "ru": "Они будут отвечать {when}."},
    "closed_choices": {
        "uk": "Щоб замовити зворотний дзвінок, натисніть 1. Щоб залишити голосове повідомлення — 2.",
        "ru": "Чтобы заказать обратный звонок, нажмите 1. Чтобы оставить голосовое сообщение — 2.",
    },
    "closed_voicemail": {
        "uk": "Щоб залишити голосове повідомлення, натисніть 2.",
        "ru": "Чтобы оставить голосовое сообщение, нажмите 2.",
    },
    "closed_duty": {
        "uk": "Щоб дочекатися на лінії чергового фахівця — 0.",
        "ru": "Чтобы дождаться на линии дежурного специалиста — 0.",
    },
    "duty_wait": {
        "uk": "Залишайтеся на лінії, вам відповість черговий фахівець.",
        "ru": "Оставайтесь на линии, вам ответит дежурный специалист.",
    },
    "queue_failed": {
        "uk": "Вибачте, зараз не вдається з'єднати вас із фахівцем.",
        "ru": "Извините, сейчас не удаётся соединить вас со специалистом.",
    },
    "voicemail_prompt": {
        "uk": "Після сигналу назвіть своє ім'я, номер телефону і коротко питання. Щоб закінчити, натисніть решітку.",
        "ru": "После сигнала назовите своё имя, номер телефона и коротко вопрос. Чтобы закончить, нажмите решётку.",
    },
    "voicemail_saved": {
        "uk": "Дякуємо, ваше повідомлення збережено. Фахівець зв'яжеться з вами в робочий час. До побачення.",
        "ru": "Спасибо, ваше сообщение сохранено. Специалист свяжется с вами в рабочее время. До свидания.",
    },
    "voicemail_empty": {
        "uk": "На жаль, повідомлення не записалося. Будь ласка, зателефонуйте ще раз. До побачення.",
        "ru": "К сожалению, сообщение не записалось. Пожалуйста, позвоните ещё раз. До свидания.",
    },
    "call_later": {
        "uk": "Будь ласка, зателефонуйте в робочий час. До побачення.",
        "ru": "Пожалуйста, позвоните в рабочее время. До свидания.",
    },
    "goodbye": {"uk": "Дякуємо за дзвінок. До побачення.", "ru": "Спасибо за звонок. До свидания."},
    "apology": {
        "uk": "Вибачте, сталася технічна помилка. З'єдную вас із фахівцем.",
        "ru": "Извините, произошла техническая ошибка. Соединяю вас со специалистом.",
    },
}

_MINUTES = {"uk": ("хвилина", "хвилини", "хвилин"), "ru": ("минута", "минуты", "минут")}
_WEEKDAYS = {
    "uk": ("у понеділок", "у вівторок", "у середу", "у четвер", "у п'ятницю", "у суботу", "у неділю"),
    "ru": ("в понедельник", "во вторник", "в среду", "в четверг", "в пятницу", "в субботу", "в воскресенье"),
}
_DAYS_AHEAD = {"uk": ("сьогодні", "завтра"), "ru": ("сегодня", "завтра")}
_AT = {"uk": "о", "ru": "в"}


def say(phrase: str, lang: str, **values: str | int) -> str:
    """The line's `phrase` in `lang` (Ukrainian when the language is not known)."""
    return pick(_PHRASES, phrase, lang, **values)


def minutes(count: int, lang: str) -> str:
    """'3 хвилини', '5 минут': the plural form Slavic numerals need."""
    one, few, many = _MINUTES.get(lang, _MINUTES["uk"])
    if count % 10 == 1 and count % 100 != 11:
        word = one
    elif 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        word = few
    else:
        word = many
    return f"{count} {word}"


def when(opening: datetime, now: datetime, lang: str) -> str:
    """'завтра о 08:00', 'в понедельник в 08:00': when the office next opens, said from `now`."""
    days = (opening.date() - now.astimezone(opening.tzinfo).date()).days
    ahead = _DAYS_AHEAD.get(lang, _DAYS_AHEAD["uk"])
    day = ahead[days] if days < len(ahead) else _WEEKDAYS.get(lang, _WEEKDAYS["uk"])[opening.weekday()]
    if days >= 7:
        day = f"{day}, {opening:%d.%m}"
    return f"{day} {_AT.get(lang, _AT['uk'])} {opening:%H:%M}"
