"""What the robot itself says (not the tree's answers), in Ukrainian and Russian."""

from __future__ import annotations

from collections.abc import Mapping

LANGUAGE_QUESTION = "Вітаємо! Оберіть мову: українська — 1. Здравствуйте! Выберите язык: русский — 2."
LANGUAGE_CHOICE = "Вітаємо! Оберіть мову спілкування.\nЗдравствуйте! Выберите язык общения."

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
    "after_answer": {
        "uk": "Повторити — 1, до меню — 2, фахівець — 0.",
        "ru": "Повторить — 1, в меню — 2, специалист — 0.",
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
    "no_such_key": {
        "uk": "Такого пункту немає.",
        "ru": "Такого пункта нет.",
    },
    "clarify": {
        "uk": "Уточніть, будь ласка: {first} — 1, чи {second} — 2?",
        "ru": "Уточните, пожалуйста: {first} — 1, или {second} — 2?",
    },
    "clarify_one": {
        "uk": "Ви питаєте про: {first}? Так — 1, ні — 2.",
        "ru": "Вы спрашиваете про: {first}? Да — 1, нет — 2.",
    },
    "handoff": {
        "uk": "З'єдную вас із фахівцем. Будь ласка, зачекайте.",
        "ru": "Соединяю вас со специалистом. Пожалуйста, подождите.",
    },
    "handoff_not_understood": {
        "uk": "Мені не вдалося вас зрозуміти, тож передаю розмову фахівцю. Будь ласка, зачекайте.",
        "ru": "Мне не удалось вас понять, поэтому передаю разговор специалисту. Пожалуйста, подождите.",
    },
    "handoff_waiting": {
        "uk": "Ваше звернення вже передано фахівцю. Поки чекаєте, можете поставити інше питання.",
        "ru": "Ваше обращение уже передано специалисту. Пока ждёте, можете задать другой вопрос.",
    },
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


def promises_a_person(text: str, lang: str) -> bool:
    """True when `text` already says the citizen is being put through to a person."""
    plain = text.lower().replace("’", "'").replace("ʼ", "'")
    return any(word in plain for word in _PROMISING_A_PERSON.get(lang, _PROMISING_A_PERSON["uk"]))


def say(message: str, lang: str, **values: str | int) -> str:
    """The robot's `message` in `lang` (Ukrainian when the language is not known)."""
    return pick(_MESSAGES, message, lang, **values)


def pick(texts: Mapping[str, Mapping[str, str]], key: str, lang: str, /, **values: str | int) -> str:
    """`key`'s text from a uk/ru table in `lang` (Ukrainian when the language is not known), filled in."""
    text = texts[key].get(lang) or texts[key]["uk"]
    return text.format(**values) if values else text
