"""The `hotline` command as a user runs it: tree import/export, match, user add."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from intents.pack import DEMO_PACK

HOTLINE = str(Path(sys.executable).parent / "hotline")


@pytest.fixture
def run(tmp_path: Path):  # type: ignore[no-untyped-def]
    env = {**os.environ, "HOTLINE_DATA_DIR": str(tmp_path / "var"), "HOTLINE_DATABASE_URL": ""}
    env.pop("HOTLINE_REDIS_URL", None)

    def hotline(*args: str, input: str | None = None, **extra_env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [HOTLINE, *args], env={**env, **extra_env}, input=input, capture_output=True, text=True, timeout=180
        )

    return hotline


def test_export_import_round_trip_and_refusing_a_bad_file(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    exported = tmp_path / "tree.yaml"
    # An empty database gets the demo pack on first use.
    assert run("match", "субсидія", "--lang", "uk").returncode == 0
    result = run("tree", "export", str(exported))
    assert result.returncode == 0, result.stderr
    assert "housing_subsidy_apply" in exported.read_text(encoding="utf-8")
    result = run("tree", "import", str(exported), "--note", "round trip")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("nothing to publish")
    exported.write_text(exported.read_text(encoding="utf-8").replace("Житлова субсидія", "Субсидія на житло", 1))
    result = run("tree", "import", str(exported), "--note", "round trip")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("published version ")

    broken = tmp_path / "broken.yaml"
    lines = exported.read_text(encoding="utf-8").splitlines()
    index = next(i for i, line in enumerate(lines) if line.strip() == "key: 2")
    lines[index] = lines[index].replace("key: 2", "key: 1")
    broken.write_text("\n".join(lines), encoding="utf-8")
    result = run("tree", "import", str(broken))
    assert result.returncode == 1
    assert f"line {index + 1}: key 1 is used twice in one menu" in result.stderr
    # Nothing was half-imported: the published tree is still the round-tripped one.
    again = run("tree", "export", "-")
    assert again.stdout == exported.read_text(encoding="utf-8")


def test_match_prints_json_and_batches_keep_order(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    result = run("match", "Як оформити житлову субсидію?", "--lang", "uk", "--json", "--pack", str(DEMO_PACK))
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)
    assert found["intent"] == "housing_subsidy_apply" and found["confirm"] is None
    assert isinstance(found["score"], float) and isinstance(found["alternatives"], list)
    lines = (
        "ru\tСправка о регистрации места жительства\nuk\tколи грає динамо\nДопомога при народженні дитини\n"
        "uk\tне знаю куди звернутися мені дуже важко\nuk\tу мене вкрали гаманець\n"
    )
    result = run("match", "--batch", "-", "--pack", str(DEMO_PACK), input=lines)
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["intent"] for o in out] == ["residence_certificate", None, "birth_grant", None, "other_police"]
    assert [o["lang"] for o in out] == ["ru", "uk", "uk", "uk", "uk"]
    # Words the lexical matcher cannot answer: no intent, but one to ask about (the second opinion).
    assert out[1]["confirm"] is None and out[3]["confirm"] == "benefit_screening"


def test_match_refuses_a_wrong_language(run) -> None:  # type: ignore[no-untyped-def]
    result = run("match", "hello", "--lang", "en", "--pack", str(DEMO_PACK))
    assert result.returncode == 2 and "uk or ru" in result.stderr


def test_user_add_then_refuse_the_same_name(run) -> None:  # type: ignore[no-untyped-def]
    ok = run("user", "add", "olena", "--role", "operator", HOTLINE_NEW_PASSWORD="long enough")
    assert ok.returncode == 0 and "added operator olena" in ok.stdout
    again = run("user", "add", "olena", "--role", "admin", HOTLINE_NEW_PASSWORD="long enough")
    assert again.returncode == 1 and "exists" in again.stderr
    wrong = run("user", "add", "x", "--role", "boss", HOTLINE_NEW_PASSWORD="long enough")
    assert wrong.returncode == 2


def _with_test_phrase(phrase: str) -> str:
    """The demo pack with one test phrase on the subsidy question (Ukrainian)."""
    anchor = "          keywords: [оформити субсидію,"
    return DEMO_PACK.read_text(encoding="utf-8").replace(anchor, f"          tests: [{phrase}]\n{anchor}", 1)


def test_import_publishes_as_the_admin_does(run, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    for included in DEMO_PACK.parent.glob("demo_*.yaml"):  # the files the pack includes, beside it
        (tmp_path / included.name).write_text(included.read_text(encoding="utf-8"), encoding="utf-8")
    failing = tmp_path / "failing.yaml"
    failing.write_text(_with_test_phrase("до котрої ви працюєте"), encoding="utf-8")  # the office hours, in fact
    result = run("tree", "import", str(failing))
    assert result.returncode == 1
    assert "not published" in result.stderr
    assert "test phrase 'до котрої ви працюєте' (uk) of 'housing_subsidy_apply' reaches office_hours" in result.stderr

    passing = tmp_path / "passing.yaml"
    passing.write_text(_with_test_phrase("як мені оформити субсидію"), encoding="utf-8")
    result = run("tree", "import", str(passing), "--note", "with a test phrase")
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(tmp_path / "var" / "hotline.sqlite3") as db:
        entries = db.execute("SELECT action, username, user_id FROM admin_audit ORDER BY id").fetchall()
    # Exactly what an admin's publish writes (the refused import left nothing behind).
    assert [e[0] for e in entries] == ["tree.import", "tree.publish"]
    assert all(e[1].startswith("cli:") and e[2] is None for e in entries)
