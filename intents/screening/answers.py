"""Reading a questionnaire's answer from keys, a button, typed words or speech. Pure.

Keys: a yes/no or choice question takes the key of its answer (yes 1, no 2, choices 1…n, "don't
know" after the last); a number question takes the number itself ("4", "12", "4#" on a phone).
Words: "так", "ні, немає", "не знаю"; numbers as digits or words, collective ones too ("четверо",
"нас п'ятеро", "двадцять п'ять"); a choice by its label or phrases. An utterance with words that are
neither the answer nor padding ("так, з'єднайте з оператором") is no answer: the engine reads it
as a command or a question instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache

from intents.normalise import lemma_set, tokens, word_set
from intents.screening.model import NO, UNKNOWN, YES, Answer, Question, QuestionKind

MAX_ANSWER_WORDS = 8

_COLLECTIVE: dict[str, int] = {
    **{w: 1 for w in ("сам", "сама", "самі", "сами", "одна", "один", "одне", "одно", "одинока", "одинокий")},
    **{w: 2 for w in ("двоє", "двое", "двох", "двоих", "удвох", "вдвоем", "вдвох", "удвоем")},
    **{w: 3 for w in ("троє", "трое", "трьох", "троих", "утрьох", "втроем", "втрьох")},
    **{w: 4 for w in ("четверо", "четверых", "чотирьох", "вчетвером", "учотирьох")},
    **{w: 5 for w in ("п'ятеро", "пятеро", "пятерых", "п'ятьох", "впятером")},
    **{w: 6 for w in ("шестеро", "шестерых", "шістьох")},
    **{w: 7 for w in ("семеро", "семерых", "сімох")},
    **{w: 8 for w in ("восьмеро", "восьмерых", "вісьмох")},
    **{w: 9 for w in ("дев'ятеро", "девятеро", "девятерых", "дев'ятьох")},
    **{w: 10 for w in ("десятеро", "десятерых", "десятьох")},
}
_NONE = word_set("немає нема нету нет ніхто никто жодного жодної ни одного ни одной нікого никого")
# Words around an answer that say nothing more: "так, є", "ні, немає", "думаю, що так".
_PADDING = word_set(
    """я ми ви нас нам у в з зі із с мною мной мене меня ну ось от вот мабуть наверное десь где-то
    приблизно примерно вже уже є есть маємо имеем будь ласка пожалуйста думаю вважаю гадаю ж же а це это
    тобто то що что"""
)
# Words around a number: "нас четверо", "двоє дітей", "чотири людини разом зі мною".
_COUNTED = _PADDING | word_set(
    """включно включая разом вместе всього всего всі все нашій нашей наша сім'ї сім'я сімї семье семья
    родині родина людей людини людина люди осіб особи чоловік человек человека дітей дитини дитина діти
    детей ребенка ребенок дети"""
)
_YES = word_set("так да ага угу авжеж звісно звичайно конечно є есть маю имею маємо имеем yes yeah ok ок окей")
_FIRM = word_set("так да ні нет нє ага угу yes no")
_NO = word_set("ні нет нє ніт неа немає нема нету не no nope жодного ніякого никакого")
_DONT_KNOW = (
    ("не", "знаю"), ("незнаю",), ("не", "знаємо"), ("не", "знаем"), ("не", "впевнений"), ("не", "впевнена"),
    ("не", "уверен"), ("не", "уверена"), ("важко", "сказати"), ("трудно", "сказать"), ("затрудняюсь",),
    ("не", "пам'ятаю"), ("не", "помню"), ("без", "поняття"), ("понятия", "не", "имею"), ("хз",),
    ("не", "в", "курсі"), ("не", "в", "курсе"), ("don't", "know"), ("dont", "know"),
)
_DONT_KNOW_WORDS = frozenset(w for phrase in _DONT_KNOW for w in phrase)
# Leaving the questionnaire: "стоп", "зупиніть опитування", "хватит".
_STOP = word_set(
    """стоп stop зупинити зупиніть зупини зупинись припинити припиніть досить вистачить годі вийти вийдіть
    скасувати скасуйте відміна остановить остановите остановитесь прекратить прекратите хватит достаточно
    выйти выйдите отмена отменить закінчити закінчимо закончить закончим"""
)
_ABOUT = word_set("опитування анкета анкету анкети опрос опроса анкету питання вопросы це это його его")


def from_key(question: Question, keys: str) -> Answer | None:
    """The answer keys pressed (or typed) stand for, or None when they stand for none."""
    keys = keys.strip().removesuffix("#")
    if not keys.isdigit():
        return None
    number = int(keys)
    if question.kind is QuestionKind.NUMBER:
        return number if _in_range(question, number) else None
    keyed = question.values()  # in the order of their keys: 1, 2, …
    return keyed[number - 1] if 1 <= number <= len(keyed) else None


def key_of(question: Question, value: str) -> str:
    """The phone key of a yes/no or choice answer."""
    keyed = question.values()
    return str(keyed.index(value) + 1) if value in keyed else ""


def from_words(question: Question, text: str, lang: str) -> Answer | None:
    """The answer an utterance gives, or None when it gives none (or several)."""
    words = tokens(text, lang)
    if not words or len(words) > MAX_ANSWER_WORDS:
        return None
    if _dont_know(words):
        return UNKNOWN if question.dont_know else None
    if question.kind is QuestionKind.NUMBER:
        number = _number(words)
        return number if number is not None and _in_range(question, number) else None
    if len(words) == 1 and words[0].isdigit():  # "2", "друге": the key said or typed
        return from_key(question, words[0])
    if question.kind is QuestionKind.YES_NO:
        return _yes_or_no(words)
    return _choice(question, words, lang)


def is_stop(text: str, lang: str) -> bool:
    """The citizen wants out of the questionnaire ("стоп", "зупиніть опитування", "хватит")."""
    words = [w for w in tokens(text, lang) if w not in _PADDING and w not in _ABOUT]
    return 0 < len(words) <= 3 and any(w in _STOP for w in words) and all(w in _STOP or w in _NO for w in words)


def number_said(text: str, lang: str) -> int | None:
    """The number an utterance says, whatever the question's range (to tell "out of range" from "no number")."""
    words = tokens(text, lang)
    return _number(words) if 0 < len(words) <= MAX_ANSWER_WORDS else None


def _in_range(question: Question, number: int) -> bool:
    low = question.minimum if question.minimum is not None else 0
    high = question.maximum if question.maximum is not None else number
    return low <= number <= high


def _dont_know(words: Sequence[str]) -> bool:
    joined = f" {' '.join(words)} "
    said = any(f" {' '.join(phrase)} " in joined for phrase in _DONT_KNOW)
    return said and all(w in _DONT_KNOW_WORDS or w in _PADDING for w in words)


def _number(words: Sequence[str]) -> int | None:
    """One number, from digits, number words and collective numerals; None for none, two, or other words."""
    numbers: list[int] = []
    for word in words:
        value = _number_word(word)
        if value is not None:
            if numbers and numbers[-1] >= 20 and numbers[-1] % 10 == 0 and 0 < value < 10:
                numbers[-1] += value  # "двадцять п'ять"
            else:
                numbers.append(value)
        elif word not in _COUNTED:
            return None
    return numbers[0] if len(numbers) == 1 else None


def _number_word(word: str) -> int | None:
    if word.isdigit():
        return int(word)
    if word in _NONE:
        return 0
    return _COLLECTIVE.get(word)


def _yes_or_no(words: Sequence[str], *, strict: bool = False) -> str | None:
    """Yes or no: from yes/no words alone, or (unless `strict`) led by one ("так, доглядаю", "ні, не треба")."""
    plain = all(w in _YES or w in _NO or w in _PADDING for w in words)
    if not plain and (strict or words[0] not in _FIRM):
        return None
    if any(w in _NO for w in words):
        return NO  # "ні", "не маю", and the Russian "да нет"
    return YES if any(w in _YES for w in words) else None


def _choice(question: Question, words: Sequence[str], lang: str) -> str | None:
    """The choice whose label or phrases explain the utterance best, clearly; yes/no words pick `yes`/`no`."""
    plain = _yes_or_no(words, strict=True)
    if plain is not None and question.choice(plain) is not None:
        return plain
    content = [w for w in words if w not in _PADDING and w not in _YES]
    if not content:
        return None
    scores = {c.id: _explained(content, _vocabulary(question, c.id, lang), lang) for c in question.choices}
    best = max(scores.values(), default=0)
    winners = [choice for choice, score in scores.items() if score == best]
    return winners[0] if best > 0 and len(winners) == 1 else None


def _explained(words: Sequence[str], vocabulary: frozenset[str], lang: str) -> int:
    return sum(1 for w in words if lemma_set(w, lang) & vocabulary)


def _vocabulary(question: Question, choice_id: str, lang: str) -> frozenset[str]:
    choice = question.choice(choice_id)
    if choice is None:
        return frozenset()
    text = choice.text(lang)
    return _lemmas_of((text.label, *text.phrases), lang)


@lru_cache(maxsize=4096)
def _lemmas_of(phrases: Iterable[str], lang: str) -> frozenset[str]:
    found: set[str] = set()
    for phrase in phrases:
        for word in tokens(phrase, lang):
            if word not in _PADDING and word not in _YES:
                found |= lemma_set(word, lang)
    return frozenset(found)
