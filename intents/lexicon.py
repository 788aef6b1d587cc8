"""Word lists the matcher needs beyond the tree: danger, other offices' business, synonyms.

They describe how citizens talk, not what the office answers, so they live apart from the content
pack; the matcher imports them.
"""

from __future__ import annotations

import re

from intents.normalise import word_set

# Danger to a person, in either language: any of these sends the utterance to the emergency intent.
CRISIS_LEMMAS = word_set(
    """насильство насилля насилие побиття побої побои зґвалтування згвалтування изнасилование
    ґвалтувати гвалтувати насиловать изнасиловать бити побити бить избить избивать знущатися
    издеваться погрожувати угрожать суїцид суицид самогубство самоубийство кривдник абьюзер"""
)
CRISIS_PATTERNS = re.compile(
    r"\b(?:не хочу (?:більше )?(?:жити|жить)"
    r"|покінч\w* (?:з )?(?:собою|життям)|поконч\w* (?:с )?(?:собой|жизнью)"
    r"|наклас\w* на себе руки|наложить на себя руки|(?:вбити|убить|вбю|вб'ю|убью) (?:себе|себя)"
    r"|загроз\w* (?:для )?житт\w*|угроз\w* (?:для )?жизн\w*|вбива\w*|убива\w*|вб'?є|убьет)\b"
)
# Other offices' business that people ask a social-protection line about. Such a word is never
# explained by an intent, never "corrected" into one ("поїзд" is not a typo of "проїзд"), and
# weighs more than an unknown word.
FOREIGN_LEMMAS = word_set(
    """паспорт закордонний загранпаспорт погода футбол матч рецепт борщ долар доллар євро евро
    валюта індексація индексация електрика электричество відключення отключение тцк мобілізація
    мобилизация повістка повестка штраф кредит віза виза поїзд поезд квиток билет вакансія
    вакансия зарплата бензин ціна цена магазин лікар врач поліклініка поликлиника лікарня больница
    машина автомобіль автомобиль вокзал пошта почта посилка посылка таксі такси аптека"""
)
# The generic words for "a benefit" in both languages are one word to the matcher: a Russian
# speaker's "пособие" must meet a phrase written with "помощь" or "допомога".
SYNONYMS: dict[str, str] = dict.fromkeys(
    ("пособие", "помощь", "допомога", "виплата", "выплата", "посібник", "матпомощь", "матдопомога"), "допомога"
)
# Words of a neighbouring office's business that intents mention in passing ("пенсія по
# інвалідності"): they count when said, but never on their own make an intent a candidate.
NEVER_ANCHOR = word_set("пенсія пенсия гроші деньги кошти")
FOREIGN_PATTERNS = re.compile(
    r"\b(?:(?:коли|когда) (?:дадуть|дадут|буде|будет|включать|включат|увімкнуть|вімкнуть|дасте)"
    r" (?:світло|свет|опалення|отопление|газ|воду|вода|тепло)"
    r"|(?:нема|немає|нет) (?:світла|света|газу|газа|води|воды|опалення|отопления)"
    r"|(?:світла|света|газу|газа|води|воды|опалення|отопления) (?:нема|немає|нет)"
    r"|графік\w* відключень|график\w* отключений"
    r"|(?:котра|яка) година|скільки (?:зараз )?часу|который час|сколько (?:сейчас )?времени"
    r"|(?:водійськ\w*|водительск\w*) (?:права|посвідчення|удостоверение)"
    r"|(?:отримати|получить|замінити|поменять|відновити|восстановить) права"
    r"|гуманітарк\w*|гуманитарк\w*|гуманітарн\w* допомог\w*|гуманитарн\w* помощ\w*"
    r"|місц\w* роботи|места работы)\b"
)
