"""Matcher latency: p50/p99 per utterance and utterances/s, on the demo tree and on 500 intents;
then the second opinion (the sentence-embedding model): its own p50/p99, the share of utterances
that call it, the whole understanding's p50/p99 with it, and the model's memory.

    .venv/bin/python bench/match_bench.py [--pack PATH] [--rounds N] [--baseline REF] [--write]

`--write` replaces the matcher section of docs/BENCHMARKS.md with the figures, the machine and
this command. Two figures per tree: the first pass (words never seen before are lemmatised and
fuzzy-corrected on the way) and the steady state (the per-word caches are warm, as on a worker
that has been up for a while). `--baseline REF` measures the matcher of that git commit too, on
the same pack and utterances in the same run: each in a fresh process, taking turns (baseline,
this tree, baseline, this tree), their samples pooled per matcher.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# `--code DIR` (the baseline's turn) imports the `intents` package found in DIR instead of this tree's.
CODE = Path(sys.argv[sys.argv.index("--code") + 1]) if "--code" in sys.argv[:-1] else ROOT
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(CODE))
TURNS = 2  # turns each matcher takes with --baseline

from bench.report import load_average, machine, percentile, write_section  # noqa: E402
from intents.evaluation import load_cases, public_sets  # noqa: E402
from intents.matcher import Matcher  # noqa: E402
from intents.pack import DEMO_PACK, load_pack  # noqa: E402
from intents.tree import Action, Node, NodeKind, NodeText, Tree  # noqa: E402
from intents.understanding import Understanding  # noqa: E402
from intents.vectors import load_model  # noqa: E402

HOLDOUT = ROOT / "tests" / "data" / "intents_holdout.tsv"

# Domain words to combine into plausible intents: (uk, ru) pairs.
SUBJECTS = [
    ("субсидія", "субсидия"), ("пільга", "льгота"), ("допомога", "пособие"), ("виплата", "выплата"),
    ("компенсація", "компенсация"), ("довідка", "справка"), ("посвідчення", "удостоверение"),
    ("путівка", "путевка"), ("доплата", "доплата"), ("статус", "статус"),
]
TARGETS = [
    ("пенсіонерам", "пенсионерам"), ("переселенцям", "переселенцам"), ("ветеранам", "ветеранам"),
    ("інвалідам", "инвалидам"), ("дітям", "детям"), ("багатодітним", "многодетным"),
    ("вдовам", "вдовам"), ("студентам", "студентам"), ("опікунам", "опекунам"), ("чорнобильцям", "чернобыльцам"),
    ("малозабезпеченим", "малоимущим"), ("безробітним", "безработным"), ("сиротам", "сиротам"),
    ("військовим", "военным"), ("постраждалим", "пострадавшим"), ("фермерам", "фермерам"),
    ("донорам", "донорам"), ("шахтарям", "шахтерам"), ("вчителям", "учителям"), ("лікарям", "врачам"),
    ("сільським жителям", "сельским жителям"), ("матерям", "матерям"), ("батькам", "родителям"),
    ("переселеним студентам", "переселенным студентам"), ("ліквідаторам", "ликвидаторам"),
]
TOPICS = [
    ("на газ", "на газ"), ("на опалення", "на отопление"), ("на проїзд", "на проезд"), ("на ліки", "на лекарства"),
    ("на житло", "на жилье"), ("на навчання", "на обучение"), ("на харчування", "на питание"),
    ("на ремонт", "на ремонт"), ("на паливо", "на топливо"), ("на зв'язок", "на связь"),
]
ACTIONS = [
    ("як оформити", "как оформить"), ("як отримати", "как получить"), ("хто має право на", "кто имеет право на"),
    ("які документи на", "какие документы на"), ("чому не прийшла", "почему не пришла"),
    ("коли буде", "когда будет"), ("скільки платять", "сколько платят"), ("де подати на", "где подать на"),
    ("як продовжити", "как продлить"), ("чи можна онлайн", "можно ли онлайн"),
    ("куди звертатися щодо", "куда обращаться по"),
    ("термін розгляду", "срок рассмотрения"),
]
OUT_OF_DOMAIN = [
    "яка завтра погода", "курс долара", "коли дадуть світло", "рецепт борщу", "як оформити паспорт",
    "какой курс доллара", "когда дадут свет", "hello", "привіт як справи", "кто выиграл матч",
]


@dataclass(frozen=True)
class Samples:
    """One run's thread CPU time per utterance (ns) on one tree."""

    name: str
    intents: int
    utterances: int
    first: list[int]
    steady: list[int]


@dataclass(frozen=True)
class Figures:
    name: str
    intents: int
    utterances: int
    first_p50_us: float
    first_p99_us: float
    steady_p50_us: float
    steady_p99_us: float
    per_second: float


def synthetic_tree(n: int, seed: int = 20240601) -> Tree:
    """`n` intents, each a subject × target (× topic) with 12 phrases per language."""
    rng = random.Random(seed)
    combos = [(s, t, p) for s in SUBJECTS for t in TARGETS for p in TOPICS]
    rng.shuffle(combos)
    intents = []
    for k, (subject, target, topic) in enumerate(combos[:n]):
        texts = {}
        for lang, col in (("uk", 0), ("ru", 1)):
            core = f"{subject[col]} {target[col]} {topic[col]}"
            phrases = [f"{action[col]} {core}" for action in rng.sample(ACTIONS, 11)] + [core]
            texts[lang] = NodeText(title=core, short="-", long="-", phrases=tuple(phrases),
                                   keywords=(subject[col], target[col]))
        intents.append(Node(slug=f"intent_{k:03d}", kind=NodeKind.INTENT, texts=texts, action=Action.ANSWER))
    categories = [
        Node(slug=f"cat_{c}", kind=NodeKind.CATEGORY, key=c + 1, children=tuple(intents[c::9]),
             texts={lang: NodeText(title=f"розділ {c + 1}") for lang in ("uk", "ru")})
        for c in range(9)
    ]
    return Tree(nodes=tuple(categories))


def _typo(text: str, rng: random.Random) -> str:
    words = text.split()
    k = rng.randrange(len(words))
    word = words[k]
    if len(word) > 5:
        i = rng.randrange(1, len(word) - 1)
        words[k] = word[:i] + word[i + 1:]
    return " ".join(words)


def synthetic_utterances(tree: Tree, count: int, seed: int = 7) -> list[tuple[str, str]]:
    rng = random.Random(seed)
    out: list[tuple[str, str]] = []
    intents = tree.intents()
    while len(out) < count:
        if rng.random() < 0.1:
            out.append(("uk", rng.choice(OUT_OF_DOMAIN)))
            continue
        lang = rng.choice(("uk", "ru"))
        phrase = rng.choice(rng.choice(intents).texts[lang].phrases)
        out.append((lang, _typo(phrase, rng) if rng.random() < 0.4 else phrase))
    return out


def _time(matcher: Matcher, utterances: Sequence[tuple[str, str]]) -> list[int]:
    samples = []
    for lang, text in utterances:
        start = time.thread_time_ns()
        matcher.match(text, lang)
        samples.append(time.thread_time_ns() - start)
    return samples


def measure(name: str, tree: Tree, utterances: list[tuple[str, str]], rounds: int) -> Samples:
    matcher = Matcher.build(tree)
    matcher.match("прогрів", "uk")  # load the analyzers before timing anything
    first = _time(matcher, utterances)
    steady: list[int] = []
    for _ in range(rounds):
        steady += _time(matcher, utterances)
    return Samples(name, len(tree.intents()), len(utterances), first, steady)


def figures(runs: Sequence[Samples], name: str | None = None) -> Figures:
    """Percentiles over the pooled samples of runs on the same tree."""
    first = [x for r in runs for x in r.first]
    steady = [x for r in runs for x in r.steady]
    return Figures(
        name or runs[0].name,
        runs[0].intents,
        runs[0].utterances,
        percentile(first, 0.5) / 1000,
        percentile(first, 0.99) / 1000,
        percentile(steady, 0.5) / 1000,
        percentile(steady, 0.99) / 1000,
        1e9 * len(steady) / sum(steady),
    )


def demo_utterances(sets: Sequence[Path]) -> list[tuple[str, str]]:
    return [(c.lang, c.text) for path in sets if path.is_file() for c in load_cases(path)]


def measure_trees(pack: Path, sets: Sequence[Path], rounds: int) -> list[Samples]:
    big = synthetic_tree(500)
    return [
        measure("demo pack", load_pack(pack), demo_utterances(sets), rounds),
        measure("synthetic", big, synthetic_utterances(big, 1000), rounds),
    ]


def baseline_code(ref: str, into: Path) -> str:
    """The `intents` package of commit `ref`, unpacked into `into`; returns the commit's short id."""
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", ref], capture_output=True, text=True, check=True
    ).stdout.strip()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, "intents"], capture_output=True, check=True)
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(into, filter="data")
    return commit


def measure_in(code: Path, pack: Path, sets: Sequence[Path], rounds: int) -> list[Samples]:
    """`measure_trees` in a fresh process importing the `intents` package under `code`."""
    command = [sys.executable, __file__, "--samples", "--code", str(code), "--pack", str(pack), "--rounds", str(rounds)]
    done = subprocess.run([*command, "--sets", *map(str, sets)], capture_output=True, text=True, check=True)
    return [Samples(**run) for run in json.loads(done.stdout)]


def compare(ref: str, pack: Path, sets: Sequence[Path], rounds: int) -> tuple[str, list[Figures], list[Figures]]:
    """The baseline's figures and this tree's, measured in turns in one run."""
    runs: dict[Path, list[list[Samples]]] = {}
    with tempfile.TemporaryDirectory(prefix="match-baseline-") as folder:
        commit = baseline_code(ref, Path(folder))
        for _ in range(TURNS):
            for code in (Path(folder), ROOT):
                runs.setdefault(code, []).append(measure_in(code, pack, sets, rounds))
        old, new = runs[Path(folder)], runs[ROOT]
    trees = range(len(new[0]))
    return (
        commit,
        [figures([run[t] for run in old], f"{old[0][t].name}, before ({commit})") for t in trees],
        [figures([run[t] for run in new]) for t in trees],
    )


@dataclass(frozen=True)
class Opinion:
    utterances: int
    called: int  # utterances the lexical matcher left unanswered, so the model was asked
    model_p50_ms: float
    model_p99_ms: float
    whole_p50_ms: float
    whole_p99_ms: float
    model_mib: float  # resident memory the model added to the process
    model: str


def _rss_mib() -> float:
    """The process's resident memory now (Linux /proc), else its peak."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_opinion(tree: Tree, utterances: Sequence[tuple[str, str]], rounds: int) -> Opinion | None:
    """The second opinion on one core: the model alone where it is asked, and the whole understanding."""
    before = _rss_mib()
    model = load_model()
    if model is None:
        return None
    model.embed(["прогрів"])
    after = _rss_mib()
    understanding = Understanding.build(tree)
    assert understanding.opinion is not None
    understanding.match("прогрів", "uk")
    asked = [(lang, text) for lang, text in utterances if _asks_model(understanding, text, lang)]
    model_ns: list[int] = []
    whole_ns: list[int] = []
    for _ in range(rounds):
        for _, text in asked:
            start = time.thread_time_ns()
            understanding.opinion.closest(text)
            model_ns.append(time.thread_time_ns() - start)
        for lang, text in utterances:
            start = time.thread_time_ns()
            understanding.match(text, lang)
            whole_ns.append(time.thread_time_ns() - start)
    return Opinion(
        len(utterances), len(asked),
        percentile(model_ns, 0.5) / 1e6, percentile(model_ns, 0.99) / 1e6,
        percentile(whole_ns, 0.5) / 1e6, percentile(whole_ns, 0.99) / 1e6,
        after - before, model.name,
    )


def _asks_model(understanding: Understanding, text: str, lang: str) -> bool:
    found = understanding.matcher.match(text, lang)
    return found.intent is None and found.confirm is None


def _row(f: Figures) -> str:
    return (
        f"| {f.name} | {f.intents} | {f.utterances} | {f.first_p50_us:.0f} µs | {f.first_p99_us / 1000:.2f} ms "
        f"| {f.steady_p50_us:.0f} µs | {f.steady_p99_us / 1000:.2f} ms | {f.per_second:,.0f} |"
    )


def render(
    figures: Sequence[Figures],
    command: str,
    opinion: Opinion | None = None,
    baseline: Sequence[Figures] = (),
    load: tuple[float, float] | None = None,
) -> str:
    """The section of docs/BENCHMARKS.md; with a baseline, its row above this tree's for each tree."""
    rows = [_row(f) for pair in zip(baseline, figures, strict=True) for f in pair] if baseline else map(_row, figures)
    runs = (
        f"Before and after: the baseline commit's `intents` package and this tree's, each in a fresh process "
        f"on the same pack and utterances, {TURNS} turns each in alternation, samples pooled."
        if baseline
        else "One run of this tree."
    )
    quiet = f" Load average {load[0]:.1f} when it started, {load[1]:.1f} when it finished." if load else ""
    return "\n".join(
        [
            "## Intent matcher (`bench/match_bench.py`)",
            "",
            f"Machine: {machine()}. Command: `{command}`. One thread pinned to one core; the thread's own CPU "
            "time (`time.thread_time_ns`) around each `Matcher.match` call, so that other work on the shared "
            f"machine counts as little as it can (it still shares caches and memory bandwidth).{quiet} {runs}",
            "",
            "| tree | intents | utterances | first pass p50 | first pass p99 | steady p50 | steady p99 "
            "| utterances/s |",
            "|---|---|---|---|---|---|---|---|",
            *rows,
            "",
            "Demo pack utterances: the public dev and tune sets and tests/data/intents_holdout.tsv. Synthetic: 500 "
            "generated intents (subject × group × topic, 12 phrases per language, seed fixed) and 1,000 "
            "utterances drawn from their phrases, 40 % with a dropped letter, 10 % out of domain.",
            "",
            "First pass: every utterance once on a fresh matcher (new words are lemmatised and fuzzy-"
            "corrected then). Steady: the same utterances again, word caches warm. A citizen's message is "
            "in between: most of its words are common, but each pair of neighbouring words is looked up "
            "once as a possibly split word (intents/transcript.py), and new pairs cost a dictionary guess.",
            *_render_opinion(opinion),
        ]
    )


def _render_opinion(opinion: Opinion | None) -> list[str]:
    if opinion is None:
        return ["", "Second opinion: not measured (no sentence-embedding model installed)."]
    share = 100 * opinion.called / opinion.utterances
    return [
        "",
        f"### Second opinion ({opinion.model}, one core)",
        "",
        "| what | p50 | p99 |",
        "|---|---|---|",
        f"| the model on an utterance the lexical matcher left unanswered | {opinion.model_p50_ms:.1f} ms "
        f"| {opinion.model_p99_ms:.1f} ms |",
        f"| the whole understanding per utterance (lexical, then the model where asked) | "
        f"{opinion.whole_p50_ms:.2f} ms | {opinion.whole_p99_ms:.1f} ms |",
        "",
        f"The model is asked for {opinion.called} of {opinion.utterances} utterances ({share:.0f} %: the demo-pack "
        f"utterances above, whose realistic messages the lexical matcher leaves unanswered most). Loading it added "
        f"{opinion.model_mib:.0f} MiB of resident memory (the 4-bit weights are memory-mapped). Target: p99 < 60 ms "
        "per utterance with the second opinion; lexical p99 < 2 ms.",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description="Matcher latency benchmark")
    parser.add_argument("--pack", type=Path, default=DEMO_PACK)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--baseline", metavar="REF", help="measure this git commit's matcher too, in the same run")
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    # A baseline's turn: the samples as JSON, from the `intents` package under --code.
    parser.add_argument("--samples", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--code", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--sets", type=Path, nargs="*", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as one worker thread has
    pack = args.pack.resolve()
    sets = args.sets if args.sets is not None else [*public_sets(), HOLDOUT]
    if args.samples:
        print(json.dumps([asdict(run) for run in measure_trees(pack, sets, args.rounds)]))
        return 0
    load = (load_average(), 0.0)
    baseline: list[Figures] = []
    if args.baseline:
        _, baseline, found = compare(args.baseline, pack, sets, args.rounds)
    else:
        found = [figures([run]) for run in measure_trees(pack, sets, args.rounds)]
    for f in (*baseline, *found):
        print(
            f"{f.name}: {f.intents} intents, {f.utterances} utterances; first pass p50 {f.first_p50_us:.0f} µs "
            f"p99 {f.first_p99_us / 1000:.2f} ms; steady p50 {f.steady_p50_us:.0f} µs "
            f"p99 {f.steady_p99_us / 1000:.2f} ms; {f.per_second:,.0f} utterances/s"
        )
    opinion = measure_opinion(load_pack(pack), demo_utterances(sets), max(1, args.rounds // 2))
    if opinion is not None:
        print(
            f"second opinion: asked for {opinion.called}/{opinion.utterances}; "
            f"model p50 {opinion.model_p50_ms:.1f} ms p99 {opinion.model_p99_ms:.1f} ms; "
            f"whole p50 {opinion.whole_p50_ms:.2f} ms "
            f"p99 {opinion.whole_p99_ms:.1f} ms; model memory {opinion.model_mib:.0f} MiB"
        )
    load = (load[0], load_average())
    print(f"load average {load[0]:.1f} at the start, {load[1]:.1f} at the end")
    if args.write:
        command = ".venv/bin/python bench/match_bench.py " + " ".join(sys.argv[1:])
        written = write_section("match_bench", render(found, command.strip(), opinion, baseline, load))
        print(f"wrote {written.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
