"""Pack phrases that copy an evaluation line: `python -m intents.eval_copies [FILE ...] [--pack PATH]`.

Without FILEs it reads the public sets and the holdout set (tests/data/intents_holdout.tsv).

The evaluation sets measure how the robot copes with messages it has never seen; a phrase or test
phrase of the pack that is the same line (after the matcher's normalisation) or a near copy of it
turns that measurement into a memory test. This lists every such phrase so it can be rewritten,
and the pack test fails while any is left. Exits 1 when it finds any, 0 otherwise.

A line of one or two content words ("оператор", "добрий день", "сімейний лікар") is the name of a
service, a document or a greeting: every pack must know it, so it is no copy and is not checked.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from rapidfuzz import fuzz, process

from intents.evaluation import HOLDOUT, load_cases, public_sets
from intents.normalise import content_tokens, normalise
from intents.pack import DEMO_PACK, load_pack
from intents.tree import Tree

# token_sort_ratio on normalised text: 90 catches a changed ending, a dropped or swapped word
# ("чи ти бот" / "ти бот чи людина" scores lower and is a phrase anyone would write).
NEAR = 90
TERM_WORDS = 2  # at most this many content words: a name, not a message


@dataclass(frozen=True)
class Copy:
    slug: str
    lang: str
    field: str  # "phrases" or "tests"
    phrase: str
    line: str  # the evaluation line it copies
    score: float


def checked_sets() -> list[Path]:
    """Every evaluation set a pack must not copy: the public ones and the holdout set."""
    return [*public_sets(), *([HOLDOUT] if HOLDOUT.is_file() else [])]


def eval_lines(paths: Sequence[Path]) -> list[str]:
    """The lines of the evaluation sets that are messages rather than names, as written."""
    return [
        case.text
        for path in paths
        for case in load_cases(path)
        if len(content_tokens(case.text, case.lang)) > TERM_WORDS
    ]


def copies(tree: Tree, lines: Sequence[str]) -> list[Copy]:
    """The tree's phrases and test phrases within NEAR of an evaluation line, after normalisation."""
    # Both languages' normalisation differ only in reading number words, so "uk" serves the lines.
    normal = [normalise(line, "uk") for line in lines]
    found: list[Copy] = []
    for node, _path in tree.walk():
        for lang, text in node.texts.items():
            for field, phrases in (("phrases", text.phrases), ("tests", text.tests)):
                for phrase in phrases:
                    best = process.extractOne(normalise(phrase, lang), normal, scorer=fuzz.token_sort_ratio)
                    if best is not None and best[1] >= NEAR:
                        found.append(Copy(node.slug, lang, field, phrase, lines[best[2]], best[1]))
    return found


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pack", type=Path, default=DEMO_PACK)
    parser.add_argument("sets", nargs="*", type=Path, help="evaluation TSVs (default: the public and holdout sets)")
    args = parser.parse_args(argv)
    found = copies(load_pack(args.pack), eval_lines(args.sets or checked_sets()))
    for c in found:
        print(f"{c.slug}\t{c.lang}\t{c.field}\t{c.score:.0f}\t{c.phrase}\t<- {c.line}")
    print(f"{len(found)} pack phrases copy an evaluation line", file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
