"""Global spoken and typed commands (operator, repeat, back, menu, yes, no) and language choice.

Pure functions over normalised words. A command is recognised only when the whole utterance is
a command (a few words, all of them command words or politeness); the one exception is an explicit
request for a person inside a longer sentence ("дайте будь ласка оператора"), because a caller who
asks for a human must reach one.
"""

from __future__ import annotations

from enum import StrEnum

from intents.normalise import apostrophe_variants, is_known, tokens, word_set

# Longer than this, an utterance is a question, not a command.
MAX_COMMAND_WORDS = 6


class Command(StrEnum):
    OPERATOR = "operator"
    REPEAT = "repeat"
    BACK = "back"
    MENU = "menu"
    YES = "yes"
    NO = "no"


# Words that only pad a command: politeness, pronouns, prepositions, fillers.
_PADDING = word_set(
    """
    будь ласка ласко пожалуйста please мені мне мене меня нам нас ви вы вас мы ми я
    з зі із с до к на в у із зі ну а ой алло ало але но от ось вот же ж хочу хочемо хотів хотіла
    хотел хотела хотим можна можно мож треба надо нужно потрібно будь-ласка
    давайте давай дайте дай сюди сюда ще еще раз знову снова хочу мені дякую спасибо вже уже
    пане пани шановний добре будь
    """
)
_PERSON = word_set(
    """
    оператор оператора оператору оператором операторові операторa операторка операторки
    людина людини людину людиною людьми живий живою живої живого живим живу живая живой живым
    живого живому человек человека человеком человеку людей специалист специалиста специалистом
    спеціаліст спеціаліста спеціалістом консультант консультанта консультантом працівник
    працівника працівником працівником сотрудник сотрудника сотрудником менеджер менеджера
    фахівець фахівця фахівцем 0
    """
)
# Verbs of a request for a person; with _PERSON they make a whole short command.
_ASK_PERSON = word_set(
    """
    з'єднайте з'єднай з'єднати з'єднуйте переключіть переключи переключити покличте поклич
    дайте дай дати соедините соедини соединить переключите переключить позовите позови позвать
    поговорити поговорить говорити говорить розмовляти переведіть переведите
    зв'язатися зв'язатись зв'язати связаться связать треба надо нужен нужна потрібен потрібна
    """
)
# Inside a longer sentence only an unmistakable request counts: a connecting verb followed soon
# by a person ("дайте будь ласка оператора"), and no sign the person is the topic ("чому оператор…").
_CONNECT = _ASK_PERSON - word_set("треба надо нужен нужна потрібен потрібна")
_HUMAN = word_set(
    """оператор оператора оператору оператором людина людини людину людиною живою живим живий
    живой живым человек человека человеком специалист специалиста специалистом спеціаліст
    спеціаліста спеціалістом консультант консультанта консультантом фахівець фахівця фахівцем"""
)
_TOPIC_MARKERS = word_set(
    """чому почему скарга скаргу скаржитися поскаржитися жалоба жалобу пожаловаться відповідає
    відповідають отвечает отвечают працює работает"""
)
_REQUEST_REACH = 4
_COMMAND_WORDS: dict[Command, frozenset[str]] = {
    Command.OPERATOR: _PERSON | _ASK_PERSON,
    Command.REPEAT: word_set(
        """повторіть повтори повторити повторите повторить повторюйте ще раз еще разок
        не почув почула чув чула чути розчув розчула розслышал расслышал расслышала слышал слышала
        зрозумів зрозуміла понял поняла сказали що что"""
    ),
    Command.BACK: word_set(
        "назад повернутися повернутись поверніться поверніть вернуться вернитесь вернуть попереднє "
        "предыдущее попереднього предыдущему крок шаг меню"
    ),
    Command.MENU: word_set(
        "меню головне головного главное главного основне основного початок початку спочатку "
        "начало начала сначала заново старт"
    ),
    Command.YES: word_set("так да ага угу авжеж звісно звичайно конечно правильно вірно верно точно "
                        "добре хорошо ок окей yes yeah ok саме именно"),
    Command.NO: word_set("ні нет не нє ніт неа no nope не треба надо потрібно нужно інше другое"),
}
# Command words that also live in these other commands' vocabularies; the anchor says which it is.
_ANCHORS: dict[Command, frozenset[str]] = {
    Command.OPERATOR: _PERSON,
    Command.REPEAT: word_set("повторіть повтори повторити повторите повторить повторюйте раз разок "
                           "почув почула чув чула розчув розчула розслышал расслышал расслышала "
                           "слышал слышала зрозумів зрозуміла понял поняла"),
    Command.BACK: word_set("назад повернутися повернутись поверніться поверніть вернуться вернитесь "
                         "вернуть попереднє предыдущее попереднього предыдущему"),
    Command.MENU: word_set("меню початок початку спочатку начало начала сначала заново"),
    Command.YES: _COMMAND_WORDS[Command.YES],
    Command.NO: word_set("ні нет нє ніт неа no nope не інше другое"),
}
# When several commands fit ("ні, з'єднайте з оператором"), the one that does something wins.
_PRIORITY = (Command.OPERATOR, Command.MENU, Command.BACK, Command.REPEAT, Command.NO, Command.YES)


def _anchored(words: list[str]) -> list[Command]:
    return [c for c in _PRIORITY if any(w in _ANCHORS[c] for w in words)]


def _whole_command(words: list[str]) -> Command | None:
    """The command when every word of a short utterance is a command word or padding."""
    if not words or len(words) > MAX_COMMAND_WORDS:
        return None
    found = _anchored(words)
    allowed = _PADDING.union(*(_COMMAND_WORDS[c] for c in found))
    if not found or not all(w in allowed for w in words):
        return None
    if found[0] is Command.MENU and Command.BACK in found:
        return Command.BACK  # "попереднє меню": the previous menu, not the main one
    return found[0]


def _asks_for_person(words: list[str]) -> bool:
    """An explicit request for a person inside a longer sentence."""
    if any(w in _TOPIC_MARKERS for w in words):
        return False
    asks = [i for i, w in enumerate(words) if w in _CONNECT]
    humans = [i for i, w in enumerate(words) if w in _HUMAN]
    return any(0 < h - a <= _REQUEST_REACH for a in asks for h in humans)


_KNOWN = _PADDING.union(*_COMMAND_WORDS.values())


def _spelt(word: str) -> str:
    """The command word meant when the apostrophe was left out ("зєднайте")."""
    if word in _KNOWN:
        return word
    return next((v for v in apostrophe_variants(word) if v in _KNOWN), word)


def command_of(text: str, lang: str) -> Command | None:
    """The global command a short utterance is, or None for anything else."""
    words = [_spelt(w) for w in tokens(text, lang)]
    command = _whole_command(words)
    if command is not None:
        return command
    return Command.OPERATOR if _asks_for_person(words) else None


_LANGUAGE_PADDING = word_set("по мова мовою язык языке языком")
_UK_CHOICE = ("укр", "україн", "ukr", "ukrain", "державн", "ua")
_RU_CHOICE = ("рус", "росі", "рос", "russ", "ru")


def language_of_choice(text: str) -> str | None:
    """The language a caller names in answer to "which language?" ("українською", "по-русски")."""
    words = [w for w in tokens(text, "uk") if w not in _PADDING and w not in _LANGUAGE_PADDING]
    if not words or len(words) > 3:
        return None
    uk = any(w.startswith(_UK_CHOICE) for w in words)
    ru = any(w.startswith(_RU_CHOICE) for w in words)
    if uk == ru:
        return None
    return "uk" if uk else "ru"


_UK_LETTERS = frozenset("іїєґ'")
_RU_LETTERS = frozenset("ыэъ")
_UK_WORDS = word_set(
    """як що чи та це мені мене коли де чому скільки який яка які яке потрібно треба дякую ласка
    будь вже ще щоб або також ні так він вона вони ми ви ваш його її їх хочу можна отримати
    оформити допомога пільга пільги допомогу subsidy з із від до для нас вас ось тут"""
)
_RU_WORDS = word_set(
    """как что это мне меня когда где почему сколько какой какая какие нужно надо спасибо
    пожалуйста уже еще чтобы или тоже нет да он она они мы вы его ее их хочу можно получить
    оформить помощь льгота льготы помощи и от с для у вот здесь"""
)


def _dictionary_vote(word: str) -> int:
    """+1 when only the Ukrainian dictionary knows the word, -1 when only the Russian one does."""
    if len(word) < 3 or not word.isalpha():
        return 0
    return int(is_known(word, "uk")) - int(is_known(word, "ru"))


def guess_language(text: str) -> str | None:
    """Ukrainian or Russian from letters, frequent words and the dictionaries; None without evidence."""
    raw = text.lower()
    words = tokens(text, "uk")
    uk = sum(1 for w in words if _UK_LETTERS & set(w)) + sum(1 for w in words if w in _UK_WORDS)
    ru = sum(1 for w in words if _RU_LETTERS & set(w)) + sum(1 for w in words if w in _RU_WORDS)
    ru += raw.count("ё")
    votes = sum(_dictionary_vote(w) for w in words)
    # Letters and function words are sure signs; the dictionaries only break a tie.
    score = 2 * (uk - ru) + votes
    if score == 0:
        return None
    return "uk" if score > 0 else "ru"


# Words that may surround a number said to choose a menu item: "номер два", "третя кнопка".
_NUMBER_FILLERS = word_set(
    """номер номером цифра цифру цифри кнопка кнопку кнопки варіант варіанту вариант варианта пункт
    пункту опція опцію опции натискаю нажимаю натиснути нажать натисну нажму обираю вибираю
    выбираю the number option press"""
)


def spoken_number(text: str, lang: str) -> int | None:
    """The one number an utterance consists of ("2", "друге", "номер два"), else None."""
    words = [w for w in tokens(text, lang) if w not in _NUMBER_FILLERS and w not in _PADDING]
    if len(words) == 1 and words[0].isdigit():
        return int(words[0])
    return None
