"""How well `privacy.masking` finds personal data on a labelled sample: precision and recall, per kind.

A sample line is `lang<TAB>text` with each piece of personal data marked `[[kind|value]]`. A marked
piece counts as found when masking leaves none of its letters and digits visible (a half-masked
phone number is a miss); a detected piece counts as right when it overlaps a marked one. Per kind,
both sides must also agree on the kind.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from privacy.masking import Found, Kind, find

_MARK = re.compile(r"\[\[(\w+)\|(.+?)\]\]")


@dataclass(frozen=True)
class Example:
    lang: str
    text: str
    marked: tuple[Found, ...]


def parse(line: str) -> Example:
    """One sample line: its language, the plain text and the marked pieces' places."""
    lang, _, raw = line.rstrip("\n").partition("\t")
    text, marked, at = [], [], 0
    length = 0
    for match in _MARK.finditer(raw):
        text.append(raw[at : match.start()])
        length += match.start() - at
        value = match.group(2)
        marked.append(Found(length, length + len(value), Kind(match.group(1))))
        text.append(value)
        length += len(value)
        at = match.end()
    text.append(raw[at:])
    return Example(lang, "".join(text), tuple(marked))


def load(path: Path) -> list[Example]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [parse(line) for line in lines if line.strip() and not line.startswith("#")]


@dataclass
class Tally:
    marked: int = 0  # pieces of personal data in the sample
    found: int = 0  # of those, fully masked
    detected: int = 0  # pieces the masking claimed
    right: int = 0  # of those, overlapping a marked piece

    @property
    def recall(self) -> float:
        return self.found / self.marked if self.marked else 1.0

    @property
    def precision(self) -> float:
        return self.right / self.detected if self.detected else 1.0


@dataclass
class Scores:
    overall: Tally = field(default_factory=Tally)
    kinds: dict[Kind, Tally] = field(default_factory=dict)
    misses: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) of marked pieces left visible
    false_alarms: list[tuple[str, str]] = field(default_factory=list)  # (kind, text) masked but not personal

    def kind(self, kind: Kind) -> Tally:
        return self.kinds.setdefault(kind, Tally())

    def kind_line(self) -> str:
        """Recall per kind, as `phone 13/13`, for a table."""
        return ", ".join(f"{k.value} {t.found}/{t.marked}" for k, t in sorted(self.kinds.items()) if t.marked)


def _covered(piece: Found, text: str, spans: Iterable[Found]) -> bool:
    masked = Counter[int]()
    for span in spans:
        masked.update(range(span.start, span.end))
    return all(masked[i] or not text[i].isalnum() for i in range(piece.start, piece.end))


def _overlaps(a: Found, b: Found) -> bool:
    return a.start < b.end and b.start < a.end


def score(examples: Iterable[Example]) -> Scores:
    scores = Scores()
    for example in examples:
        detected = find(example.text)
        for piece in example.marked:
            same = [d for d in detected if d.kind is piece.kind]
            for tally, spans in ((scores.overall, detected), (scores.kind(piece.kind), same)):
                tally.marked += 1
                tally.found += _covered(piece, example.text, spans)
            if not _covered(piece, example.text, detected):
                scores.misses.append((piece.kind.value, example.text[piece.start : piece.end]))
        for found in detected:
            right = any(_overlaps(found, piece) for piece in example.marked)
            right_kind = any(_overlaps(found, p) and p.kind is found.kind for p in example.marked)
            scores.overall.detected += 1
            scores.overall.right += right
            scores.kind(found.kind).detected += 1
            scores.kind(found.kind).right += right_kind
            if not right:
                scores.false_alarms.append((found.kind.value, example.text[found.start : found.end]))
    return scores
