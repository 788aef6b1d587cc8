"""The matcher: a small hand-built tree (always), and the demo content pack once it exists."""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

import pytest

from intents.eval_copies import checked_sets, copies, eval_lines
from intents.evaluation import HOLDOUT, evaluate, format_report, load_cases
from intents.matcher import Match, Matcher
from intents.pack import DEMO_PACK, load_pack
from intents.tree import Action, Node, NodeKind, NodeText, Tree


def _texts(uk: tuple[str, list[str], list[str]], ru: tuple[str, list[str], list[str]]) -> dict[str, NodeText]:
    return {
        lang: NodeText(title=title, short="-", long="-", phrases=tuple(phrases), keywords=tuple(keywords))
        for lang, (title, phrases, keywords) in (("uk", uk), ("ru", ru))
    }


def intent(slug: str, key: int | None, uk: tuple[str, list[str], list[str]],
           ru: tuple[str, list[str], list[str]], action: Action = Action.ANSWER) -> Node:
    return Node(slug=slug, kind=NodeKind.INTENT, texts=_texts(uk, ru), key=key, action=action)


def category(slug: str, key: int, uk: str, ru: str, children: list[Node],
             phrases: tuple[list[str], list[str]] = ([], [])) -> Node:
    texts = _texts((uk, phrases[0], []), (ru, phrases[1], []))
    return Node(slug=slug, kind=NodeKind.CATEGORY, texts=texts, key=key, children=tuple(children))


def small_tree() -> Tree:
    subsidy = category("subsidy", 1, "Житлова субсидія", "Жилищная субсидия", [
        intent("subsidy_apply", 1,
               ("Оформити субсидію", ["як оформити субсидію", "подати на житлову субсидію",
                                      "хочу отримати субсидію на комуналку"], ["оформити", "оформлення"]),
               ("Оформить субсидию", ["как оформить субсидию", "подать на субсидию",
                                      "получить субсидию на коммуналку"], ["оформить", "оформление"])),
        intent("subsidy_status", 2,
               ("Чому не нарахували субсидію", ["чому не нарахували субсидію", "субсидія не прийшла",
                                                "відмовили в субсидії"], ["нарахувати", "відмова"]),
               ("Почему не начислили субсидию", ["почему не начислили субсидию", "субсидия не пришла",
                                                 "отказали в субсидии"], ["начислить", "отказ"])),
    ], phrases=(["субсидії"], ["субсидии"]))
    benefits = category("benefits", 2, "Пільги", "Льготы", [
        intent("benefits_transport", 1,
               ("Пільговий проїзд", ["безкоштовний проїзд у транспорті", "проїзд для пенсіонерів"],
                ["проїзд", "транспорт", "автобус"]),
               ("Льготный проезд", ["бесплатный проезд в транспорте", "проезд для пенсионеров"],
                ["проезд", "транспорт", "автобус"])),
        intent("benefits_utilities", 2,
               ("Пільги на комунальні послуги", ["пільга на комуналку", "знижка на оплату комунальних"],
                ["пільга", "комунальні"]),
               ("Льготы на коммунальные услуги", ["льгота на коммуналку", "скидка на оплату коммунальных"],
                ["льгота", "коммунальные"])),
    ])
    families = category("families", 3, "Сім'ї з дітьми", "Семьи с детьми", [
        intent("birth_grant", 1,
               ("Допомога при народженні дитини", ["допомога при народженні дитини",
                                                   "виплата на новонародженого"], ["народження", "новонароджений"]),
               ("Пособие при рождении ребенка", ["пособие при рождении ребенка",
                                                 "выплата на новорожденного"], ["рождение", "новорожденный"])),
    ])
    top = [
        subsidy, benefits, families,
        intent("office_hours", 4,
               ("Графік роботи", ["графік роботи та адреса", "коли ви працюєте"], ["графік", "адреса"]),
               ("Часы работы", ["часы работы и адрес", "когда вы работаете"], ["график", "адрес"])),
        intent("other_passport", None,
               ("Паспорт — міграційна служба", ["як оформити паспорт", "закордонний паспорт"], ["паспорт"]),
               ("Паспорт — миграционная служба", ["как оформить паспорт", "загранпаспорт"], ["паспорт"]),
               action=Action.REFERRAL),
        intent("crisis", None,
               ("Екстрена допомога", ["домашнє насильство", "мені погрожують", "загроза життю"],
                ["насильство", "погроза"]),
               ("Экстренная помощь", ["домашнее насилие", "мне угрожают", "угроза жизни"],
                ["насилие", "угроза"]),
               action=Action.EMERGENCY),
    ]
    return Tree(nodes=tuple(top), welcome={"uk": "Вітаємо", "ru": "Здравствуйте"})


@pytest.fixture(scope="module")
def tree() -> Tree:
    return small_tree()


@pytest.fixture(scope="module")
def matcher(tree: Tree) -> Matcher:
    return Matcher.build(tree)


@pytest.mark.parametrize(
    ("text", "lang", "slug"),
    [
        ("Як оформити субсидію?", "uk", "subsidy_apply"),
        ("ну а субсідію як оформить", "uk", "subsidy_apply"),  # typo, surzhyk
        ("как оформить субсидию", "ru", "subsidy_apply"),
        ("субсидия не пришла", "ru", "subsidy_status"),
        ("чому не нарахували субсидію", "uk", "subsidy_status"),
        ("subsidiya ne prishla", "ru", "subsidy_status"),  # transliterated
        ("безкоштовний проїзд", "uk", "benefits_transport"),
        ("льготный проезд в автобусе", "ru", "benefits_transport"),
        ("пільга на комуналку", "uk", "benefits_utilities"),
        ("допомога при народжені дитини", "uk", "birth_grant"),
        ("выплата на новорожденного", "ru", "birth_grant"),
        ("когда вы работаете", "ru", "office_hours"),
        ("проїзд", "ru", "benefits_transport"),  # a Ukrainian word in a Russian conversation
    ],
)
def test_the_right_intent(matcher: Matcher, text: str, lang: str, slug: str) -> None:
    found = matcher.match(text, lang)
    assert found.intent == slug, found
    assert 0 <= found.score <= 100


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("рецепт борщу", "uk"), ("какой курс доллара", "ru"), ("коли дадуть світло", "uk"), ("hello", "uk"),
        ("фівафіва", "uk"), ("де купити квиток на поїзд", "uk"),
        ("", "uk"), ("!!!", "ru"), ("будь ласка", "uk"),
    ],
)
def test_out_of_domain_matches_nothing(matcher: Matcher, text: str, lang: str) -> None:
    assert matcher.match(text, lang).intent is None


def test_another_offices_question_is_referred_there(matcher: Matcher) -> None:
    assert matcher.match("як оформити паспорт", "uk").intent == "other_passport"


def test_below_threshold_still_reports_the_best_guess_score(matcher: Matcher) -> None:
    found = matcher.match("оформити кредит у банку", "uk")
    assert found.intent is None and not found.ambiguous
    assert found.score < 50


def test_two_close_candidates_are_ambiguous(matcher: Matcher) -> None:
    found = matcher.match("субсидія", "uk")
    assert found.ambiguous and found.intent is None  # no direct answer: the robot asks "X or Y?"
    assert {found.confirm, found.alternatives[0].slug} == {"subsidy_apply", "subsidy_status"}
    assert found.score - found.alternatives[0].score < 8


def test_a_clear_match_is_not_ambiguous_and_lists_weaker_alternatives(matcher: Matcher) -> None:
    found = matcher.match("як оформити субсидію", "uk")
    assert not found.ambiguous
    assert all(c.score < found.score for c in found.alternatives)
    assert len(found.alternatives) <= 3


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("мене б'є чоловік а ще субсидію не нарахували", "uk"),
        ("муж угрожает, а еще субсидию не начислили", "ru"),
        ("я не хочу жити, субсидію зняли", "uk"),
        ("домашнє насильство", "uk"),
    ],
)
def test_crisis_wins_over_a_subsidy_in_the_same_sentence(matcher: Matcher, text: str, lang: str) -> None:
    found = matcher.match(text, lang)
    assert found.intent == "crisis" and not found.ambiguous


def test_a_generic_word_of_the_emergency_intent_is_not_a_crisis(matcher: Matcher) -> None:
    # "допомога" is in the crisis title ("Екстрена допомога") but means no danger.
    assert matcher.match("допомога при народженні", "uk").intent == "birth_grant"
    assert matcher.match("допомога", "uk").intent != "crisis"


def test_a_tree_without_an_emergency_intent_has_no_crisis_route() -> None:
    tree = small_tree()
    calm = Matcher.build(Tree(nodes=tree.nodes[:4]))
    assert calm.match("мене б'є чоловік", "uk").intent is None


@pytest.mark.parametrize(
    ("text", "lang", "slug"),
    [
        ("2", "uk", "benefits"), ("два", "uk", "benefits"), ("другий", "uk", "benefits"),
        ("второй", "ru", "benefits"), ("second", "uk", "benefits"), ("номер три", "uk", "families"),
        ("третя кнопка", "uk", "families"),
        ("субсидії", "uk", "subsidy"), ("пільги", "uk", "benefits"), ("льготы", "ru", "benefits"),
        ("сім'ї з дітьми", "uk", "families"), ("діти", "uk", "families"),
    ],
)
def test_match_option_in_the_top_menu(matcher: Matcher, tree: Tree, text: str, lang: str, slug: str) -> None:
    chosen = matcher.match_option(text, lang, tree.nodes)
    assert chosen is not None and chosen.slug == slug


def test_match_option_understands_a_word_typed_without_its_apostrophe(matcher: Matcher, tree: Tree) -> None:
    chosen = matcher.match_option("сімї з дітьми", "uk", tree.nodes)
    assert chosen is not None and chosen.slug == "families"


def test_an_empty_tree_matches_nothing() -> None:
    empty = Matcher.build(Tree(nodes=()))
    assert empty.match("як оформити субсидію", "uk") == Match(None, 0.0, (), False)
    assert empty.match_option("2", "uk", ()) is None


@pytest.mark.parametrize("text", ["9", "дев'ять", "рецепт борщу", "як оформити субсидію", ""])
def test_match_option_leaves_numbers_out_of_range_noise_and_specific_questions(
    matcher: Matcher, tree: Tree, text: str
) -> None:
    # A specific question is answered by its intent directly, not by opening its menu.
    assert matcher.match_option(text, "uk", tree.nodes) is None


def test_match_option_between_two_candidates_counts_by_position(matcher: Matcher, tree: Tree) -> None:
    status, apply = tree.index["subsidy_status"], tree.index["subsidy_apply"]  # keys 2 and 1
    assert matcher.match_option("перше", "uk", [status, apply]) is status
    assert matcher.match_option("2", "uk", [status, apply]) is apply
    assert matcher.match_option("оформити", "uk", [status, apply]) is apply
    assert matcher.match_option("не нарахували", "uk", [status, apply]) is status
    assert matcher.match_option("3", "uk", [status, apply]) is None


def test_match_option_in_a_submenu(matcher: Matcher, tree: Tree) -> None:
    options = tree.index["subsidy"].children
    chosen = matcher.match_option("перше", "uk", options)
    assert chosen is not None and chosen.slug == "subsidy_apply"
    chosen = matcher.match_option("відмова", "uk", options)
    assert chosen is not None and chosen.slug == "subsidy_status"


def test_the_same_utterance_twice_gives_the_same_match(matcher: Matcher) -> None:
    first: Match = matcher.match("субсидія не прийшла", "uk")
    assert matcher.match("субсидія не прийшла", "uk") == first
    assert matcher.match("субсидия не пришла", "ru").intent == first.intent


def test_evaluation_report_counts_hits_false_accepts_and_confusions(matcher: Matcher, tmp_path: Path) -> None:
    sample = tmp_path / "sample.tsv"
    sample.write_text(
        "lang\tintent\ttext\n"
        "uk\tsubsidy_apply\tяк оформити субсидію\n"
        "ru\tbirth_grant\tвыплата на новорожденного\n"
        "uk\toffice_hours\tбезкоштовний проїзд\n"
        "uk\tnone\tрецепт борщу\n"
        "ru\tnone\tльготный проезд\n",
        encoding="utf-8",
    )
    report = evaluate(matcher.match, load_cases(sample), name="sample")
    assert (report.correct, report.in_domain, report.false_accepts, report.ood) == (2, 3, 1, 2)
    assert report.right == {"uk": 1, "ru": 1}
    text = format_report(report)
    assert "2/3" in text and "1/2" in text
    assert "office_hours → benefits_transport" in text and "none → benefits_transport" in text
    assert "worst intents: office_hours 0/1" in text


# -- the demo content pack -------------------------------------------------------------------

DEMO_SLUGS = (
    "housing_subsidy_apply", "housing_subsidy_renewal", "housing_subsidy_documents",
    "housing_subsidy_status", "benefits_utilities", "benefits_transport", "benefits_veterans", "birth_grant",
    "single_parent_aid", "large_family", "foster_guardianship", "low_income_aid", "one_time_aid",
    "disability_allowance", "care_compensation", "rehab_equipment", "sanatorium", "idp_certificate",
    "idp_allowance", "home_care", "funeral_aid", "residence_certificate", "application_status",
    "office_hours", "online_application", "operator", "complaint", "fraud_warning", "crisis",
    "benefit_screening",
)


@pytest.fixture(scope="module")
def demo() -> tuple[Tree, Matcher]:
    if not DEMO_PACK.is_file():
        pytest.skip(f"the demo pack {DEMO_PACK} does not exist yet")
    demo_tree = load_pack(DEMO_PACK)
    return demo_tree, Matcher.build(demo_tree)


def test_demo_every_intents_first_phrase_maps_back_to_it(demo: tuple[Tree, Matcher]) -> None:
    demo_tree, demo_matcher = demo
    wrong = []
    for node in demo_tree.intents():
        for lang in ("uk", "ru"):
            phrases = node.text(lang).phrases
            if phrases and (got := demo_matcher.match(phrases[0], lang).intent) != node.slug:
                wrong.append((node.slug, lang, phrases[0], got))
    assert not wrong


def test_demo_has_every_slug_the_design_names(demo: tuple[Tree, Matcher]) -> None:
    assert set(DEMO_SLUGS) <= {n.slug for n in demo[0].intents()}


@pytest.mark.parametrize(
    ("text", "lang", "slug"),
    [
        ("субсідія не прийшла за жовтень чому", "uk", "housing_subsidy_status"),
        ("як оформить субсидію на комуналку", "uk", "housing_subsidy_apply"),
        ("какие документы нужны на субсидию", "ru", "housing_subsidy_documents"),
        ("пільговий проїзд в автобусі для пенсіонерів", "uk", "benefits_transport"),
        ("льготы убд на коммуналку", "ru", "benefits_veterans"),
        ("допомога при народжені дитини", "uk", "birth_grant"),
        ("пособие одинокой матери как оформить", "ru", "single_parent_aid"),
        ("довідка впо загубилась", "uk", "idp_certificate"),
        ("соцработник на дом бабушке", "ru", "home_care"),
        ("каляска инвалидная бесплатно", "ru", "rehab_equipment"),
        ("шахраї дзвонять просять код з смс", "uk", "fraud_warning"),
        ("графік роботи соцзахисту", "uk", "office_hours"),
        ("мене б'є чоловік а ще субсидію не дали", "uk", "crisis"),
    ],
)
def test_demo_colloquial_lines(demo: tuple[Tree, Matcher], text: str, lang: str, slug: str) -> None:
    assert demo[1].match(text, lang).intent == slug


OUT_OF_DOMAIN = [
    ("uk", "яка завтра погода"), ("uk", "хто виграв футбол"), ("uk", "де купити квиток на поїзд"),
    ("uk", "скільки коштує бензин"), ("ru", "какой курс доллара"), ("ru", "hello"), ("ru", "погода на завтра"),
    ("ru", "кто выиграл матч"), ("ru", "продам гараж"), ("uk", "ааааа ммм"), ("uk", "фвіфвфі"), ("uk", "тест"),
]


@pytest.mark.parametrize(("lang", "text"), OUT_OF_DOMAIN)
def test_demo_out_of_domain_matches_nothing(demo: tuple[Tree, Matcher], lang: str, text: str) -> None:
    assert demo[1].match(text, lang).intent is None


@pytest.mark.parametrize(
    ("lang", "text", "slug"),
    [
        ("uk", "коли індексація пенсії", "other_pension_fund"), ("uk", "нема світла коли дадуть", "other_utilities"),
        ("uk", "як оформити паспорт", "other_passport"), ("uk", "штраф тцк", "other_military"),
        ("ru", "когда дадут свет", "other_utilities"), ("ru", "как получить загранпаспорт", "other_passport"),
        ("uk", "привіт як справи", "smalltalk_greeting"), ("ru", "как дела", "smalltalk_greeting"),
        ("uk", "дякую", "smalltalk_thanks"), ("ru", "вы робот?", "smalltalk_bot"),
        ("uk", "до побаченя", "smalltalk_bye"),
        ("uk", "жива людина", "operator"),  # a person asked for, not a question about robots
        ("uk", "дякую, а як оформити субсидію", "housing_subsidy_apply"),  # politeness around a question
    ],
)
def test_demo_other_offices_and_small_talk(demo: tuple[Tree, Matcher], lang: str, text: str, slug: str) -> None:
    assert demo[1].match(text, lang).intent == slug


def test_demo_holdout_accuracy(demo: tuple[Tree, Matcher]) -> None:
    with HOLDOUT.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    inside = [r for r in rows if r["intent"] != "none"]
    outside = [r for r in rows if r["intent"] == "none"]
    right = sum(demo[1].match(r["text"], r["lang"]).intent == r["intent"] for r in inside)
    false_accepts = sum(demo[1].match(r["text"], r["lang"]).intent is not None for r in outside)
    assert len(inside) >= 90 and len(outside) >= 20
    assert right / len(inside) >= 0.9
    assert false_accepts / len(outside) <= 0.15


def test_demo_copies_no_evaluation_line(demo: tuple[Tree, Matcher]) -> None:
    # The sets measure what the robot has never seen; a phrase copied from them measures memory.
    sets = checked_sets()
    if not sets:
        pytest.skip("no evaluation sets: neither ../shared/eval/ nor tests/data/ holds one")
    assert not copies(demo[0], eval_lines(sets)), "rewrite these phrases: python -m intents.eval_copies"


def test_a_near_copy_of_a_holdout_line_is_found(demo: tuple[Tree, Matcher]) -> None:
    # The check itself reaches the holdout set: a pack phrase a changed ending away from one of its lines.
    line = next(line for line in eval_lines([HOLDOUT]) if len(line.split()) >= 4)
    node = demo[0].intents()[0]
    copied = replace(node, texts={**node.texts, "uk": replace(node.texts["uk"], phrases=(line + "х",))})
    found = copies(Tree(nodes=(copied,)), eval_lines(checked_sets()))
    assert [(c.slug, c.line) for c in found] == [(node.slug, line)]


@pytest.mark.parametrize(
    ("text", "lang", "slug"),
    [
        ("пільги", "uk", "benefits"), ("льготы", "ru", "benefits"), ("субсидії", "uk", "subsidies"),
        ("безпека", "uk", "safety"), ("переселенці", "uk", "idp"), ("два", "uk", "benefits"),
        ("сьоме", "uk", "documents"), ("семьи с детьми", "ru", "families"),
    ],
)
def test_demo_top_menu_by_words_and_numbers(demo: tuple[Tree, Matcher], text: str, lang: str, slug: str) -> None:
    chosen = demo[1].match_option(text, lang, demo[0].nodes)
    assert chosen is not None and chosen.slug == slug


@pytest.mark.parametrize(("text", "lang"), [("шахраї", "uk"), ("як оформити субсидію", "uk"), ("скарга", "uk")])
def test_demo_top_menu_leaves_a_sure_question_to_its_intent(demo: tuple[Tree, Matcher], text: str, lang: str) -> None:
    # The engine answers these straight away instead of opening the menu they live in.
    assert demo[1].match_option(text, lang, demo[0].nodes) is None
    assert demo[1].match(text, lang).intent is not None


def test_demo_a_word_of_one_phrases_story_is_no_topic(demo: tuple[Tree, Matcher]) -> None:
    # "сусідка" is in one subsidy phrase's story: it weighs like an unknown word and selects nothing.
    (story,) = demo[1].words("сусідка", "uk")
    (topic,) = demo[1].words("субсидія", "uk")
    assert not story.anchor and story.weight <= demo[1].unknown_weight
    assert topic.anchor


def test_demo_a_long_message_is_understood_by_the_sentence_that_asks(demo: tuple[Tree, Matcher]) -> None:
    text = (
        "Ми з онуком живемо вдвох, я на пенсії, а зима цього разу холодна і платити важко. "
        "Подруга каже, що їй допомогли з комуналкою. Як оформити субсидію?"
    )
    assert demo[1].match(text, "uk").intent == "housing_subsidy_apply"


@pytest.mark.parametrize(
    ("said", "lang", "meant"),
    [
        ("бойвих", "uk", "бойовий"),  # closer to the form "бойових" a phrase uses than to the lemma
        ("пенсионое", "ru", "пенсионный"),
        ("oformyty", "uk", "оформити"),  # a transliteration read before any typo is looked for
    ],
)
def test_demo_a_misspelt_word_is_read_as_the_form_the_tree_uses(
    demo: tuple[Tree, Matcher], said: str, lang: str, meant: str
) -> None:
    (word,) = demo[1].words(said, lang)
    assert meant in word.lemmas


@pytest.mark.parametrize(("said", "lang"), [("потрібо", "uk"), ("пожалуста", "ru"), ("спасибі", "uk")])
def test_demo_a_misspelt_function_word_is_dropped(demo: tuple[Tree, Matcher], said: str, lang: str) -> None:
    assert demo[1].words(said, lang) == []


def test_demo_a_word_of_two_lemmas_meets_the_phrases_of_both(demo: tuple[Tree, Matcher]) -> None:
    # "оформить" is оформити and оформить: its postings are merged per intent when first asked for,
    # and must list every phrase position of either lemma, in the order the plain postings do.
    (word,) = demo[1].words("оформить", "ru")
    assert word.lemmas == {"оформити", "оформить"}
    plain = demo[1].phrases.of(word.lemmas)
    assert plain
    for intent, hits in plain.items():
        texts: dict[int, list[tuple[int, float]]] = {}
        for tid, k, share in hits:
            texts.setdefault(tid, []).append((1 << k, share))
        assert word.phrases.get(intent) == tuple((tid, *p[0], tuple(p[1:])) for tid, p in texts.items())
    assert word.phrases.get(-1) is None  # no intent: nothing to fit


def test_the_word_caches_stay_bounded(demo: tuple[Tree, Matcher], monkeypatch: pytest.MonkeyPatch) -> None:
    # Citizens' words and pairs of words are endless: a full cache starts over instead of growing.
    monkeypatch.setattr("intents.matcher.WORD_CACHE_SIZE", 5)
    matcher = Matcher.build(demo[0])
    said = "субсидія пільга допомога виплата компенсація довідка посвідчення путівка доплата статус опіка"
    assert matcher.match(said, "uk") == demo[1].match(said, "uk")  # the answers do not depend on the caches
    assert 0 < len(matcher._word_cache) <= 6 and 0 < len(matcher._exact_cache) <= 6
