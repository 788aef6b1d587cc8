"""What a chat channel itself writes (not the tree's answers), in Ukrainian and Russian: unsupported
messages, the abuse warning and block, the queue, the specialist joining and closing, the rating."""

from __future__ import annotations

from specialist_queue.figures import wait_minutes

_TEXTS: dict[str, dict[str, str]] = {
    "unsupported": {
        "uk": "Я розумію лише текст. Будь ласка, опишіть своє питання словами або оберіть розділ кнопкою.",
        "ru": "Я понимаю только текст. Пожалуйста, опишите свой вопрос словами или выберите раздел кнопкой.",
    },
    "abuse_warning": {
        "uk": "Будь ласка, пишіть без лайки та образ: таке повідомлення не буде розглянуто. "
        "Якщо це повториться, доступ до чату буде обмежено.",
        "ru": "Пожалуйста, пишите без брани и оскорблений: такое сообщение не будет рассмотрено. "
        "Если это повторится, доступ к чату будет ограничен.",
    },
    "blocked": {
        "uk": "Через повторні образливі повідомлення доступ до чату обмежено. "
        "Звернутися можна телефоном гарячої лінії або особисто.",
        "ru": "Из-за повторных оскорбительных сообщений доступ к чату ограничен. "
        "Обратиться можно по телефону горячей линии или лично.",
    },
    "queue_position": {
        "uk": "Ви в черзі до фахівця: {position}-й. Орієнтовний час очікування — {wait}.",
        "ru": "Вы в очереди к специалисту: {position}-й. Ориентировочное время ожидания — {wait}.",
    },
    "minutes": {"uk": "{minutes} хв", "ru": "{minutes} мин"},
    "still_waiting": {
        "uk": "Ваше звернення вже передано фахівцю.",
        "ru": "Ваше обращение уже передано специалисту.",
    },
    "with_specialist": {
        "uk": "Вашу розмову веде фахівець: просто напишіть повідомлення.",
        "ru": "Ваш разговор ведёт специалист: просто напишите сообщение.",
    },
    "joined": {
        "uk": "До розмови приєднався фахівець{name}. Пишіть своє питання.",
        "ru": "К разговору присоединился специалист{name}. Пишите свой вопрос.",
    },
    "closed": {
        "uk": "Дякуємо за звернення! Оцініть, будь ласка, як вам допомогли: від 1 (погано) до 5 (чудово).",
        "ru": "Спасибо за обращение! Оцените, пожалуйста, как вам помогли: от 1 (плохо) до 5 (отлично).",
    },
    "rated": {
        "uk": "Дякуємо за оцінку! Якщо з'являться ще питання — пишіть.",
        "ru": "Спасибо за оценку! Если появятся ещё вопросы — пишите.",
    },
    "technical_break": {
        "uk": "Вибачте, у нас технічна перерва. Ваше повідомлення отримано: відповімо, щойно зможемо, "
        "зазвичай за кілька хвилин.",
        "ru": "Извините, у нас технический перерыв. Ваше сообщение получено: ответим, как только сможем, "
        "обычно через несколько минут.",
    },
    "label_back": {"uk": "Назад", "ru": "Назад"},
    "label_menu": {"uk": "Меню", "ru": "Меню"},
    "label_operator": {"uk": "Фахівець", "ru": "Специалист"},
}


def say(key: str, lang: str | None, **values: object) -> str:
    """The text in `lang`; both languages (uk first) while the citizen's language is not known."""
    texts = _TEXTS[key]
    if lang in texts:
        return texts[lang].format(**values)
    uk, ru = texts["uk"].format(**values), texts["ru"].format(**values)
    return uk if uk == ru else f"{uk}\n{ru}"


def wait(seconds: int, lang: str | None) -> str:
    """An estimated wait as the other channels count it, in whole minutes."""
    return say("minutes", lang, minutes=wait_minutes(seconds))


def place(position: int, seconds: int, lang: str | None) -> str:
    """'You are 2nd in the queue, about 3 minutes'."""
    return say("queue_position", lang, position=position, wait=wait(seconds, lang))


def label(key: str, lang: str | None) -> str:
    """A button label; both languages on one line while the language is not known."""
    return say(key, lang).replace("\n", " / ")
