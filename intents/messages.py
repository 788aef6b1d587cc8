"""What the robot itself says (not the tree's answers), in Ukrainian and Russian.

The engine's own words name no key and no button; `menu_item`, `press_zero` and `press_back` are how
a phone reads options out, kept here so every channel speaks with one vocabulary.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

# The language question greets nobody: the welcome that follows it does, once. Each line in its own
# language (the web chat marks them so, for screen readers).
LANGUAGE_QUESTION = {"uk": "Оберіть мову спілкування.", "ru": "Выберите язык общения."}
LANGUAGE_CHOICE = "\n".join(LANGUAGE_QUESTION.values())

_MESSAGES: dict[str, dict[str, str]] = {
    "welcome": {
        "uk": "Вітаємо! Це цілодобова інформаційна лінія управління соціального захисту населення.",
        "ru": "Здравствуйте! Это круглосуточная информационная линия управления социальной защиты населения.",
    },
    "menu_intro": {
        "uk": "Коротко опишіть своє питання або оберіть розділ.",
        "ru": "Коротко опишите свой вопрос или выберите раздел.",
    },
    "menu_item": {"uk": "{title} — {key}.", "ru": "{title} — {key}."},
    "press_zero": {"uk": "Фахівець — 0.", "ru": "Специалист — 0."},
    "press_back": {"uk": "Назад — решітка.", "ru": "Назад — решётка."},
    # Options without a key (a questionnaire's "don't know" beside a number typed on the keypad): said, not pressed.
    "say_words": {"uk": "Або скажіть: {words}.", "ru": "Или скажите: {words}."},
    "type_number": {
        "uk": "Наберіть число на клавіатурі й натисніть решітку або назвіть його.",
        "ru": "Наберите число на клавиатуре и нажмите решётку или назовите его.",
    },
    "not_understood": {
        "uk": "Вибачте, я не зрозумів. Спробуйте сказати інакше або оберіть розділ.",
        "ru": "Извините, я не понял. Попробуйте сказать иначе или выберите раздел.",
    },
    # Where the keys do not choose a section (after an answer, in a clarifying question).
    "not_understood_choice": {
        "uk": "Вибачте, я не зрозумів.",
        "ru": "Извините, я не понял.",
    },
    "not_heard": {"uk": "Вибачте, я вас не почув.", "ru": "Извините, я вас не расслышал."},
    "no_such_key": {
        "uk": "Такого пункту немає.",
        "ru": "Такого пункта нет.",
    },
    "clarify": {
        "uk": "Уточніть, будь ласка, що саме вас цікавить.",
        "ru": "Уточните, пожалуйста, что именно вас интересует.",
    },
    "clarify_one": {"uk": "Ви питаєте про «{first}»?", "ru": "Вы спрашиваете о «{first}»?"},
    "handoff": {
        "uk": "З'єдную вас із фахівцем. Будь ласка, зачекайте.",
        "ru": "Соединяю вас со специалистом. Пожалуйста, подождите.",
    },
    "handoff_not_understood": {
        "uk": "Мені не вдалося вас зрозуміти, тож передаю розмову фахівцю. Будь ласка, зачекайте.",
        "ru": "Мне не удалось вас понять, поэтому передаю разговор специалисту. Пожалуйста, подождите.",
    },
    "handoff_waiting": {
        "uk": "Ваше звернення вже передано фахівцю. Будь ласка, зачекайте.",
        "ru": "Ваше обращение уже передано специалисту. Пожалуйста, подождите.",
    },
    # Nobody can take the conversation now (`channels.office` says why): what the citizen may do instead.
    "contact_callback": {
        "uk": "Напишіть номер телефону, на який вам зателефонувати.",
        "ru": "Напишите номер телефона, на который вам позвонить.",
    },
    "contact_message": {
        "uk": "Напишіть номер телефону і коротко ваше питання: фахівець прочитає його і зателефонує вам.",
        "ru": "Напишите номер телефона и коротко ваш вопрос: специалист прочитает его и позвонит вам.",
    },
    "contact_missing": {
        "uk": "Не бачу номера телефону. Напишіть його, наприклад: 067 123 45 67.",
        "ru": "Не вижу номера телефона. Напишите его, например: 067 123 45 67.",
    },
    "callback_taken": {
        "uk": "Дякуємо! Фахівець зателефонує вам на номер {phone}, щойно зможе, у робочий час.",
        "ru": "Спасибо! Специалист позвонит вам на номер {phone}, как только сможет, в рабочее время.",
    },
    "message_taken": {
        "uk": "Дякуємо! Фахівець прочитає ваше повідомлення і зателефонує вам на номер {phone} у робочий час.",
        "ru": "Спасибо! Специалист прочитает ваше сообщение и позвонит вам на номер {phone} в рабочее время.",
    },
    "wait_anyway": {
        "uk": "Добре, чекайте: вам відповість перший фахівець, який зможе.",
        "ru": "Хорошо, ждите: вам ответит первый специалист, который сможет.",
    },
    "label_callback": {"uk": "Замовити зворотний дзвінок", "ru": "Заказать обратный звонок"},
    "label_message": {"uk": "Залишити номер і повідомлення", "ru": "Оставить номер и сообщение"},
    "label_wait": {"uk": "Чекати на фахівця", "ru": "Ждать специалиста"},
    "label_repeat": {"uk": "Повторити", "ru": "Повторить"},
    "label_menu": {"uk": "Головне меню", "ru": "Главное меню"},
    "label_back": {"uk": "Назад", "ru": "Назад"},
    "label_operator": {"uk": "Фахівець", "ru": "Специалист"},
    "label_yes": {"uk": "Так", "ru": "Да"},
    "label_no": {"uk": "Ні", "ru": "Нет"},
}

LANGUAGE_LABELS = {"uk": "Українська", "ru": "Русский"}

# Words by which an answer itself tells the citizen a person is being put through ("з'єдную вас…").
_PROMISING_A_PERSON = {"uk": ("з'єдную", "передаю"), "ru": ("соединяю", "передаю")}
_SENTENCE_END = re.compile(r"(?<=[.!?…])[ \t]+")


def promises_a_person(text: str, lang: str) -> bool:
    """True when `text` already says the citizen is being put through to a person."""
    plain = text.lower().replace("’", "'").replace("ʼ", "'")
    return any(word in plain for word in _PROMISING_A_PERSON.get(lang, _PROMISING_A_PERSON["uk"]))


def split_promise(text: str, lang: str) -> tuple[str, str]:
    """An answer's text without the sentences that promise a person, and those sentences (paragraphs kept)."""
    kept: list[str] = []
    promised: list[str] = []
    for paragraph in text.split("\n\n"):
        sentences = [s for s in _SENTENCE_END.split(paragraph.strip()) if s]
        promised += [s for s in sentences if promises_a_person(s, lang)]
        if rest := " ".join(s for s in sentences if not promises_a_person(s, lang)):
            kept.append(rest)
    return "\n\n".join(kept), " ".join(promised)


def say(message: str, lang: str, **values: str | int) -> str:
    """The robot's `message` in `lang` (Ukrainian when the language is not known)."""
    return pick(_MESSAGES, message, lang, **values)


def pick(texts: Mapping[str, Mapping[str, str]], key: str, lang: str, /, **values: str | int) -> str:
    """`key`'s text from a uk/ru table in `lang` (Ukrainian when the language is not known), filled in."""
    text = texts[key].get(lang) or texts[key]["uk"]
    return text.format(**values) if values else text
