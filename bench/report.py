"""What every benchmark script shares: percentiles, the machine line, and its section of docs/BENCHMARKS.md."""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "docs" / "BENCHMARKS.md"


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-quantile by rank (q in 0..1); NaN for no samples, so an empty run never looks fast."""
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def machine() -> str:
    """Cores, CPU model, Python and OS, for the line under each table."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        found = re.search(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        model = found.group(1).strip() if found else model
    return f"{os.cpu_count()} CPUs (nproc), {model}, Python {platform.python_version()}, {platform.system()}"


def load_average() -> float:
    """The one-minute load: other work on the same cores changes every figure."""
    return os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")


def write_section(name: str, body: str) -> Path:
    """Replace the `name` section of docs/BENCHMARKS.md (between its markers) with `body`, or append it."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    section = f"{start}\n{body.strip()}\n{end}"
    old = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.is_file() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + r".*?" + re.escape(end), re.DOTALL)
    new = pattern.sub(lambda _: section, old) if pattern.search(old) else old.rstrip() + "\n\n" + section + "\n"
    BENCHMARKS.parent.mkdir(parents=True, exist_ok=True)
    BENCHMARKS.write_text(new, encoding="utf-8")
    return BENCHMARKS


def command(name: str) -> str:
    """How this run of `bench/{name}.py` was started, as the section quotes it."""
    return f".venv/bin/python bench/{name}.py {' '.join(sys.argv[1:])}".strip()


def publish(name: str, figures: Mapping[str, float], section: Callable[[str], str], *, write: bool) -> None:
    """Print the figures as one JSON line; with `write`, replace the script's section of docs/BENCHMARKS.md
    (`section` is given the command that made them)."""
    print(json.dumps({k: round(v, 2) for k, v in figures.items()}))
    if write:
        written = write_section(name, section(command(name)))
        print(f"wrote {written.relative_to(ROOT)}")


Figures = dict[str, float]


def citizens_main(
    name: str,
    description: str,
    *,
    users: int,
    run: Callable[[int, str], Figures],
    section: Callable[[Figures, str], str],
) -> int:
    """The command line of a bench that plays `--users` citizens against the whole app on the test Redis
    (`HOTLINE_TEST_REDIS_URL`): the figures printed, and with `--write` its section of docs/BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--users", type=int, default=users)
    parser.add_argument("--write", action="store_true", help="update docs/BENCHMARKS.md")
    args = parser.parse_args()
    figures = run(args.users, os.environ.get("HOTLINE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    publish(name, figures, lambda command: section(figures, command), write=args.write)
    return 0
