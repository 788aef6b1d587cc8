"""Intent-matching evaluation: `python -m intents.evaluation [FILE ...] [--pack PATH] [--half 0|1]`.

Each FILE is a TSV with the header `lang<TAB>intent<TAB>text[<TAB>kind]`; the expected intent is
`none` for an utterance that must match nothing. Without FILEs the public sets are read: each from
`../shared/eval/` when it is there, else the copy shipped in `tests/data/`.

Per set it prints: direct accuracy (the robot answers the right intent at once), accuracy counting a
confirmed suggestion ("did you mean …?" answered yes), false accepts (an intent given to a line that
must match nothing), referrals right (another office's question sent to that office), accuracy per
`kind`, top-3 and the worst intents, then every miss. Always exits 0: this measures, it does not gate.
"""

from __future__ import annotations

import argparse
import csv
import sys
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from intents.matcher import Match
from intents.pack import DEMO_PACK, load_pack
from intents.tree import Action, Tree

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHIPPED = PROJECT_ROOT / "tests" / "data"
PUBLIC_SETS = ("intents_dev.tsv", "intents_tune.tsv")
HOLDOUT = SHIPPED / "intents_holdout.tsv"  # held out: measured, never tuned for (not read by `make eval`)
NONE = "none"
WORST = 8

Understand = Callable[[str, str], Match]


@dataclass(frozen=True)
class Case:
    lang: str
    expected: str | None
    text: str
    kind: str = ""


@dataclass
class Tally:
    """Right answers out of all, for one slice of a set."""

    right: int = 0
    total: int = 0

    def add(self, ok: bool) -> None:
        self.right += ok
        self.total += 1

    def __str__(self) -> str:
        return f"{self.right}/{self.total} = {_pct(self.right, self.total)}"


@dataclass
class Report:
    name: str
    direct: Tally = field(default_factory=Tally)  # in-domain lines answered right at once
    confirmed: Tally = field(default_factory=Tally)  # ... or asked about and confirmed
    top3: Tally = field(default_factory=Tally)
    wrong: int = 0  # in-domain lines answered at once with another intent (worse than asking)
    referrals: Tally = field(default_factory=Tally)  # other offices' lines sent to that office
    referrals_as_ours: int = 0  # other offices' lines answered with one of our own intents
    ood: int = 0
    false_accepts: int = 0  # out-of-domain lines given an intent
    ood_asked: int = 0  # out-of-domain lines the robot asked "did you mean …?" about
    by_lang: dict[str, Tally] = field(default_factory=dict)
    by_kind: dict[str, Tally] = field(default_factory=dict)
    by_intent: dict[str, Tally] = field(default_factory=dict)
    misses: list[tuple[Case, Match]] = field(default_factory=list)

    # Kept for callers that read the old names.
    @property
    def correct(self) -> int:
        return self.direct.right

    @property
    def in_domain(self) -> int:
        return self.direct.total

    @property
    def right(self) -> dict[str, int]:
        return {lang: t.right for lang, t in self.by_lang.items()}


def public_sets(root: Path = PROJECT_ROOT) -> list[Path]:
    """The public sets: `../shared/eval/` when present (and anything else there), else `tests/data/`."""
    shared = root.parent / "shared" / "eval"
    found = [shared / name if (shared / name).is_file() else SHIPPED / name for name in PUBLIC_SETS]
    extra = sorted(p for p in shared.glob("*.tsv") if p.name not in PUBLIC_SETS) if shared.is_dir() else []
    return [p for p in found if p.is_file()] + extra


def default_dev_file() -> Path:
    return public_sets()[0]


def load_cases(path: Path) -> list[Case]:
    """Read a TSV of `lang, intent, text[, kind]` (header first); blank lines and `#` comments are skipped."""
    with path.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if line.strip() and not line.startswith("#"))
        rows = csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            Case(
                row["lang"].strip(),
                None if row["intent"].strip() == NONE else row["intent"].strip(),
                row["text"].strip(),
                (row.get("kind") or "").strip(),
            )
            for row in rows
        ]


def half(cases: Iterable[Case], which: int) -> list[Case]:
    """A stable half of a set (by a hash of the text): tune on one half, check on the other."""
    return [c for c in cases if zlib.crc32(c.text.encode()) % 2 == which]


def referral_slugs(tree: Tree) -> frozenset[str]:
    return frozenset(n.slug for n in tree.intents() if n.action is Action.REFERRAL)


def evaluate(
    understand: Understand, cases: Iterable[Case], name: str = "", referrals: frozenset[str] = frozenset()
) -> Report:
    report = Report(name)
    for case in cases:
        found = understand(case.text, case.lang)
        if case.expected is None:
            report.ood += 1
            report.false_accepts += found.intent is not None
            report.ood_asked += found.intent is None and found.confirm is not None
            if found.intent is not None:
                report.misses.append((case, found))
            continue
        _score(report, case, found, referrals)
    return report


def _score(report: Report, case: Case, found: Match, referrals: frozenset[str]) -> None:
    expected = case.expected
    right = found.intent == expected
    ranked = [found.intent or found.confirm, *(c.slug for c in found.alternatives)]
    report.direct.add(right)
    report.wrong += found.intent is not None and not right
    report.confirmed.add(right or (found.intent is None and found.confirm == expected))
    report.top3.add(expected in ranked[:3])
    report.by_lang.setdefault(case.lang, Tally()).add(right)
    report.by_kind.setdefault(case.kind or "-", Tally()).add(right)
    report.by_intent.setdefault(expected or NONE, Tally()).add(right)
    if expected in referrals:
        report.referrals.add(right)
        report.referrals_as_ours += found.intent is not None and found.intent not in referrals
    if not right:
        report.misses.append((case, found))


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def format_report(report: Report) -> str:
    lines = [
        f"== {report.name}",
        f"direct accuracy:                    {report.direct}",
        f"with a confirmed suggestion:        {report.confirmed}",
        f"top-3:                              {report.top3}",
        f"answered wrongly at once:           {report.wrong}/{report.direct.total}",
        f"false accepts (out-of-domain):      {report.false_accepts}/{report.ood} = "
        f"{_pct(report.false_accepts, report.ood)} (asked to confirm: {report.ood_asked})",
        f"referrals right:                    {report.referrals} (answered as ours: {report.referrals_as_ours})",
        "per language: " + ", ".join(f"{lang} {t}" for lang, t in sorted(report.by_lang.items())),
    ]
    if len(report.by_kind) > 1:
        lines.append("per kind:     " + ", ".join(f"{kind} {t}" for kind, t in sorted(report.by_kind.items())))
    worst = sorted(report.by_intent.items(), key=lambda item: (item[1].right / item[1].total, item[0]))[:WORST]
    worst = [(slug, t) for slug, t in worst if t.right < t.total]
    if worst:
        lines.append("worst intents: " + ", ".join(f"{slug} {t.right}/{t.total}" for slug, t in worst))
    if report.misses:
        lines.append("misses (expected → got [score] / asked about, text):")
    for case, found in report.misses:
        got = found.intent or NONE
        asked = f" / {found.confirm}?" if found.intent is None and found.confirm else ""
        lines.append(
            f"  {case.expected or NONE} → {got} [{found.score:.0f}]{asked}  ({case.lang} {case.kind}) {case.text}"
        )
    return "\n".join(lines)


def summary(reports: Sequence[Report]) -> str:
    """One line per set, for the end of a long run."""
    return "\n".join(
        f"{r.name}: direct {_pct(r.direct.right, r.direct.total)}, confirmed "
        f"{_pct(r.confirmed.right, r.confirmed.total)}, wrong {r.wrong}, false accepts {r.false_accepts}/{r.ood}, "
        f"referrals "
        f"{_pct(r.referrals.right, r.referrals.total)}, top-3 {_pct(r.top3.right, r.top3.total)}"
        for r in reports
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m intents.evaluation", description="Intent-matching evaluation.")
    parser.add_argument("files", nargs="*", type=Path, help="TSV files (default: the public sets)")
    parser.add_argument("--pack", type=Path, default=DEMO_PACK, help="content pack (default: the demo pack)")
    parser.add_argument("--half", type=int, choices=(0, 1), help="only this stable half of each set")
    parser.add_argument("--lexical", action="store_true", help="without the second opinion")
    parser.add_argument("--quiet", action="store_true", help="figures only, no list of misses")
    args = parser.parse_args(argv)
    paths: list[Path] = args.files or public_sets()
    for path in (args.pack, *paths):
        if not path.is_file():
            parser.error(f"no such file: {path}")
    from intents.understanding import Understanding

    tree = load_pack(args.pack)
    understanding = Understanding.build(tree, second_opinion=not args.lexical)
    print(f"second opinion: {understanding.second_opinion_state()}")
    reports = []
    for path in paths:
        cases = load_cases(path)
        name = str(path) if args.half is None else f"{path} (half {args.half})"
        report = evaluate(
            understanding.match, cases if args.half is None else half(cases, args.half), name, referral_slugs(tree)
        )
        text = format_report(report)
        print(text.split("\nmisses")[0] if args.quiet else text)
        reports.append(report)
    print(summary(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
