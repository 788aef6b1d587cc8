"""A long message read in parts: its sentences and clauses, alone and two at a time.

People tell a story and ask inside it ("We are pensioners, the heating bill ate the pension. The
neighbour says apply for a subsidy. Where do I start?"). The whole message dilutes the question with
the story, so the matcher also scores each part: every sentence and every two neighbouring sentences
(the topic is often named in the sentence before the question), every clause between commas and
every two neighbouring clauses of one sentence. A
sentence that asks (ends with "?" or opens with a question word) and the sentence before it together
are the part that asks the question; the matcher trusts them more than the rest of the story.
Speech transcripts have no punctuation: they are one part, read whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from intents.normalise import word_set

_SENTENCE = re.compile(r"[^.!?…\n;:()«»\"]+[.!?…;:()«»\"\n]*")
_CLAUSE = re.compile(r"[.!?…\n;:()«»\"—]+|,|\s-\s")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
# Words a question opens with, in either language ("Як тепер відновити?", "Куда обращаться").
QUESTION_WORDS = word_set(
    """як де куди коли чому навіщо скільки хто чи що який яка яке які якого яку кому
    как где куда когда почему зачем сколько кто ли что какой какая какое какие какую
    можна можно"""
)
MIN_WORDS = 2  # a window of one word is a fragment, not a question
MAX_PARTS = 12  # beyond this, a message is read whole and by its first parts only


@dataclass(frozen=True)
class Window:
    text: str
    asks: bool  # the sentence that asks the question, alone or with the sentence before it


def parts(text: str) -> list[str]:
    """The sentences and clauses of `text`, in order, without empty ones."""
    return [p.strip() for p in _CLAUSE.split(text) if p.strip()][:MAX_PARTS]


def sentences(text: str) -> list[tuple[str, bool]]:
    """The sentences of `text`, each with whether it asks."""
    found = []
    for match in _SENTENCE.finditer(text):
        sentence = match.group().strip()
        words = _WORD.findall(sentence.lower())
        if words:
            found.append((sentence, "?" in sentence or words[0] in QUESTION_WORDS))
    return found[:MAX_PARTS]


def windows(text: str) -> list[Window]:
    """Sentences, clauses and neighbouring pairs of either, when the text has more than one part.

    A window is read once however it was found (a one-clause sentence is also a clause); one that
    holds the sentence that asks keeps that mark.
    """
    found = parts(text)
    if len(found) < 2:
        return []
    said = sentences(text)
    candidates: list[tuple[str, bool]] = []
    if len(said) > 1:
        candidates += [(f"{first} {second}", asks) for (first, _), (second, asks) in pairwise(said)]
        candidates += said
    for sentence, _ in said or [(text, False)]:
        inside = parts(sentence)
        candidates += [(part, False) for part in inside if len(part.split()) >= MIN_WORDS]
        candidates += [(f"{a} {b}", False) for a, b in pairwise(inside)]
    chosen: dict[tuple[str, ...], Window] = {}
    for window, asks in candidates:
        key = tuple(_WORD.findall(window.lower()))
        if key and key not in chosen:
            chosen[key] = Window(window, asks)
    return list(chosen.values())
