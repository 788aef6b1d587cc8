"""A fresh start's and a publish's own work on the demo pack, each beside the way it was done before, in one run:
reading the pack (PyYAML's pure-Python parser twice, or libyaml once), the publish checks (every example phrase
matched, or each intent's until one reaches it), building the lexical matcher with a cold lemma cache (pymorphy3's
dictionaries read in Python, or by the DAWG2 extension), and a second build of the same tree in one process.

    .venv/bin/python bench/start_bench.py [--rounds N] [--write]

CPU time of this process (`time.process_time`), the median of N rounds, so other work on a shared machine counts
little. The cold builds run in child processes (one with the DAWG2 extension hidden, as without the `fast` extra).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from bench.report import load_average, machine, write_section  # noqa: E402
from hotline.admin import drafts  # noqa: E402
from intents import checks  # noqa: E402
from intents.matcher import Matcher  # noqa: E402
from intents.pack import DEMO_PACK, load_pack  # noqa: E402
from intents.understanding import Understanding  # noqa: E402

HIDE_DAWG = "import sys; sys.modules['dawg'] = None  # pymorphy3 then reads its dictionaries in Python\n"
COLD_BUILD = (
    "import time; from intents.matcher import Matcher; from intents.pack import DEMO_PACK, load_pack\n"
    "tree = load_pack(DEMO_PACK); start = time.process_time(); Matcher.build(tree)\n"
    "print(time.process_time() - start)\n"
)


def cpu(work: Callable[[], object], rounds: int) -> float:
    """The median CPU seconds of `work`."""
    times = []
    for _ in range(rounds):
        start = time.process_time()
        work()
        times.append(time.process_time() - start)
    return statistics.median(times)


def parse_twice_in_python() -> object:
    """What reading a pack cost before: a pure-Python compose for the lines, then a pure-Python load for the data."""
    source = DEMO_PACK.read_text(encoding="utf-8")
    return yaml.compose(source, Loader=yaml.SafeLoader), yaml.load(source, Loader=yaml.SafeLoader)


def every_phrase(matcher: Understanding) -> list[str | None]:
    """What the reachability check cost before: every example phrase of every intent matched."""
    tree = matcher.tree
    return [matcher.match(p, lang).intent for n in tree.intents() for lang, t in n.texts.items() for p in t.phrases]


def cold_build(hide_dawg: bool) -> float:
    code = (HIDE_DAWG if hide_dawg else "") + COLD_BUILD
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(done.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="replace this section of docs/BENCHMARKS.md")
    args = parser.parse_args()
    tree = load_pack(DEMO_PACK)
    matcher = Understanding.build(tree, second_opinion=False)
    every_phrase(matcher)  # the word caches warm for both ways of checking
    rows = [
        (
            "reading the demo pack",
            cpu(parse_twice_in_python, args.rounds),
            cpu(lambda: load_pack(DEMO_PACK), args.rounds),
        ),
        (
            "phrase reachability check",
            cpu(lambda: every_phrase(matcher), args.rounds),
            cpu(lambda: checks.unreachable(tree, lambda text, lang: matcher.match(text, lang).intent), args.rounds),
        ),
        ("lexical matcher, cold lemma cache", cold_build(True), cold_build(False)),
        (
            "the same tree's matcher again in one process",
            cpu(lambda: Matcher.build(tree), args.rounds),
            cpu(lambda: Understanding.build(tree, second_opinion=False), args.rounds),
        ),
    ]
    figures = {name: {"before": round(before, 3), "now": round(now, 3)} for name, before, now in rows}
    print(json.dumps(figures, ensure_ascii=False))
    assert drafts.problems(tree, matcher) == [], "the demo pack must pass every publish check"
    if args.write:
        table = "\n".join(f"| {name} | {before:.2f} s | {now:.2f} s |" for name, before, now in rows)
        cmd = f".venv/bin/python bench/start_bench.py {' '.join(sys.argv[1:])}".strip()
        write_section(
            "start_bench",
            f"""## A fresh start and a publish on the demo pack (`bench/start_bench.py`)

Machine: {machine()}, one-minute load {load_average():.1f} during the run. Command: `{cmd}`. CPU seconds of
the process, the median of {args.rounds} rounds (the cold builds: one child process each). "Before" is the way
each was done until this change, measured in the same run.

| work | before | now |
|---|---|---|
{table}

Reading: PyYAML's pure-Python parser composed the pack for its line numbers, then parsed it again for the data;
now libyaml's parser (in PyYAML's wheels) composes it once and the data is built from those nodes. The check:
an intent none of whose example phrases reaches it blocks a publish; it now stops at the first phrase that does.
Cold build: `pymorphy3[fast]` reads the dictionaries with the DAWG2 extension (same lemmas). Again: one lexical
matcher per tree content per process (`intents/understanding.py`), so the version just published takes the
matcher its publish checks built. Every fresh start pays the first and third rows, every publish the second
and fourth; the test suite starts the app some hundreds of times.""",
        )


if __name__ == "__main__":
    main()
