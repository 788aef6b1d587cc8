"""Intent-matching evaluation: `python -m intents.evaluation [FILE ...] [--pack PATH]`.

Each FILE is a TSV with the header `lang<TAB>intent<TAB>text`; the expected intent is `none` for an
utterance that must match nothing. Prints in-domain accuracy (top-1 exact), out-of-domain false
accepts, per-language accuracy and every confusion. Always exits 0: this measures, it does not gate.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from intents.matcher import Match, Matcher
from intents.pack import DEMO_PACK, load_pack

PROJECT_ROOT = Path(__file__).resolve().parent.parent
NONE = "none"


@dataclass(frozen=True)
class Case:
    lang: str
    expected: str | None
    text: str


@dataclass
class Report:
    name: str
    total: dict[str, int] = field(default_factory=dict)  # in-domain cases per language
    right: dict[str, int] = field(default_factory=dict)
    ambiguous: int = 0
    ood: int = 0
    false_accepts: int = 0
    confusions: list[tuple[Case, Match]] = field(default_factory=list)

    @property
    def in_domain(self) -> int:
        return sum(self.total.values())

    @property
    def correct(self) -> int:
        return sum(self.right.values())


def default_dev_file() -> Path:
    """`../shared/eval/intents_dev.tsv` beside the project, found from here or from the cwd."""
    for base in (PROJECT_ROOT, Path.cwd(), *Path.cwd().parents):
        candidate = base.parent / "shared" / "eval" / "intents_dev.tsv"
        if candidate.is_file():
            return candidate
    return PROJECT_ROOT.parent / "shared" / "eval" / "intents_dev.tsv"


def load_cases(path: Path) -> list[Case]:
    """Read a TSV of `lang, intent, text` (header first); blank lines and `#` comments are skipped."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = csv.DictReader((line for line in handle if line.strip() and not line.startswith("#")),
                              delimiter="\t", quoting=csv.QUOTE_NONE)
        return [
            Case(row["lang"].strip(), None if row["intent"].strip() == NONE else row["intent"].strip(),
                 row["text"].strip())
            for row in rows
        ]


def evaluate(matcher: Matcher, cases: Iterable[Case], name: str = "") -> Report:
    report = Report(name)
    for case in cases:
        found = matcher.match(case.text, case.lang)
        if case.expected is None:
            report.ood += 1
            if found.intent is not None:
                report.false_accepts += 1
                report.confusions.append((case, found))
            continue
        report.total[case.lang] = report.total.get(case.lang, 0) + 1
        if found.intent == case.expected:
            report.right[case.lang] = report.right.get(case.lang, 0) + 1
            report.ambiguous += found.ambiguous
        else:
            report.confusions.append((case, found))
    return report


def _pct(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f} %" if whole else "n/a"


def format_report(report: Report) -> str:
    lines = [
        f"== {report.name}",
        f"in-domain accuracy: {report.correct}/{report.in_domain} = {_pct(report.correct, report.in_domain)}"
        f" ({report.ambiguous} of the right ones flagged ambiguous)",
        f"out-of-domain false accepts: {report.false_accepts}/{report.ood} = "
        f"{_pct(report.false_accepts, report.ood)}",
    ]
    for lang in sorted(report.total):
        right, total = report.right.get(lang, 0), report.total[lang]
        lines.append(f"  {lang}: {right}/{total} = {_pct(right, total)}")
    if report.confusions:
        lines.append("confusions (expected → got [score], text):")
    for case, found in report.confusions:
        got = found.intent or NONE
        lines.append(f"  {case.expected or NONE} → {got} [{found.score:.0f}]  ({case.lang}) {case.text}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m intents.evaluation", description="Intent-matching evaluation.")
    parser.add_argument("files", nargs="*", type=Path, help="TSV files (default: the shared dev sample)")
    parser.add_argument("--pack", type=Path, default=DEMO_PACK, help="content pack (default: the demo pack)")
    args = parser.parse_args(argv)
    paths: list[Path] = args.files or [default_dev_file()]
    for path in (args.pack, *paths):
        if not path.is_file():
            parser.error(f"no such file: {path}")
    matcher = Matcher.build(load_pack(args.pack))
    for path in paths:
        print(format_report(evaluate(matcher, load_cases(path), name=str(path))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
