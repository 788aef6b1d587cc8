"""Every sentence the admin pages may show exists in Ukrainian and Russian (read from the sources,
so a new refusal, problem or template text cannot be added without its translations)."""

from __future__ import annotations

import re
from pathlib import Path

from hotline.admin.diff import NODE_FIELDS, TEXT_FIELDS
from hotline.admin.texts import SECTIONS, TEXTS, problem_text, say
from hotline.office_hours import DAYS
from hotline.pages import STAFF_TEXT
from hotline.users import Role
from intents.checks import Problem
from intents.tree import Action, NodeKind, Priority

ROOT = Path(__file__).resolve().parents[2]
ADMIN = ROOT / "hotline" / "admin"
TEMPLATES = ROOT / "hotline" / "templates"
CHECKS = ROOT / "intents" / "checks.py"
PROBLEM_CODES = set(re.findall(r'Problem\(\s*"([a-z_]+)"', CHECKS.read_text(encoding="utf-8")))


def _keys(pattern: str, paths: list[Path]) -> set[str]:
    return {key for path in paths for key in re.findall(pattern, path.read_text(encoding="utf-8"))}


def test_every_refusal_flash_and_template_text_is_in_both_languages() -> None:
    sources = sorted(ADMIN.glob("*.py"))
    refusals = _keys(r'(?:Error|NotFound|Conflict|Invalid)\(\s*"([a-z_]+)"', sources)
    flashes = _keys(r'done\(request, [^,]+, "([a-z_]+)"', sources)
    templates = sorted(TEMPLATES.glob("admin_*.html"))
    shown = _keys(r"""\b(?:t|say)\(["']([a-z_0-9]+)["']""", templates)
    assert {"bad_slug", "stale", "last_admin", "bad_period"} <= refusals and "published_version" in flashes
    assert {"duplicate_key", "missing_translation", "unreachable"} <= PROBLEM_CODES
    # Keys the templates build from values: one per value.
    built = {f"action_{a.value}" for a in Action} | {f"priority_{p.value}" for p in Priority}
    built |= {f"role_{r.value}" for r in Role} | {f"day_{d}" for d in DAYS} | {f"month_{m}" for m in range(1, 13)}
    built |= {f"what_{w}" for w in ("added", "removed", "moved", "reordered", "changed")}
    built |= {f"field_{f}" for f in (*NODE_FIELDS, *TEXT_FIELDS, "parent", "order", "welcome")}
    built |= {f"kind_{k.value}" for k in NodeKind}
    built |= {f"problem_{code}" for code in PROBLEM_CODES}
    wanted = refusals | flashes | {k for k in shown if not k.endswith("_")} | built
    missing = sorted(k for k in wanted if set(TEXTS.get(k, {})) != {"uk", "ru"})
    assert missing == []


def test_problems_and_unknown_codes_read_as_sentences() -> None:
    problem = Problem("duplicate_key", "key 1 is used twice in one menu", "benefits", (1,), "key", detail="1")
    assert problem_text(problem, "uk") == "клавіша 1 двічі в одному меню."
    assert problem_text(problem, "ru") == "клавиша 1 дважды в одном меню."
    assert say("no_such_code", "uk") == "no_such_code"  # shown as itself rather than failing the page
    assert say("slug_taken", "ru", slug="x") == "Идентификатор «x» уже занят."


def test_each_text_is_defined_once() -> None:
    # A key in two sections would hide one of its texts (the later wins); one text under two keys
    # with the same meaning is a copy to keep in step.
    keys = [key for section in (STAFF_TEXT, *SECTIONS) for key in section]
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []
