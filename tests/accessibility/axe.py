"""axe-core in the page under test: `check(page, "what the person sees")` fails on any critical or
serious violation and names each one (rule, elements, why), so a failure reads as a to-do list.

axe-core is the npm package pinned in tests/accessibility/package-lock.json; `make test` installs it
into .venv/axe. Where it is missing the check skips and says so. It is evaluated through the
DevTools protocol, which the staff pages' Content-Security-Policy (no inline scripts) does not stop,
so the pages are checked with their real headers.
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

AXE_JS = Path(sys.prefix) / "axe" / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("critical", "serious")
# Every rule axe has (WCAG 2.0/2.1 A and AA, plus its best practices); the failing ones are judged by impact.
RUN = """async (context) => {
    const result = await axe.run(context || document, {resultTypes: ["violations"]});
    return result.violations.map((v) => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.map((n) => ({target: n.target.join(" "), summary: n.failureSummary})),
    }));
}"""


@cache
def _source() -> str:
    if not AXE_JS.exists():
        pytest.skip(f"axe-core is not installed ({AXE_JS} is missing: `make test` installs it with npm)")
    return AXE_JS.read_text(encoding="utf-8")


def violations(page: Any, context: str | None = None) -> list[dict[str, Any]]:
    """Every violation axe finds on the page as it is now (or inside the `context` selector)."""
    source = _source()
    if not page.evaluate("typeof window.axe === 'object'"):
        page.evaluate(source)
    found: list[dict[str, Any]] = page.evaluate(RUN, context)
    return found


def describe(found: list[dict[str, Any]]) -> str:
    lines = []
    for violation in found:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        lines.extend(f"    {node['target']}: {node['summary']}" for node in violation["nodes"][:5])
    return "\n".join(lines)


def check(page: Any, state: str, context: str | None = None) -> None:
    """Fail when axe finds a critical or serious violation on the page in this state."""
    failing = [v for v in violations(page, context) if v["impact"] in FAILING]
    assert not failing, f"axe on {page.url} ({state}):\n{describe(failing)}"
