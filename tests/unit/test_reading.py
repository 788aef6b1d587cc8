"""How the matcher reads real messages: parts of a long message, transcript slips, small talk, danger."""

from __future__ import annotations

import pytest

from intents import clauses, crisis, transcript
from intents.normalise import tokens
from intents.smalltalk import SmallTalk
from intents.tree import Action, Node, NodeKind, NodeText


@pytest.mark.parametrize(
    ("sentence", "asks"),
    [("Як тепер відновити довідку", True), ("Куда обращаться?", True), ("Мені сімдесят років.", False)],
)
def test_the_sentence_that_asks_is_known_by_its_mark_or_its_first_word(sentence: str, asks: bool) -> None:
    assert clauses.sentences(f"Ми переселенці. {sentence}")[1] == (sentence, asks)


def test_a_long_message_is_read_in_sentences_clauses_and_neighbouring_pairs() -> None:
    text = "Ми пенсіонери. Сусідка радить оформити субсидію, а я не знаю, з чого почати?"
    assert clauses.parts(text) == ["Ми пенсіонери", "Сусідка радить оформити субсидію", "а я не знаю", "з чого почати"]
    windows = {w.text: w.asks for w in clauses.windows(text)}
    assert windows["Сусідка радить оформити субсидію"] is False
    assert windows["Сусідка радить оформити субсидію а я не знаю"] is False
    # The sentence that asks, alone and with the sentence before it.
    assert windows["Сусідка радить оформити субсидію, а я не знаю, з чого почати?"] is True
    assert windows["Ми пенсіонери. Сусідка радить оформити субсидію, а я не знаю, з чого почати?"] is True
    assert clauses.windows("оформити субсидію на комуналку вперше куди йти") == []  # a transcript: read whole


VOCABULARY = {"субсидію", "переселенцям", "похороны", "проезд"}


@pytest.mark.parametrize(
    ("said", "repaired"),
    [
        ("жена у бэ дэ какие льготы", "жена убд какие льготы"),
        ("де отримати довідку ве пе о", "де отримати довідку впо"),
        ("передали в пе еф у", "передали в пфу"),
        ("и эн эн потерял", "инн потерял"),
        ("оновити дані в те це ка", "оновити дані в тцк"),
        ("хочу подать на суб сидию", "хочу подать на субсидию"),
        ("допомога пере селенцям", "допомога переселенцям"),
        ("выплата на по хороны", "выплата на похороны"),
        ("льготный про езд", "льготный проезд"),
        ("де ви працюєте", "де ви працюєте"),  # "де" alone is "where"
        ("по дому допомога", "по дому допомога"),  # neighbours the tree does not know joined stay apart
    ],
)
def test_transcript_slips_are_repaired(said: str, repaired: str) -> None:
    def known_to_tree(word: str) -> bool:
        return word in VOCABULARY | {"субсидию"}

    assert " ".join(transcript.repair(tokens(said, "uk"), known_to_tree)) == repaired


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("мене б'є чоловік", "uk"),
        ("Я больше не вижу смысла жить, после гибели сына всё рухнуло. Думаю, что проще всё закончить.", "ru"),
        ("Субсидію зняли, грошей нема. Я не бачу виходу, руки опускаються.", "uk"),
        ("сусідська дитина сама вдома третій день батьків нема", "uk"),
        ("батьки п'ють а діти голодні ходять", "uk"),
        ("Чоловік напився, я зачинилася у ванній і пишу звідси", "uk"),
        ("сын бьет меня и забирает пенсию, я боюсь за свою жизнь", "ru"),
        ("боюсь идти домой муж опять пьяный", "ru"),
        ("ребенок один дома уже два дня мать не приходит", "ru"),
        ("мені погрожують ножем", "uk"),
        ("краще б мене не було на цьому світі", "uk"),
    ],
)
def test_danger_is_seen_outright_and_between_the_lines(text: str, lang: str) -> None:
    assert crisis.spoken_of(text, lang)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Умер дядя, одинокий, нигде не работал. Куда подавать на помощь на погребение?", "ru"),
        ("Живемо разом з батьками чоловіка, яку знижку маємо?", "uk"),
        ("Муж потерял работу, денег совсем нет, как оформить помощь малообеспеченным", "ru"),
        ("залишила дитину з бабусею, а сама на роботі, чи є допомога", "uk"),
    ],
)
def test_hard_lives_are_not_taken_for_danger(text: str, lang: str) -> None:
    assert not crisis.spoken_of(text, lang)


def _small_talk() -> SmallTalk:
    def node(slug: str, uk: list[str], ru: list[str]) -> Node:
        texts = {
            lang: NodeText(title=slug, short="-", long="-", phrases=tuple(p)) for lang, p in (("uk", uk), ("ru", ru))
        }
        return Node(slug=slug, kind=NodeKind.INTENT, texts=texts, action=Action.SMALLTALK)

    return SmallTalk.of(
        [
            node("smalltalk_thanks", ["дякую", "дякую все зрозуміло"], ["спасибо", "огромное спасибо"]),
            node("smalltalk_greeting", ["добрий день", "привіт як справи"], ["здравствуйте", "как дела"]),
        ]
    )


@pytest.mark.parametrize(
    ("text", "lang", "slug"),
    [
        ("Дякую!", "uk", "smalltalk_thanks"),
        ("спасибо огромное", "ru", "smalltalk_thanks"),
        ("добрий денб", "uk", "smalltalk_greeting"),
        ("Спасибо, теперь всё ясно. Неделю не могла разобраться.", "ru", "smalltalk_thanks"),
        ("тест", "uk", None),
        ("дякую за субсидію", "uk", None),
    ],
)
def test_small_talk_is_said_on_its_own(text: str, lang: str, slug: str | None) -> None:
    assert _small_talk().match(text, lang) == slug


def test_every_word_the_matchers_lists_name_is_one_the_demo_pack_uses() -> None:
    """A listed word no intent has could never select one of our intents: a dead entry (a bug)."""
    from intents.lexicon import NEVER_ANCHOR, SYNONYMS
    from intents.matcher import Matcher
    from intents.pack import DEMO_PACK, load_pack

    matcher = Matcher.build(load_pack(DEMO_PACK))
    vocabulary = set(matcher.idf)
    assert not (set(SYNONYMS.values()) - vocabulary)
    unused = {w for w in NEVER_ANCHOR if not matcher.words(w, "uk") or not matcher.words(w, "uk")[0].lemmas}
    assert not unused, unused
