"""The web chat's first load on a weak mobile connection, before and after issue 19, in one run.

    .venv/bin/python bench/chat_load_bench.py [--old REV] [--runs 3] [--write]

Serves two versions side by side: this checkout, and REV (default: main just before issue 19) checked
out with `git worktree` into a scratch folder and run with the same virtualenv (PYTHONPATH puts its
packages first). Each on its own port, SQLite file and Redis prefix. Debian's Chromium loads `/` in a
fresh browser context (empty cache) with the network throttled over the DevTools protocol
(Network.emulateNetworkConditions): Chromium's own "Slow 3G" preset (2 s round trip, 400 kbit/s each
way) and 400 kbit/s with 400 ms round trips. Measured per load, median of the runs:

- time until the greeting can be answered: the "Українська" button is on the screen, enabled, and the
  page's script is running (so a tap does something), from the start of navigation;
- bytes on the wire (encoded, headers included) and requests, up to that moment and the page quiet;
- the second visit in the same browser (what the cache keeps);
- the tap on "Українська" until the menu's first button is on the screen.

Never run as a test.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report import load_average, machine, write_section  # noqa: E402
from tests.helpers import free_port, serving  # noqa: E402

OLD = "06dbb6e"  # main before issue 19: the page fetched its greeting with a third request, nothing compressed
REDIS = os.environ.get("HOTLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
CHROMIUM = "/usr/bin/chromium"
PROFILES = {  # name: (round-trip latency ms, bytes per second each way)
    "Slow 3G (Chromium preset)": (2000, 500 * 1000 / 8 * 0.8),
    "400 kbit/s, 400 ms round trips": (400, 400 * 1000 / 8),
}
READY = """() => {
    const button = [...document.querySelectorAll("button")].find((b) => b.textContent.trim() === "Українська");
    const running = typeof sendMessage === "function";  // the chat's script has run (its functions are global)
    if (button && !button.disabled && button.offsetParent !== null && running) {
        window.__readyAt = window.__readyAt || performance.now();
        return true;
    }
    return false;
}"""
MENU = """() => [...document.querySelectorAll(".chip")].some((b) => b.textContent.trim() === "Житлова субсидія")"""


@dataclass
class Load:
    ready_ms: float
    bytes: int
    requests: int


@dataclass
class Figures:
    first: list[Load] = field(default_factory=list)
    second: list[Load] = field(default_factory=list)
    menu_ms: list[float] = field(default_factory=list)


@contextlib.contextmanager
def old_checkout(rev: str) -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="chat-bench-old-"))
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), rev], cwd=ROOT, check=True, capture_output=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(folder)], cwd=ROOT, check=False)


@contextlib.contextmanager
def server(code: Path | None) -> Iterator[str]:
    data = Path(tempfile.mkdtemp(prefix="chat-bench-"))
    port = free_port()
    env = {
        **os.environ,
        "HOTLINE_DATA_DIR": str(data),
        "HOTLINE_DATABASE_URL": f"sqlite:///{data / 'hotline.sqlite3'}",
        "HOTLINE_REDIS_URL": REDIS,
        "HOTLINE_REDIS_PREFIX": f"bench-{uuid.uuid4().hex[:8]}",
        "HOTLINE_RATE_LIMITS": "false",
    }
    if code is not None:
        env["PYTHONPATH"] = str(code)
    with serving(data, port, env):
        yield f"http://127.0.0.1:{port}"


class Meter:
    """Bytes and requests as the DevTools protocol reports them, for one page."""

    def __init__(self, cdp: Any) -> None:
        self.bytes = 0
        self.requests = 0
        cdp.on("Network.requestWillBeSent", lambda _: self._request())
        cdp.on("Network.loadingFinished", lambda event: self._bytes(event["encodedDataLength"]))

    def _request(self) -> None:
        self.requests += 1

    def _bytes(self, count: float) -> None:
        self.bytes += int(count)


def throttled_page(context: Any, profile: tuple[float, float]) -> tuple[Any, Meter]:
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    latency, rate = profile
    conditions = {"offline": False, "latency": latency, "downloadThroughput": rate, "uploadThroughput": rate}
    cdp.send("Network.emulateNetworkConditions", conditions)
    return page, Meter(cdp)


def load(page: Any, meter: Meter, url: str) -> Load:
    page.goto(url, wait_until="commit")
    page.wait_for_function(READY, polling="raf", timeout=120_000)
    page.wait_for_load_state("networkidle")
    return Load(page.evaluate("window.__readyAt"), meter.bytes, meter.requests)


def measure(browser: Any, url: str, profile: tuple[float, float], figures: Figures) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="uk-UA")
    page, meter = throttled_page(context, profile)
    figures.first.append(load(page, meter, url))
    started = time.perf_counter()
    page.get_by_role("button", name="Українська", exact=True).click()
    page.wait_for_function(MENU, polling="raf", timeout=120_000)
    figures.menu_ms.append((time.perf_counter() - started) * 1000)
    # The second visit: a new tab of the same browser (the conversation is that tab's; the cache is shared).
    again, meter = throttled_page(context, profile)
    figures.second.append(load(again, meter, url))
    context.close()


def median(values: list[float]) -> float:
    return statistics.median(values)


def row(name: str, profile: str, figures: Figures) -> str:
    first, second = figures.first, figures.second
    return (
        f"| {profile} | {name} | {median([x.ready_ms for x in first]) / 1000:.2f} s "
        f"| {median([x.bytes for x in first]) / 1000:.1f} KB / {median([x.requests for x in first]):.0f} "
        f"| {median([x.ready_ms for x in second]) / 1000:.2f} s "
        f"| {median([x.bytes for x in second]) / 1000:.1f} KB / {median([x.requests for x in second]):.0f} "
        f"| {median(figures.menu_ms) / 1000:.2f} s |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--old", default=OLD, help="the version to compare with (a git revision)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="put the table in docs/BENCHMARKS.md")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    results: dict[tuple[str, str], Figures] = {}
    with old_checkout(args.old) as old_code, server(old_code) as old_url, server(None) as new_url:
        versions = {f"before (`{args.old}`)": old_url, "now": new_url}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox"])
            for _ in range(args.runs):  # interleaved, so a busy moment of the machine hits both alike
                for profile_name, profile in PROFILES.items():
                    for name, url in versions.items():
                        measure(browser, url, profile, results.setdefault((profile_name, name), Figures()))
            browser.close()
    lines = [
        "| connection | version | first visit: greeting answerable | bytes / requests | second visit | "
        "bytes / requests | tap on a language → menu |",
        "|---|---|---|---|---|---|---|",
        *(row(name, profile, figures) for (profile, name), figures in results.items()),
    ]
    table = "\n".join(lines)
    print(table)
    if args.write:
        write_section("chat_load", SECTION.format(machine=machine(), load=load_average(), runs=args.runs, table=table))


SECTION = """
## The web chat's first load on a weak connection (`bench/chat_load_bench.py`)

Machine: {machine}. Command: `.venv/bin/python bench/chat_load_bench.py --write`. Load average when run: {load:.1f}.
Both versions served at once by `hotline serve` (SQLite, Redis), loaded by Debian's Chromium at 390×844 with the
network throttled through the DevTools protocol; each figure the median of {runs} loads, the versions interleaved.

{table}

"Greeting answerable": from the start of navigation until the language buttons are on the screen and the page's
script runs. Bytes as Chromium counts them on the wire (compressed, headers included). The second visit is a new
tab of the same browser: what the cache spares. Before, the page asked the server for its greeting (a third round
trip) and nothing was compressed or cacheable for long; now the greeting is in the HTML, answers are gzipped and
the script and styles carry a content hash and are kept for a year.
"""


if __name__ == "__main__":
    main()
