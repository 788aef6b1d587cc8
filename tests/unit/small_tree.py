"""A small hand-built intent tree for matcher tests that must not depend on the demo pack."""

from __future__ import annotations

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
        intent("crisis", None,
               ("Екстрена допомога", ["домашнє насильство", "мені погрожують", "загроза життю"],
                ["насильство", "погроза"]),
               ("Экстренная помощь", ["домашнее насилие", "мне угрожают", "угроза жизни"],
                ["насилие", "угроза"]),
               action=Action.EMERGENCY),
    ]
    return Tree(nodes=tuple(top), welcome={"uk": "Вітаємо", "ru": "Здравствуйте"})
