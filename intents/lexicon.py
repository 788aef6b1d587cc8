"""Word lists the matcher needs beyond the tree: synonyms, words that never anchor.

They describe how citizens talk, not what the office answers, so they live apart from the content
pack; the matcher imports them. Other offices' business is content (the pack's referral nodes);
danger has its own module (intents/crisis.py).
"""

from __future__ import annotations

from intents.normalise import word_set

# The generic words for "a benefit" in both languages are one word to the matcher: a Russian
# speaker's "пособие" must meet a phrase written with "помощь" or "допомога".
SYNONYMS: dict[str, str] = dict.fromkeys(
    ("пособие", "помощь", "допомога", "виплата", "выплата", "посібник", "матпомощь", "матдопомога"), "допомога"
)
# Words every money question has ("гроші не прийшли") and words of when: they count when said, but
# never on their own make an intent a candidate ("хто сьогодні грає" is no question about our hours).
NEVER_ANCHOR = word_set("гроші деньги сьогодні сегодня зараз сейчас")
