"""Personal-data figures: what masking one message costs, how well it finds what the labelled samples mark,
and how long the retention run takes over a million stored turns on PostgreSQL.

    .venv/bin/python bench/privacy_bench.py [--postgres URL] [--conversations 100000] [--write]

Masking: every message of the two labelled samples (tests/privacy/), the shared tuning set
(../shared/eval/intents_tune.tsv, messages as people write and speak them) and the holdout set, once
on a fresh process (`first pass`: each new word is looked up in the morphological dictionaries) and
again (`steady`). Where natasha is importable (not a dependency: `pip install natasha` into another
environment) its name finder is measured on the same samples for comparison.

Retention: a new PostgreSQL database is filled with SQL (generate_series) with `--conversations`
conversations of ten turns each spread over a year, a chat message and a queue event with a phone
number for each; then `privacy.retention.run` is timed as the first run after installation (the
defaults: texts older than 90 days, speech older than 30) and as the next day's run; the statistics
over 30 days the run gives up (91 to 120 days ago) are counted before and after to show they are the
same. The database is dropped afterwards. `--write` replaces the privacy section of docs/BENCHMARKS.md.
Never run as a test.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import load_average, machine, percentile, write_section  # noqa: E402
from privacy.evaluation import Scores, load, score  # noqa: E402
from privacy.masking import mask  # noqa: E402

SAMPLES = [ROOT / "tests/privacy/personal_data_sample.tsv", ROOT / "tests/privacy/personal_data_holdout.tsv"]
TUNE = ROOT.parent / "shared/eval/intents_tune.tsv"
HOLDOUT = ROOT / "tests/data/intents_holdout.tsv"


def messages() -> list[str]:
    found = [example.text for path in SAMPLES for example in load(path)]
    for path in (TUNE, HOLDOUT):
        if path.is_file():
            rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:]]
            found += [row[2] for row in rows if len(row) >= 3]
    return [m for m in found if m.strip()]


def timed(texts: list[str]) -> list[float]:
    out = []
    for message in texts:
        started = time.perf_counter_ns()
        mask(message)
        out.append((time.perf_counter_ns() - started) / 1000)
    return out


def natasha_names(path: Path) -> tuple[int, int, int, float] | None:
    """(marked names found, names marked, natasha's PER spans, µs per message), or None without natasha."""
    try:
        from natasha import Doc, NewsEmbedding, NewsNERTagger, Segmenter
    except ImportError:
        return None
    segmenter, tagger = Segmenter(), NewsNERTagger(NewsEmbedding())
    found = marked = detected = 0
    spent = []
    for example in load(path):
        started = time.perf_counter_ns()
        doc = Doc(example.text)
        doc.segment(segmenter)
        doc.tag_ner(tagger)
        spent.append((time.perf_counter_ns() - started) / 1000)
        people = [(s.start, s.stop) for s in doc.spans if s.type == "PER"]
        names = [p for p in example.marked if p.kind.value == "name"]
        marked += len(names)
        found += sum(any(a <= n.start and n.end <= b for a, b in people) for n in names)
        detected += len(people)
    return found, marked, detected, percentile(spent, 0.5)


def detection() -> str:
    texts = messages()
    first = timed(texts)
    steady = timed(texts)
    rows = [f"| {len(texts)} | {percentile(first, .5):.0f} µs | {percentile(first, .99):.0f} µs | "
            f"{percentile(steady, .5):.0f} µs | {percentile(steady, .99):.0f} µs |"]  # fmt: skip
    quality = []
    for path in SAMPLES:
        scores: Scores = score(load(path))
        quality.append(f"| {path.name} | {scores.overall.marked} | {scores.overall.precision:.3f} | "
                       f"{scores.overall.recall:.3f} | {scores.kind_line()} |")  # fmt: skip
        names = natasha_names(path)
        if names:
            found, marked, detected, p50 = names
            quality.append(f"| {path.name}, names by natasha (NewsNERTagger) | {marked} | — | {found / marked:.3f} | "
                           f"{detected} PER spans, {p50:.0f} µs a message |")  # fmt: skip
    return "\n".join([
        "| messages | first pass p50 | first pass p99 | steady p50 | steady p99 |", "|---|---|---|---|---|", *rows, "",
        "| sample | marked pieces | precision | recall | recall per kind |", "|---|---|---|---|---|", *quality,
    ])  # fmt: skip


SEED = """
INSERT INTO conversations (id, channel, lang, external_id, tree_version, started_at, updated_at, handoff_queue, ended)
SELECT md5(g::text), (ARRAY['phone','viber','web'])[1 + g % 3], 'uk', 'CA' || md5(g::text), NULL,
       now() - (g % 365) * interval '1 day' - (g % 43200) * interval '1 second', now(),
       CASE WHEN g % 5 = 0 THEN 'subsidies' END, true
FROM generate_series(1, :n) g;
INSERT INTO conversation_events (conversation_id, step, seq, at, kind, text, intent, score, data)
SELECT md5(c::text), s, 0,
       now() - (c % 365) * interval '1 day' - (c % 43200) * interval '1 second' + s * interval '10 second',
       CASE WHEN s = 3 THEN 'citizen_speech' WHEN s % 2 = 1 THEN 'citizen_text' ELSE 'bot' END,
       'мій РНОКПП 2876543211, телефон 050 123 45 67', CASE WHEN s % 2 = 0 THEN 'housing_subsidy_apply' END,
       CASE WHEN s % 2 = 1 THEN 80.0 END, '{"confidence": 0.9}'
FROM generate_series(1, :n) c, generate_series(1, 10) s;
INSERT INTO chat_messages (conversation_id, at, sender, text)
SELECT md5(g::text), now() - (g % 365) * interval '1 day', 'citizen', 'передзвоніть на 050 123 45 67'
FROM generate_series(1, :n) g;
INSERT INTO queue_events (at, event, conversation_id, channel, queue, data)
SELECT now() - (g % 365) * interval '1 day', 'callback_requested', md5(g::text), 'phone', 'subsidies',
       '{"phone": "+380501234567"}'
FROM generate_series(1, :n) g;
"""


def retention_run(url: str, conversations: int) -> str:
    # Imported here: the masking half runs where only the masker's own packages are (--masking-only, natasha).
    from sqlalchemy import text

    import hotline.schema  # noqa: F401  (every table)
    from hotline.admin import stats
    from hotline.bootstrap import migrate
    from hotline.db import make_engine, make_sessionmaker, utcnow
    from privacy import retention

    name = f"hotline_bench_{uuid.uuid4().hex[:8]}"
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(url.rsplit("/", 1)[0] + f"/{name}")
    try:
        migrate(engine)
        sessions = make_sessionmaker(engine)
        started = time.perf_counter()
        with engine.begin() as conn:
            for statement in SEED.strip().split(";\n"):
                conn.execute(text(statement), {"n": conversations})
            conn.execute(text("ANALYZE"))
        seeded = time.perf_counter() - started
        now = utcnow()
        today = now.date()
        period = stats.Period(today - timedelta(days=120), today - timedelta(days=91), "UTC")  # given up by the run
        with sessions() as session:
            before = stats.count(session, period, threshold=60)
        runs = []
        for day in (0, 1):
            started = time.perf_counter()
            outcome = asyncio.run(retention.run(sessions, now=now + timedelta(days=day), delete_recording=None))
            runs.append((time.perf_counter() - started, outcome))
        with sessions() as session:
            after = stats.count(session, period, threshold=60)
        same = "the same" if (before.cells, before.top_intents) == (after.cells, after.top_intents) else "DIFFERENT"
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    (first, done), (daily, next_day) = runs
    return "\n".join([
        "| stored turns | seeded in | first run | turns blanked | next day's run | turns blanked | statistics after |",
        "|---|---|---|---|---|---|---|",
        f"| {conversations * 10:,} | {seeded:.1f} s | {first:.1f} s | {done['turns'] + done['transcripts']:,} | "
        f"{daily:.2f} s | {next_day['turns'] + next_day['transcripts']:,} | {same} |",
    ])  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--write", action="store_true")
    parser.add_argument("--masking-only", action="store_true", help="skip the retention run (no PostgreSQL needed)")
    args = parser.parse_args()
    command = " ".join(["python bench/privacy_bench.py", *sys.argv[1:]])
    masking = detection()
    print(masking)
    if args.masking_only:
        return
    run = retention_run(args.postgres, args.conversations)
    print(run)
    body = "\n".join([
        "## Personal data (`bench/privacy_bench.py`)", "",
        f"Machine: {machine()}. Command: `{command}`. Load average when run: {load_average():.1f}.", "",
        "Masking one message (`privacy.masking.mask`), one thread, `time.perf_counter_ns` around each call; first "
        "pass on a fresh process (each new word looked up in pymorphy3's dictionaries once), steady with the word "
        "cache warm:",
        "", masking, "",
        "The retention run (`privacy.retention.run`) over a PostgreSQL log filled with SQL: ten turns a conversation "
        "over a year, a chat message and a queue event with a phone number each. The first run after installation "
        "gives up everything past its period (three quarters of the log); the next day's touches only the day that "
        "aged past it since:", "", run,
    ])  # fmt: skip
    if args.write:
        print(f"wrote {write_section('privacy_bench', body)}")


if __name__ == "__main__":
    main()
