"""A long message read in parts: its sentences and clauses, alone and two at a time.

People tell a story and ask inside it ("We are pensioners, the heating bill ate the pension. The
neighbour says apply for a subsidy. Where do I start?"). The whole message dilutes the question with
the story, so the matcher also scores each part; a part is a sentence or a clause between commas,
and a window is one part or two neighbouring ones (the topic is often named in the sentence before
the question). Speech transcripts have no punctuation: they are one part, read whole.
"""

from __future__ import annotations

import re
from itertools import pairwise

_BREAK = re.compile(r"[.!?;:…\n()«»\"—]+|,|\s-\s")
MIN_WORDS = 2  # a window of one word is a fragment, not a question
MAX_PARTS = 12  # beyond this, a message is read whole and by its first parts only


def parts(text: str) -> list[str]:
    """The sentences and clauses of `text`, in order, without empty ones."""
    return [p.strip() for p in _BREAK.split(text) if p.strip()][:MAX_PARTS]


def windows(text: str) -> list[str]:
    """Every part and every two neighbouring parts, when the text has more than one part."""
    found = parts(text)
    if len(found) < 2:
        return []
    singles = [p for p in found if len(p.split()) >= MIN_WORDS]
    pairs = [f"{a} {b}" for a, b in pairwise(found)]
    return list(dict.fromkeys([*singles, *pairs]))
