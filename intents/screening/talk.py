"""What the robot says in a questionnaire, in Ukrainian and Russian: a question, its answers' labels, the
example when an answer was not understood, the result, and the answers as the specialist reads them. Pure.

Like the engine's own words these name no key and no button: each channel says the options its way.
"""

from __future__ import annotations

from collections.abc import Sequence

from intents.messages import pick, say
from intents.screening.model import NO, UNKNOWN, YES, Answer, Measure, Question, QuestionKind, Questionnaire
from intents.tree import Tree

_WORDS: dict[str, dict[str, str]] = {
    "dont_know": {"uk": "Не знаю", "ru": "Не знаю"},
    "stop": {"uk": "Зупинити опитування", "ru": "Остановить опрос"},
    "stopped": {
        "uk": "Гаразд, опитування зупинено, ваші відповіді не збережено.",
        "ru": "Хорошо, опрос остановлен, ваши ответы не сохранены.",
    },
    "not_an_answer": {"uk": "Вибачте, я не зрозумів відповідь.", "ru": "Извините, я не понял ответ."},
    "out_of_range": {
        "uk": "Потрібне число від {low} до {high}.",
        "ru": "Нужно число от {low} до {high}.",
    },
    "example_number": {
        "uk": "Назвіть число від {low} до {high}, наприклад: {low}.",
        "ru": "Назовите число от {low} до {high}, например: {low}.",
    },
    "example_yes_no": {
        "uk": "Відповідайте «так» або «ні».",
        "ru": "Отвечайте «да» или «нет».",
    },
    "example_choice": {
        "uk": "Оберіть один із варіантів: {labels}.",
        "ru": "Выберите один из вариантов: {labels}.",
    },
    "or_dont_know": {"uk": "Якщо не знаєте, скажіть «не знаю».", "ru": "Если не знаете, скажите «не знаю»."},
    "skipped": {
        "uk": "Позначу це питання як «не знаю» і продовжу.",
        "ru": "Отмечу этот вопрос как «не знаю» и продолжу.",
    },
    "pick_measure": {
        "uk": "Оберіть захід, щоб дізнатися, як його оформити, або поговоріть із фахівцем.",
        "ru": "Выберите меру, чтобы узнать, как её оформить, или поговорите со специалистом.",
    },
    "talk_to_specialist": {"uk": "Обговорити з фахівцем", "ru": "Обсудить со специалистом"},
}


def word(key: str, lang: str, **values: str | int) -> str:
    return pick(_WORDS, key, lang, **values)


def answer_label(question: Question, answer: Answer, lang: str) -> str:
    """An answer as the citizen chose it: "Так", "4", a choice's label, "Не знаю"."""
    if answer == UNKNOWN:
        return word("dont_know", lang)
    if isinstance(answer, int):
        return str(answer)
    if question.kind is QuestionKind.YES_NO:
        return say("label_yes" if answer == YES else "label_no", lang) if answer in (YES, NO) else answer
    choice = question.choice(answer)
    return choice.text(lang).label if choice is not None else answer


def example(question: Question, lang: str) -> str:
    """How an answer looks: the content's own example, or one made from the question's kind."""
    own = question.text(lang).example
    if own:
        return own
    if question.kind is QuestionKind.NUMBER:
        found = word("example_number", lang, low=question.minimum or 1, high=question.maximum or 1)
    elif question.kind is QuestionKind.YES_NO:
        found = word("example_yes_no", lang)
    else:
        labels = ", ".join(f"«{c.text(lang).label}»" for c in question.choices)
        found = word("example_choice", lang, labels=labels)
    return f"{found} {word('or_dont_know', lang)}" if question.dont_know else found


def result(tree: Tree, questionnaire: Questionnaire, measures: Sequence[Measure], lang: str) -> tuple[str, str]:
    """The result, short (said) and long (written): the measures with their reasons, then the disclaimer."""
    texts = questionnaire.text(lang)
    if not measures:
        return f"{texts.none} {texts.disclaimer}", f"{texts.none}\n\n{texts.disclaimer}"
    lines = [(title(tree, m.intent, lang), m.reason(lang)) for m in measures]
    said = " ".join(f"{name}: {why}" for name, why in lines)
    written = "\n".join(f"• {name} — {why}" for name, why in lines)
    short = f"{texts.result} {said} {texts.disclaimer}"
    long = f"{texts.result}\n\n{written}\n\n{texts.disclaimer}\n\n{word('pick_measure', lang)}"
    return short, long


def title(tree: Tree, slug: str, lang: str) -> str:
    node = tree.index.get(slug)
    return node.text(lang).title if node is not None else slug


def for_specialist(
    questionnaire: Questionnaire, answers: Sequence[tuple[str, Answer]], lang: str
) -> list[dict[str, str]]:
    """The answers as the specialist's screen shows them: each question's words and the answer's."""
    shown = []
    for question_id, answer in answers:
        question = questionnaire.question(question_id)
        if question is not None:
            shown.append({"question": question.text(lang).text, "answer": answer_label(question, answer, lang)})
    return shown
