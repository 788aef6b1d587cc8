"""An audit entry as the audit pages show it: the action in words (its code on hover), who did it, the
target, and each detail as a labelled line in the page's language; personal data masked except in the
office's own texts (`audit.masked`)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from hotline.admin import audit
from hotline.admin.models import AuditEntry
from hotline.admin.texts import TEXTS, say, version_note
from privacy.masking import mask

ARROW = " → "
VERSION_TARGET = "version "
# A detail whose value is a list of tree changes (hotline/admin/diff.py `Change.as_dict`).
TREE_CHANGES = ("tree.", "changes")
LABELS = ("audit_field_{}", "policy_{}", "field_{}")
LISTS = ("phrases", "keywords")


@dataclass(frozen=True)
class Line:
    when: Any
    who: str
    action: str  # in words
    code: str  # as stored, e.g. `tree.publish`
    target: str
    details: list[tuple[str, str, str]]  # label, value, the value's language where it is a text in one
    target_is_file: bool = False  # a content pack's file name (`hotline tree import`, the first start): shown as code


def describe(entry: AuditEntry, lang: str) -> Line:
    hide = audit.masked(entry.action)
    shown = (lambda text: mask(text, lang)) if hide else (lambda text: text)
    details = [(label, shown(value), written_in) for label, value, written_in in _details(entry, lang)]
    return Line(
        when=entry.at,
        who=who(entry, lang),
        action=say(f"audit_{entry.action}", lang) if f"audit_{entry.action}" in TEXTS else entry.action,
        code=entry.action,
        target=shown(_target(entry.target, lang)),
        details=details,
        target_is_file=entry.target.endswith((".yaml", ".yml")),
    )


def who(entry: AuditEntry, lang: str) -> str:
    """The staff member, or what acted with nobody logged in: the command line (its system user), the nightly run."""
    if entry.user_id is None and entry.username.startswith(audit.COMMAND_LINE):
        return say("audit_by_command_line", lang, user=entry.username.removeprefix(audit.COMMAND_LINE))
    if entry.user_id is None and f"audit_by_{entry.username}" in TEXTS:
        return say(f"audit_by_{entry.username}", lang)
    return entry.username


def _target(target: str, lang: str) -> str:
    number = target.removeprefix(VERSION_TARGET)
    if target.startswith(VERSION_TARGET) and number.isdigit():
        return say("audit_version", lang, id=number)
    return target


def _details(entry: AuditEntry, lang: str) -> Iterator[tuple[str, str, str]]:
    for key, value in (entry.detail or {}).items():
        if entry.action.startswith(TREE_CHANGES[0]) and key == TREE_CHANGES[1] and isinstance(value, list):
            yield from ((*_tree_change(change, lang), "") for change in value if isinstance(change, dict))
        elif key == "changes" and isinstance(value, dict):
            yield from ((label(k, lang), _change(v, lang), _written_in(k)) for k, v in value.items())
        elif isinstance(value, dict):
            yield from (
                (f"{label(key, lang)} › {label(k, lang)}", _value(v, lang), _written_in(k)) for k, v in value.items()
            )
        elif key == "note" and isinstance(value, str):  # the line's own notes in words, an admin's as written
            yield label(key, lang), version_note(value, lang), ""
        else:
            yield label(key, lang), _value(value, lang), _written_in(key)


def _written_in(key: str) -> str:
    """The language of a detail's text by its name (`ru`, `title_uk`, `text_ru`), so a screen reader reads it
    in that language; "" for the others."""
    found = re.search(r"(?:^|_)(uk|ru)$", key)
    return found.group(1) if found else ""


def _tree_change(change: dict[str, Any], lang: str) -> tuple[str, str]:
    """«slug»: changed Title (uk) — old → new."""
    what = say(f"what_{change.get('what', 'changed')}", lang)
    field = change.get("field", "")
    if field and change.get("what") == "changed":
        what += f": {label(field, lang)}"
    if change.get("lang"):
        what += f" ({say('lang_' + change['lang'], lang)})"
    subject = f"«{change['slug']}»" if change.get("slug") else say("field_welcome", lang)
    old, new = str(change.get("old", "")), str(change.get("new", ""))
    if field in LISTS:  # one phrase a line: say which came and went, not the whole list twice
        before, after = old.splitlines(), new.splitlines()
        gone = [f"− {line}" for line in before if line not in after]
        return f"{subject}: {what}", "\n".join([*(f"+ {line}" for line in after if line not in before), *gone])
    return f"{subject}: {what}", ARROW.join(part for part in (old, new) if part) or say("audit_empty", lang)


def _change(value: Any, lang: str) -> str:
    if isinstance(value, list) and len(value) == 2:
        return f"{_value(value[0], lang)}{ARROW}{_value(value[1], lang)}"
    return _value(value, lang)


def label(key: str, lang: str) -> str:
    """A field's name in `lang` (detail fields, queue settings, tree fields), else the key itself."""
    return next((say(form.format(key), lang) for form in LABELS if form.format(key) in TEXTS), key)


def _value(value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return say("audit_yes" if value else "audit_no", lang)
    if value is None or value == "" or value == []:
        return say("audit_empty", lang)
    if isinstance(value, list):
        return ", ".join(_value(v, lang) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{label(k, lang)}: {_value(v, lang)}" for k, v in value.items())
    if isinstance(value, str) and f"role_{value}" in TEXTS:
        return say(f"role_{value}", lang)
    return str(value)
