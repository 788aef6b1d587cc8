"""The dialogue engine on a small tree with the real matcher: pure, no I/O."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import pytest

from intents.engine import Expect, Input, InputKind, State, Turn, handle
from intents.matcher import Match, Matcher
from intents.pack import parse_pack
from intents.tree import Node, Priority, Tree

PACK = textwrap.dedent(
    """\
    format: 1
    welcome: {uk: Вітаємо на лінії., ru: Здравствуйте.}
    tree:
      - slug: subsidies
        kind: category
        key: 1
        uk: {title: Субсидії, phrases: [субсидія, субсидії, житлова субсидія]}
        ru: {title: Субсидии, phrases: [субсидия, субсидии, жилищная субсидия]}
        children:
          - slug: housing_subsidy_apply
            kind: intent
            key: 1
            uk:
              title: Оформлення субсидії
              short: Заяву на субсидію подають до Пенсійного фонду.
              long: Заяву і декларацію на субсидію подають до Пенсійного фонду або через ЦНАП.
              phrases: [як оформити субсидію, оформлення субсидії, подати заяву на субсидію]
              keywords: [оформити субсидію]
            ru:
              title: Оформление субсидии
              short: Заявление на субсидию подают в Пенсионный фонд.
              long: Заявление и декларацию на субсидию подают в Пенсионный фонд или через ЦНАП.
              phrases: [как оформить субсидию, оформление субсидии, подать заявление на субсидию]
              keywords: [оформить субсидию]
          - slug: housing_subsidy_status
            kind: intent
            key: 2
            uk:
              title: Чому не нарахували субсидію
              short: Причину відмови повідомляє Пенсійний фонд.
              long: Якщо субсидію не нарахували, причину можна дізнатися в Пенсійному фонді.
              phrases: [чому не нарахували субсидію, відмовили в субсидії, субсидію зняли]
              keywords: [не нарахували, відмовили]
            ru:
              title: Почему не начислили субсидию
              short: Причину отказа сообщает Пенсионный фонд.
              long: Если субсидию не начислили, причину можно узнать в Пенсионном фонде.
              phrases: [почему не начислили субсидию, отказали в субсидии, субсидию сняли]
              keywords: [не начислили, отказали]
      - slug: families
        kind: category
        key: 2
        uk: {title: Сім'ї з дітьми, phrases: [сім'ї з дітьми, діти]}
        ru: {title: Семьи с детьми, phrases: [семьи с детьми, дети]}
        children:
          - slug: birth_grant
            kind: intent
            key: 1
            uk:
              title: Допомога при народженні
              short: Допомогу при народженні дитини призначає Пенсійний фонд.
              long: Допомога при народженні дитини — заява через Дію або Пенсійний фонд.
              phrases: [допомога при народженні дитини, народила дитину яка допомога, виплата на новонародженого]
              keywords: [народження, народженні]
            ru:
              title: Помощь при рождении
              short: Помощь при рождении ребёнка назначает Пенсионный фонд.
              long: Помощь при рождении ребёнка — заявление через Дию или Пенсионный фонд.
              phrases: [помощь при рождении ребенка, родила ребенка какая помощь, выплата на новорожденного]
              keywords: [рождение, рождении]
          - slug: crisis
            kind: intent
            key: 2
            action: emergency
            priority: emergency
            uk:
              title: Кризова ситуація
              short: Якщо вам загрожує небезпека, телефонуйте 112.
              long: Якщо вам загрожує небезпека, телефонуйте 112 або 102.
              phrases: [мене б'є чоловік, насильство в сім'ї, не хочу жити]
              keywords: [насильство, б'є]
            ru:
              title: Кризисная ситуация
              short: Если вам угрожает опасность, звоните 112.
              long: Если вам угрожает опасность, звоните 112 или 102.
              phrases: [меня бьёт муж, насилие в семье, не хочу жить]
              keywords: [насилие, бьёт]
      - slug: operator
        kind: intent
        action: handoff
        uk: {title: Фахівець, short: З'єдную., long: З'єдную з фахівцем., phrases: [оператор, жива людина]}
        ru: {title: Специалист, short: Соединяю., long: Соединяю со специалистом., phrases: [оператор, живой человек]}
      - slug: other_offices
        kind: category
        uk: {title: Інші установи}
        ru: {title: Другие учреждения}
        children:
          - slug: other_police
            kind: intent
            action: referral
            uk: {title: Поліція, short: Це поліція — 102., long: Це поліція — 102., phrases: [вкрали гаманець]}
            ru: {title: Полиция, short: Это полиция — 102., long: Это полиция — 102., phrases: [украли кошелек]}
          - slug: smalltalk_thanks
            kind: intent
            action: smalltalk
            uk: {title: Подяка, short: Будь ласка!, long: Будь ласка! Радий допомогти., phrases: [дякую, спасибі]}
            ru: {title: Благодарность, short: Пожалуйста!, long: Пожалуйста! Рад помочь., phrases: [спасибо]}
    """
)


@pytest.fixture(scope="module")
def tree() -> Tree:
    return parse_pack(PACK)


@pytest.fixture(scope="module")
def matcher(tree: Tree) -> Matcher:
    return Matcher.build(tree)


class Talk:
    """A conversation driven turn by turn, as a channel adapter would."""

    def __init__(self, tree: Tree, matcher: Matcher) -> None:
        self.tree, self.matcher = tree, matcher
        self.state: State | None = None
        self.last: Turn | None = None

    def send(self, kind: InputKind, value: str = "", **extra: object) -> Turn:
        self.last = handle(self.state, Input(kind, value, **extra), self.tree, self.matcher)  # type: ignore[arg-type]
        self.state = self.last.state
        return self.last

    def start(self, lang: str | None = None) -> Turn:
        return self.send(InputKind.START, lang=lang)

    def digit(self, d: str) -> Turn:
        return self.send(InputKind.DIGIT, d)

    def text(self, t: str) -> Turn:
        return self.send(InputKind.TEXT, t)


@pytest.fixture
def talk(tree: Tree, matcher: Matcher) -> Talk:
    return Talk(tree, matcher)


def test_without_a_language_the_first_reply_asks_for_it(talk: Talk) -> None:
    turn = talk.start()
    reply = turn.replies[0]
    assert reply.expect is Expect.LANGUAGE
    assert [o.target for o in reply.options] == ["lang:uk", "lang:ru"]
    turn = talk.digit("2")
    assert turn.state.lang == "ru"
    assert turn.replies[0].greeting == "Здравствуйте."
    assert [o.key for o in turn.replies[0].options] == ["1", "2", "0"]


def test_language_by_word_and_a_question_instead_of_a_choice(talk: Talk) -> None:
    talk.start()
    assert talk.text("русский").state.lang == "ru"
    other = Talk(talk.tree, talk.matcher)
    other.start()
    turn = other.text("Як оформити субсидію?")
    assert turn.state.lang == "uk"
    assert turn.replies[0].intent == "housing_subsidy_apply"


def test_keypad_walk_to_an_answer_repeat_and_back(talk: Talk) -> None:
    talk.start("uk")
    menu = talk.digit("1").replies[0]
    assert menu.expect is Expect.MENU
    assert [o.target for o in menu.options] == ["housing_subsidy_apply", "housing_subsidy_status", "back", "operator"]
    answer = talk.digit("2").replies[0]
    assert answer.intent == "housing_subsidy_status"
    assert answer.text == "Причину відмови повідомляє Пенсійний фонд."  # no keys: the phone reads them out itself
    assert [(o.key, o.target) for o in answer.options] == [
        ("1", "repeat"),
        ("2", "menu"),
        ("#", "back"),
        ("0", "operator"),
    ]
    assert answer.text_long.startswith("Якщо субсидію не нарахували")
    again = talk.digit("1").replies[0]  # 1 repeats the answer, in its short form in writing too
    assert again.intent == "housing_subsidy_status" and again.text_long == answer.text
    assert talk.digit("*").replies[0].intent == "housing_subsidy_status"
    back = talk.digit("#").replies[0]
    assert back.intent is None and talk.state is not None and talk.state.menu == "subsidies"
    talk.digit("#")
    assert talk.state.menu is None


def test_menu_by_words_and_number_words(talk: Talk) -> None:
    talk.start("uk")
    turn = talk.text("субсидії")
    assert turn.state.menu == "subsidies"
    assert talk.text("два").replies[0].intent == "housing_subsidy_status"
    talk.digit("#")
    talk.digit("#")
    assert talk.text("другий").state.menu == "families"


def test_zero_and_words_for_a_person_hand_off(talk: Talk) -> None:
    talk.start("uk")
    talk.digit("1")
    reply = talk.digit("0").replies[0]
    assert reply.handoff is not None and reply.handoff.queue == "subsidies"
    other = Talk(talk.tree, talk.matcher)
    other.start("ru")
    reply = other.text("соедините с оператором").replies[0]
    assert reply.handoff is not None and reply.handoff.priority is Priority.NORMAL


def test_crisis_wins_and_goes_first_in_the_queue(talk: Talk) -> None:
    talk.start("uk")
    reply = talk.text("мене б'є чоловік, а ще не нарахували субсидію").replies[0]
    assert reply.intent == "crisis"
    assert reply.handoff is not None and reply.handoff.priority is Priority.EMERGENCY
    assert "112" in reply.text


def test_two_failures_show_the_menu_and_the_third_reaches_a_person(talk: Talk) -> None:
    talk.start("uk")
    first = talk.text("коли грає динамо київ").replies[0]
    assert first.intent is None and first.handoff is None and "не зрозумів" in first.sorry
    second = talk.send(InputKind.NO_INPUT).replies[0]
    assert second.expect is Expect.MENU and (second.options[0].key, second.options[0].label) == ("1", "Субсидії")
    third = talk.text("абракадабра").replies[0]
    assert third.handoff is not None and third.handoff.reason == "not_understood"


def test_an_unknown_key_is_a_failure_with_a_way_back(talk: Talk) -> None:
    talk.start("uk")
    reply = talk.digit("7").replies[0]
    assert reply.sorry.startswith("Такого пункту немає.")
    assert any(o.key == "0" for o in reply.options)


def test_low_speech_confidence_asks_to_confirm(talk: Talk) -> None:
    talk.start("uk")
    turn = talk.send(InputKind.SPEECH, "як оформити субсидію", confidence=0.2)
    reply = turn.replies[0]
    assert reply.expect is Expect.CLARIFY and "Оформлення субсидії" in reply.text
    assert talk.digit("1").replies[0].intent == "housing_subsidy_apply"


def test_buttons_reach_nodes_and_commands(talk: Talk) -> None:
    talk.start("ru")
    assert talk.send(InputKind.BUTTON, "birth_grant").replies[0].intent == "birth_grant"
    menu = talk.send(InputKind.BUTTON, "menu").replies[0]
    assert menu.expect is Expect.MENU and talk.state is not None and talk.state.menu is None
    assert talk.send(InputKind.BUTTON, "no-such-node").replies[0].intent is None


def test_the_state_keeps_the_version_it_started_with(tree: Tree, matcher: Matcher) -> None:
    turn = handle(None, Input(InputKind.START, lang="uk"), tree, matcher)
    assert turn.state.tree_version == tree.version


def test_not_understood_after_an_answer_offers_what_the_keys_mean_there(talk: Talk) -> None:
    talk.start("uk")
    talk.digit("1")
    talk.digit("1")
    reply = talk.text("коли грає динамо київ").replies[0]
    assert reply.expect is Expect.AFTER_ANSWER
    assert (reply.sorry, reply.text) == ("Вибачте, я не зрозумів.", "")
    assert [(o.key, o.target) for o in reply.options] == [
        ("1", "repeat"),
        ("2", "menu"),
        ("#", "back"),
        ("0", "operator"),
    ]
    assert talk.digit("1").replies[0].intent == "housing_subsidy_apply"  # 1 still repeats the answer


def test_not_understood_in_a_clarifying_question_asks_it_again(talk: Talk) -> None:
    talk.start("uk")
    talk.send(InputKind.SPEECH, "як оформити субсидію", confidence=0.2)
    reply = talk.digit("7").replies[0]
    assert reply.expect is Expect.CLARIFY
    assert reply.sorry == "Такого пункту немає. Вибачте, я не зрозумів."
    assert reply.text == "Ви питаєте про «Оформлення субсидії»?"
    assert [(o.key, o.label) for o in reply.options] == [("1", "Так"), ("2", "Ні"), ("0", "Фахівець")]
    menu = talk.digit("2").replies[0]  # "no" is the menu, not a failure
    assert menu.expect is Expect.MENU and (menu.options[0].key, menu.options[0].label) == ("1", "Субсидії")


def test_zero_at_the_language_question_reaches_a_person(talk: Talk) -> None:
    talk.start()
    reply = talk.digit("0").replies[0]
    assert reply.handoff is not None and reply.handoff.queue == "general"
    assert talk.state is not None and talk.state.lang == "uk"


def test_failures_at_the_language_question_go_to_the_menu_then_to_a_person(talk: Talk) -> None:
    talk.start()
    assert talk.send(InputKind.NO_INPUT).replies[0].expect is Expect.LANGUAGE
    menu = talk.digit("7").replies[0]
    assert menu.expect is Expect.MENU and menu.greeting == "Вітаємо на лінії."
    assert talk.state is not None and talk.state.lang == "uk"
    person = talk.send(InputKind.NO_INPUT).replies[0]
    assert person.handoff is not None and person.handoff.reason == "not_understood"


def test_a_handoff_answer_says_once_that_a_person_is_coming(tree: Tree, matcher: Matcher) -> None:
    crisis = Talk(tree, matcher)
    crisis.start("uk")
    reply = crisis.send(InputKind.BUTTON, "crisis").replies[0]  # it does not say so: the engine's words follow
    assert reply.text == "Якщо вам загрожує небезпека, телефонуйте 112."
    assert reply.promise == "З'єдную вас із фахівцем. Будь ласка, зачекайте."
    own = parse_pack(
        PACK.replace(
            "short: Якщо вам загрожує небезпека, телефонуйте 112.",
            "short: Телефонуйте 112. Я вже з’єдную вас з фахівцем.",
        )
    )
    talk = Talk(own, Matcher.build(own))
    talk.start("uk")
    reply = talk.send(InputKind.BUTTON, "crisis").replies[0]  # its own promise, kept apart, said once
    assert (reply.text, reply.promise) == ("Телефонуйте 112.", "Я вже з’єдную вас з фахівцем.")
    assert reply.handoff is not None


def test_menu_means_the_main_menu_and_back_the_answers_section(talk: Talk) -> None:
    talk.start("uk")
    talk.digit("1")
    talk.digit("2")
    assert talk.digit("2").state.menu is None  # key 2 after an answer: the main menu, as the button and the word
    talk.digit("1")
    talk.digit("2")
    talk.send(InputKind.BUTTON, "back")
    assert talk.state is not None and talk.state.menu == "subsidies"


def test_silence_is_not_heard_and_a_menu_asks_again_with_its_own_prompt(tree: Tree, matcher: Matcher) -> None:
    prompted = parse_pack(PACK.replace("uk: {title: Субсидії,", "uk: {title: Субсидії, prompt: 'Субсидії. УБД — 1.',"))
    talk = Talk(prompted, Matcher.build(prompted))
    talk.start("uk")
    menu = talk.digit("1").replies[0]
    again = talk.send(InputKind.NO_INPUT).replies[0]
    assert (again.sorry, again.prompt) == ("Вибачте, я вас не почув.", menu.prompt) and menu.prompt



class _Suggesting:
    """An `Understanding` that matches nothing but suggests one intent, as the second opinion does."""

    def __init__(self, matcher: Matcher, slug: str) -> None:
        self.matcher, self.slug = matcher, slug

    def match(self, text: str, lang: str) -> Match:
        return Match(None, 30.0, (), False, confirm=self.slug)

    def match_option(self, text: str, lang: str, options: Sequence[Node]) -> Node | None:
        return self.matcher.match_option(text, lang, options)


def test_a_suggestion_is_asked_about_and_only_yes_answers_it(tree: Tree, matcher: Matcher) -> None:
    talk = Talk(tree, _Suggesting(matcher, "birth_grant"))  # type: ignore[arg-type]
    talk.start("uk")
    asked = talk.text("щось зовсім незрозуміле").replies[0]
    assert asked.expect is Expect.CLARIFY and asked.intent is None
    assert asked.text == "Ви питаєте про «Допомога при народженні»?"
    assert [(o.key, o.label, o.target) for o in asked.options] == [
        ("1", "Так", "birth_grant"), ("2", "Ні", "menu"), ("0", "Фахівець", "operator")
    ]
    assert talk.text("так").replies[0].intent == "birth_grant"
    talk.text("щось зовсім незрозуміле")
    no = talk.text("ні").replies[0]  # no: the menu, with a specialist in it
    assert no.expect is Expect.MENU and no.intent is None and ("0", "Фахівець", "operator") in [
        (o.key, o.label, o.target) for o in no.options
    ]


def test_small_talk_answers_briefly_and_keeps_the_citizens_place(talk: Talk) -> None:
    talk.start("uk")
    talk.text("як оформити субсидію")
    before = talk.state
    reply = talk.text("дякую").replies[0]
    assert (reply.intent, reply.text) == ("smalltalk_thanks", "Будь ласка!")
    assert [o.target for o in reply.options] == ["repeat", "menu", "back", "operator"]
    assert talk.state == before  # still after that answer: 1 repeats it
    assert talk.digit("1").replies[0].intent == "housing_subsidy_apply"


def test_a_referral_answers_and_offers_a_specialist_and_no_menu_key_reaches_it(talk: Talk) -> None:
    talk.start("uk")
    menu = talk.last.replies[0] if talk.last else None
    assert menu is not None and "other_offices" not in [o.target for o in menu.options]
    reply = talk.text("у мене вкрали гаманець").replies[0]
    assert reply.intent == "other_police" and reply.text.startswith("Це поліція — 102.")
    assert ("0", "Фахівець", "operator") in [(o.key, o.label, o.target) for o in reply.options]
