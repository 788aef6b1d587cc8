"""Redis failover under load: two app nodes, operators taking conversations, the master killed part-way.

    .venv/bin/python bench/failover_bench.py [--operators 50] [--conversations 1000] [--write]

Starts (on free local ports, in a temporary folder) a Redis master, its replica and three sentinels,
two `hotline serve` nodes on a fresh PostgreSQL database (HOTLINE_TEST_POSTGRES_URL, else
postgresql://postgres@127.0.0.1:5432/test), and runs `tests/failover_drill.py`: citizens ask for a
person on the web chat of either node, operators accept, close and wrap up through the operator API of
either node; once 30 % of the conversations were taken the master gets SIGKILL. It prints, and with
`--write` puts in docs/BENCHMARKS.md: conversations lost and doubled, errors clients saw, the pause
each client saw, how long Sentinel took, and how long until the queue was whole on the new master.
Never run as a test (the test runs the same drill small).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import load_average, machine, percentile, write_section  # noqa: E402
from tests.failover_drill import Outcome, run_drill  # noqa: E402

POSTGRES = os.environ.get("HOTLINE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def figures(outcome: Outcome) -> dict[str, float]:
    lost = outcome.asked - set(outcome.taken)
    doubled = [c for c, ops in outcome.taken.items() if len(ops) > 1]
    logged_twice = [c for c in outcome.asked if outcome.connected_in_sql.get(c, 0) != 1]
    return {
        "asked": len(outcome.asked),
        "lost": len(lost),
        "doubled": len(doubled),
        "log_not_once": len(logged_twice),
        "errors": sum(outcome.errors.values()),
        "pause_p50": percentile(outcome.pauses, 0.5),
        "pause_max": max(outcome.pauses, default=float("nan")),
        "clients": len(outcome.pauses),
        "failover": outcome.failover_seconds,
        "whole": outcome.whole_seconds,
        "seconds": outcome.seconds,
    }


def section(f: dict[str, float], operators: int, down_after_ms: int, command: str, errors: str) -> str:
    return "\n".join(
        [
            "## Redis failover with two app nodes (`bench/failover_bench.py`)",
            "",
            f"Machine: {machine()}. Command: `{command}`. Load average when run: {f['load']:.1f}. A Redis master, "
            f"its replica and three sentinels (down-after-milliseconds {down_after_ms}), two `hotline serve` "
            f"nodes on one PostgreSQL; {operators} operators and 8 citizens' threads spread over both nodes; the "
            "master killed with SIGKILL once 30 % of the conversations had been taken.",
            "",
            "| conversations that asked | lost | taken twice | CONNECTED logged ≠ once | client errors "
            "| pause a client saw p50 / max | Sentinel's failover | queue whole on the new master | whole run |",
            "|---|---|---|---|---|---|---|---|---|",
            f"| {f['asked']:.0f} | {f['lost']:.0f} | {f['doubled']:.0f} | {f['log_not_once']:.0f} | {errors} "
            f"| {f['pause_p50']:.2f} s / {f['pause_max']:.2f} s ({f['clients']:.0f} clients) | {f['failover']:.2f} s "
            f"| {f['whole']:.2f} s | {f['seconds']:.0f} s |",
            "",
            "The pause is, per client, from its last answered request before the kill to the first answered one it "
            "sent after (requests in flight at the kill wait: the Redis client retries while Sentinel promotes the "
            'replica). "Whole" is from the kill until the queue had been rebuilt on the new master (its run id '
            "recorded) and every conversation waiting at the kill was in it. Sentinel's own part is "
            "down-after-milliseconds plus its election: most of the pause.",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--operators", type=int, default=50)
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument(
        "--down-after-ms", type=int, default=5000, help="Sentinel's down-after-milliseconds (docs/DEPLOYMENT.md: 5000)"
    )
    parser.add_argument("--write", action="store_true", help="replace the section in docs/BENCHMARKS.md")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        outcome = run_drill(
            Path(folder),
            POSTGRES,
            operators=args.operators,
            conversations=args.conversations,
            deadline=1800,
            down_after_ms=args.down_after_ms,
        )
    found = {**figures(outcome), "load": load_average()}
    errors = ", ".join(f"{n}× {what}" for what, n in outcome.errors.most_common()) or "0"
    for name, value in found.items():
        print(f"{name:>14}: {value:.2f}")
    print(f"{'error kinds':>14}: {errors}")
    if args.write:
        command = "python bench/failover_bench.py " + " ".join(sys.argv[1:])
        body = section(found, args.operators, args.down_after_ms, command.strip(), errors)
        print(write_section("failover", body))


if __name__ == "__main__":
    main()
