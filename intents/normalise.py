"""Text normalisation and lemmatisation for matching Ukrainian and Russian free text and speech.

Everything here is pure and deterministic. The two pymorphy3 analyzers load once per process on
first use (about 0.3 s); lemmas are cached per token, so a warm call costs microseconds.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, NamedTuple

import pymorphy3

LANGS: tuple[str, ...] = ("uk", "ru")
APOSTROPHE = "'"

# Every apostrophe a keyboard, a phone or a word processor produces; pymorphy3's Ukrainian
# dictionary spells words with the ASCII one. A pattern, not str.translate: translating a Cyrillic
# text looks up every letter in a dict, ten times slower than one regex pass.
_APOSTROPHES = re.compile("[’ʼ`′‘ʹ´]")

# Latin letters that look like Cyrillic ones, typed by mistake inside Cyrillic words
# ("пiльги" with a Latin i). Applied after lower-casing, so capitals are covered too.
_LOOKALIKES = str.maketrans(
    {"a": "а", "b": "в", "c": "с", "e": "е", "h": "н", "i": "і", "k": "к", "m": "м",
     "o": "о", "p": "р", "t": "т", "x": "х", "y": "у"}
)

_CYRILLIC = re.compile(r"[а-яіїєґ]")
_LATIN = re.compile(r"[a-z]")
# A word keeps inner apostrophes (сім'я); digits stand apart from letters ("2гр" → "2 гр").
_TOKEN = re.compile(r"\d+|[^\W\d_]+(?:'[^\W\d_]+)*")
_RUN = re.compile(r"([^\W\d_])\1{2,}")
_MAX_FORMS = 4


def word_set(text: str) -> frozenset[str]:
    """A set of words written as one whitespace-separated string (long word lists stay readable)."""
    return frozenset(text.split())


def _ordinals(stems: dict[str, int], endings: tuple[str, ...]) -> dict[str, int]:
    return {stem + end: value for stem, value in stems.items() for end in endings}


_UK_ADJ = ("ий", "а", "е", "у", "ого", "ої", "ому", "ій", "им", "ім", "ою")
_RU_ADJ = ("ый", "ой", "ая", "ое", "ую", "ого", "ому", "ым", "ом")

_UK_CARDINALS: dict[str, int] = {
    "нуль": 0, "нуля": 0, "нулю": 0, "нулем": 0,
    "один": 1, "одна": 1, "одне": 1, "одну": 1, "одного": 1, "одній": 1, "одним": 1,
    "два": 2, "дві": 2, "двох": 2, "двом": 2, "двома": 2,
    "три": 3, "трьох": 3, "трьом": 3, "трьома": 3,
    "чотири": 4, "чотирьох": 4, "п'ять": 5, "п'яти": 5, "п'ятьох": 5,
    "шість": 6, "шести": 6, "сім": 7, "семи": 7, "вісім": 8, "восьми": 8,
    "дев'ять": 9, "дев'яти": 9, "десять": 10, "десяти": 10,
    "одинадцять": 11, "дванадцять": 12, "тринадцять": 13, "чотирнадцять": 14, "п'ятнадцять": 15,
    "шістнадцять": 16, "сімнадцять": 17, "вісімнадцять": 18, "дев'ятнадцять": 19, "двадцять": 20,
    "тридцять": 30, "сорок": 40, "п'ятдесят": 50, "шістдесят": 60, "сімдесят": 70,
    "вісімдесят": 80, "дев'яносто": 90, "сто": 100,
}
_RU_CARDINALS: dict[str, int] = {
    "ноль": 0, "нуль": 0, "ноля": 0, "нуля": 0,
    "один": 1, "одна": 1, "одно": 1, "одну": 1, "одного": 1, "одной": 1, "одним": 1,
    "два": 2, "две": 2, "двух": 2, "двум": 2, "три": 3, "трех": 3, "трем": 3,
    "четыре": 4, "четырех": 4, "пять": 5, "пяти": 5, "шесть": 6, "шести": 6, "семь": 7, "семи": 7,
    "восемь": 8, "восьми": 8, "девять": 9, "девяти": 9, "десять": 10, "десяти": 10,
    "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14, "пятнадцать": 15,
    "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18, "девятнадцать": 19, "двадцать": 20,
    "тридцать": 30, "сорок": 40, "пятьдесят": 50, "шестьдесят": 60, "семьдесят": 70,
    "восемьдесят": 80, "девяносто": 90, "сто": 100,
}
_UK_ORDINALS: dict[str, int] = {
    **_ordinals(
        {"нульов": 0, "перш": 1, "четверт": 4, "п'ят": 5, "шост": 6, "сьом": 7, "восьм": 8,
         "дев'ят": 9, "десят": 10, "одинадцят": 11, "дванадцят": 12, "тринадцят": 13,
         "чотирнадцят": 14, "п'ятнадцят": 15, "шістнадцят": 16, "сімнадцят": 17,
         "вісімнадцят": 18, "дев'ятнадцят": 19, "двадцят": 20},
        _UK_ADJ,
    ),
    **{w: 3 for w in ("третій", "третя", "третє", "третю", "третього", "третьої", "третьому", "третім")},
}
# "друг-" is "second" in Ukrainian but "friend"/"other" in Russian: only read it in Ukrainian.
_UK_ONLY_ORDINALS: dict[str, int] = _ordinals({"друг": 2}, _UK_ADJ)
_RU_ORDINALS: dict[str, int] = {
    **_ordinals(
        {"нулев": 0, "перв": 1, "втор": 2, "четверт": 4, "пят": 5, "шест": 6, "седьм": 7, "восьм": 8,
         "девят": 9, "десят": 10, "одиннадцат": 11, "двенадцат": 12, "тринадцат": 13,
         "четырнадцат": 14, "пятнадцат": 15, "шестнадцат": 16, "семнадцат": 17,
         "восемнадцат": 18, "девятнадцат": 19, "двадцат": 20},
        _RU_ADJ,
    ),
    **{w: 3 for w in ("третий", "третья", "третье", "третью", "третьего", "третьей", "третьему", "третьим")},
}
_EN_NUMBERS: dict[str, int] = {
    w: i
    for i, words in enumerate(
        [("zero",), ("one", "first"), ("two", "second"), ("three", "third"), ("four", "fourth"),
         ("five", "fifth"), ("six", "sixth"), ("seven", "seventh"), ("eight", "eighth"),
         ("nine", "ninth"), ("ten", "tenth")]
    )
    for w in words
}
_NUMBERS_COMMON: dict[str, int] = {
    **_EN_NUMBERS, **_RU_CARDINALS, **_RU_ORDINALS, **_UK_CARDINALS, **_UK_ORDINALS,
    "пять": 5, "девять": 9,  # the Ukrainian words typed without the apostrophe
}
_NUMBERS: dict[str, dict[str, int]] = {
    "uk": {**_NUMBERS_COMMON, **_UK_ONLY_ORDINALS},
    "ru": _NUMBERS_COMMON,
}

# Words that carry no topic: politeness, fillers, pronouns, particles, prepositions, question words.
STOP_WORDS: frozenset[str] = word_set(
    """
    а або але ага алло ало аби ось от оце це цей ця ці цього того те той та так тож також то ну
    еее ее ем гм хм мм ммм ой ай ага угу ж же би б бо вже ще лише тільки навіть саме просто мабуть
    будь ласка ласко будьласка підкажіть підкажи скажіть скажи поясніть поясни допоможіть
    дякую спасибі привіт вітаю добрий доброго добридень здрастуйте здравствуйте
    я мене мені мною ми нас нам нами ви вас вам вами ти тебе тобі він його йому ним нього вона її їй
    нею неї воно вони їх їм ними них мій моя моє мої мого моєї моєму моїм моїй свій своя своє свої
    свого своєї наш наша наше наші ваш ваша ваше ваші хтось щось якийсь якась якесь
    у в во на з із зі до від для про по за під над при через між біля крізь без к к с со из от о об
    і й та чи ні не нє якщо коли де куди звідки чому навіщо як скільки що який яка яке які якого
    якої якому яким якій хто кого кому котрий чого
    треба потрібно потрібен потрібна потрібні можна можливо хочу хочемо хотів хотіла хотілося
    буде будуть був була було були є бути
    и или но если когда где куда откуда почему зачем как сколько что какой какая какое какие
    какого какой какую каком каких кто кого кому который чего ли бы
    это этот эта эти этого тот та те того так тоже также только даже уже еще ещё вот вон
    я меня мне мной мы нас нам нами вы вас вам вами ты тебя тебе он его ему ним него она ее её ей
    ней нее неё оно они их им ними них мой моя мое моё мои моего моей моему моим свой своя свое свои
    своего своей наш наша наше наши ваш ваша ваше ваши
    пожалуйста подскажите подскажи скажите скажи объясните помогите спасибо привет здравствуй
    добрый доброе добрая здрасьте алё нет да
    нужно надо нужен нужна нужны можно хочу хотим хотел хотела хотелось
    будет будут был была было были есть быть
    щас сам сама само самі сами самий самый хотіти хотеть
    весь ввесь все всё усе увесь всього всего всі всех всім всем
    теж майже дуже зовсім трохи знову потім раніше завжди ніколи щоразу тому тож отож
    почти очень совсем немного чуть снова опять потом раньше всегда никогда сразу поэтому потому
    казати сказати говорити чути радити порадити
    сказать говорить слышать советовать посоветовать
    дівчино девушка слухайте слушайте послухайте послушайте короче значить значит типу типа
    розумієте понимаете знаєте знаете кажу говорю загалом взагалі вообще знати знать розуміти понимать
    почати начать робити зробити делать сделать
    січень лютий березень квітень травень червень липень серпень вересень жовтень листопад грудень
    январь февраль март апрель май июнь июль август сентябрь октябрь ноябрь декабрь
    please hello hi
    """
)
# Two-word greetings and politeness; "день" or "ласка" alone may still mean something.
_STOP_PAIRS: frozenset[tuple[str, str]] = frozenset(
    tuple(p.split())  # type: ignore[misc]
    for p in (
        "будь ласка", "будь ласко", "добрий день", "доброго дня", "добрий вечір", "доброго вечора",
        "доброго ранку", "добрий ранок", "добрый день", "доброго дня", "добрый вечер", "доброе утро",
        "доброго утра", "доброго вечера",
    )
)


@lru_cache(maxsize=2)
def analyzer(lang: str) -> Any:
    """The pymorphy3 analyzer for `lang`, loaded once per process."""
    return pymorphy3.MorphAnalyzer(lang=lang)


def other(lang: str) -> str:
    return "ru" if lang == "uk" else "uk"


def _fix_lookalikes(word: str) -> str:
    if _CYRILLIC.search(word) and _LATIN.search(word):
        return word.translate(_LOOKALIKES)
    return word


@lru_cache(maxsize=4096)
def _collapse(word: str) -> str:
    """Squeeze stretched letters ("субсидіяяя"); keep a double where the dictionary has one (життя)."""
    if not _RUN.search(word):
        return word
    single = _RUN.sub(r"\1", word)
    double = _RUN.sub(r"\1\1", word)
    for lang in LANGS:
        if is_known(double, lang) and not is_known(single, lang):
            return double
    return single


def _number(word: str, lang: str) -> str:
    value = _NUMBERS.get(lang, _NUMBERS_COMMON).get(word)
    return word if value is None else str(value)


@lru_cache(maxsize=65536)
def _word(raw: str, lang: str) -> str:
    word = _collapse(_fix_lookalikes(raw).strip(APOSTROPHE))
    return _number(word, lang)


# The matcher reads one message several times over (small talk, crisis, the whole message): a short
# memory of the last texts spares re-reading it, and is too short to hold messages from turn to turn.
@lru_cache(maxsize=16)
def tokens(text: str, lang: str) -> tuple[str, ...]:
    """Normalised words and numbers of `text`, in order, nothing dropped."""
    text = _APOSTROPHES.sub(APOSTROPHE, text.lower().replace("ё", "е"))
    return tuple(w for w in (_word(m.group(), lang) for m in _TOKEN.finditer(text)) if w)


def normalise(text: str, lang: str) -> str:
    """Lower case, one apostrophe, no punctuation or emoji, Cyrillic look-alikes fixed, numbers as digits."""
    return " ".join(tokens(text, lang))


@lru_cache(maxsize=65536)
def is_known(word: str, lang: str) -> bool:
    return bool(analyzer(lang).word_is_known(word))


# Conjunctions, particles, pronouns (the Ukrainian dictionary counts "тепер", "досі" among them),
# pronominal adjectives ("такой", "всю") and interjections: the grammar of a story, never its topic.
# Prepositions are listed in STOP_WORDS by hand: "вместо", "после", "нижче" do carry meaning.
_FUNCTION_POS = frozenset({"CONJ", "PRCL", "NPRO", "INTJ"})
# The dictionaries' function words that are topics here: "учасник АТО" is no particle.
_NOT_FUNCTION = word_set("ато")


class _Reading(NamedTuple):
    forms: tuple[str, ...]  # normal forms, most likely first
    function: bool  # the likeliest parse is a conjunction, particle, pronoun or interjection


@lru_cache(maxsize=65536)
def _reading(word: str, lang: str) -> _Reading:
    """What the `lang` dictionary makes of `word`, from one parse (the dictionary look-up is the costly part).

    The Russian dictionary scores its parses. The Ukrainian one does not (every score is 1.0, and
    "мати" comes out as "мата" first), so there the word's own form wins, then the most frequent.
    """
    parses = analyzer(lang).parse(word)
    tag = parses[0].tag
    function = tag.POS in _FUNCTION_POS or "Apro" in tag.grammemes
    forms = [str(p.normal_form).replace("ё", "е") for p in parses]
    if len({p.score for p in parses}) > 1:
        # Rare readings ("дали" as the painter) only add noise to matching.
        top = parses[0].score
        return _Reading(
            tuple(dict.fromkeys(f for f, p in zip(forms, parses, strict=True) if p.score >= top / 10)), function
        )
    counts = {f: forms.count(f) for f in forms}
    return _Reading(tuple(sorted(dict.fromkeys(forms), key=lambda f: (f != word, -counts[f]))), function)


@lru_cache(maxsize=65536)
def lemma(word: str, lang: str) -> str:
    """The dictionary form of one normalised word, trying `lang` first and then the other language."""
    if not _CYRILLIC.search(word):
        return word
    for candidate in (lang, other(lang)):
        if is_known(word, candidate):
            return _reading(word, candidate).forms[0]
    return _reading(word, lang).forms[0]


@lru_cache(maxsize=65536)
def lemma_set(word: str, lang: str) -> frozenset[str]:
    """Every plausible lemma of one word, from each language that knows it.

    Matching compares sets, so a wrong first guess ("війни" → "війнути") still meets "війна", and
    a word both languages know ("оформить") meets both "оформити" and "оформить".
    """
    if not _CYRILLIC.search(word):
        return frozenset((word,))
    known = [c for c in (lang, other(lang)) if is_known(word, c)]
    if not known:
        return frozenset((word, _reading(word, lang).forms[0]))
    return frozenset(f for c in known for f in _reading(word, c).forms[:_MAX_FORMS])


def is_stop(word: str) -> bool:
    return word in STOP_WORDS


@lru_cache(maxsize=65536)
def is_function_word(word: str, lang: str) -> bool:
    """A word that carries no topic, by its form, its lemma or its part of speech.

    The one test for the phrases of the tree and for what citizens write, so that a word such as
    "теж" or "щоб" neither weighs in a phrase nor counts against an utterance.
    """
    if word in STOP_WORDS:
        return True
    if word in _NOT_FUNCTION or not _CYRILLIC.search(word):
        return False
    if lemma(word, lang) in STOP_WORDS:
        return True
    for candidate in (lang, other(lang)):
        if is_known(word, candidate):
            return _reading(word, candidate).function
    return False


_PAIR_STARTS = frozenset(first for first, _ in _STOP_PAIRS)


def drop_stop(words: tuple[str, ...] | list[str]) -> list[str]:
    """The words without stop words and two-word politeness ("будь ласка")."""
    kept: list[str] = []
    i = 0
    while i < len(words):
        if words[i] in _PAIR_STARTS and tuple(words[i : i + 2]) in _STOP_PAIRS:
            i += 2
            continue
        if not is_stop(words[i]):
            kept.append(words[i])
        i += 1
    return kept


def content_tokens(text: str, lang: str) -> tuple[str, ...]:
    """Normalised words of `text` without stop words and other function words (numbers kept)."""
    return tuple(w for w in drop_stop(tokens(text, lang)) if not is_function_word(w, lang))


def lemmas(text: str, lang: str) -> tuple[str, ...]:
    """Lemmas of the content words of `text`, stop words removed (by surface form and by lemma)."""
    out = (lemma(w, lang) for w in content_tokens(text, lang))
    return tuple(w for w in out if not is_stop(w))


# Latin spellings of Cyrillic words: transliteration ("subsidiya ne prishla") and text typed with
# the wrong keyboard layout ("cjwpfobcn").
_TRANSLIT_MULTI = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"), ("ts", "ц"),
    ("yu", "ю"), ("ya", "я"), ("yo", "е"), ("ye", "е"), ("ju", "ю"), ("ja", "я"), ("iu", "ю"),
    ("ia", "я"), ("yi", "ї"),
)
_TRANSLIT_RU = str.maketrans(
    "abvgdezijklmnoprstufhcyw'", "абвгдезийклмнопрстуфхцыв'"
)
_TRANSLIT_UK = str.maketrans(
    "abvgdezijklmnoprstufhcyw'", "абвгдезіjклмнопрстуфгцив'"
)
_LAYOUT_RU = str.maketrans("qwertyuiopasdfghjklzxcvbnm", "йцукенгшщзфывапролдячсмить")
_LAYOUT_UK = str.maketrans("qwertyuiopasdfghjklzxcvbnm", "йцукенгшщзфівапролдячсмить")


def _transliterate(word: str, table: dict[int, int]) -> str:
    for latin, cyrillic in _TRANSLIT_MULTI:
        word = word.replace(latin, cyrillic)
    return word.translate(table).replace("j", "й")


_APOSTROPHE_SLOT = re.compile(r"(?<=[бпвмфрзд])(?=[яюєї])")  # labials, р, and prefixes з-, від-


def apostrophe_variants(word: str) -> tuple[str, ...]:
    """Ukrainian words typed without their apostrophe ("сімя", "пять", "зєднайте"), put back."""
    if APOSTROPHE in word or not _APOSTROPHE_SLOT.search(word):
        return ()
    return (_APOSTROPHE_SLOT.sub(APOSTROPHE, word),)


def latin_variants(word: str) -> tuple[str, ...]:
    """Cyrillic readings of an all-Latin word: transliterated, and re-typed in the uk/ru layouts."""
    if not word.isascii() or not word.isalpha():
        return ()
    variants = (
        _transliterate(word, _TRANSLIT_RU),
        _transliterate(word, _TRANSLIT_UK),
        word.translate(_LAYOUT_RU),
        word.translate(_LAYOUT_UK),
    )
    return tuple(dict.fromkeys(variants))
