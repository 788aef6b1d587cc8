"""The tree editor's pure functions, the shared checks, diffs and channel previews (no I/O)."""

from __future__ import annotations

from dataclasses import replace
from functools import cache

import pytest

from channels import builtin
from hotline.admin import editor
from hotline.admin.diff import diff
from hotline.admin.editor import EditError, NodeEdit
from hotline.admin.errors import Conflict
from hotline.admin.preview import preview
from intents import checks
from intents.matcher import Matcher
from intents.pack import DEMO_PACK, PackError, load_pack, parse_pack
from intents.tree import Action, NodeKind, NodeText, Priority, Tree


@cache
def demo() -> Tree:
    return load_pack(DEMO_PACK)


@cache
def demo_matcher() -> Matcher:
    return Matcher.build(demo())


def _edit_of(tree: Tree, slug: str, **texts: NodeText) -> NodeEdit:
    node = tree.index[slug]
    return NodeEdit(node.key, {**node.texts, **texts}, node.action, node.queue, node.priority)


def test_the_demo_pack_passes_every_check() -> None:
    tree = demo()
    assert checks.structure(tree) == [] and checks.translations(tree) == []
    assert checks.unreachable(tree, lambda text, lang: demo_matcher().match(text, lang).intent) == []
    # Its test phrases too: a fresh start publishes it without matching them again (hotline.bootstrap).
    assert checks.failing_tests(tree, lambda text, lang: demo_matcher().match(text, lang).intent) == []


def test_add_a_node_on_the_first_free_key_then_find_it() -> None:
    tree = editor.add_node(demo(), parent="subsidies", slug="subsidy_debts", kind=NodeKind.INTENT,
                           titles={"uk": "Борги і субсидія", "ru": "Долги и субсидия"})  # fmt: skip
    node = editor.find(tree, "subsidy_debts")
    assert tree.parents["subsidy_debts"] == "subsidies"
    assert node.key == 5 and tree.children_of("subsidies")[-1] is node
    # New intents have no answers yet: the checks say so before anyone can publish them.
    codes = {(p.code, p.lang) for p in checks.structure(tree) if p.slug == "subsidy_debts"}
    assert codes == {("empty_answer", "uk"), ("empty_answer", "ru")}


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"parent": None, "slug": "Bad Slug"}, "bad_slug"),
        ({"parent": None, "slug": "subsidies"}, "slug_taken"),
        ({"parent": "office_hours", "slug": "inside_intent"}, "not_category"),
    ],
)
def test_a_bad_new_node_is_refused_with_a_reason(kwargs: dict[str, str | None], code: str) -> None:
    with pytest.raises(EditError) as refused:
        editor.add_node(demo(), kind=NodeKind.INTENT, titles={"uk": "Назва"}, **kwargs)  # type: ignore[arg-type]
    assert refused.value.code == code


def test_update_keeps_the_slug_cleans_lists_and_drops_intent_settings_from_categories() -> None:
    tree = demo()
    old = tree.index["office_hours"].text("uk")
    # A browser sends a textarea's line breaks as CRLF; citizens' chats get plain line breaks.
    text = replace(old, short="Працюємо щодня. ", long="Графік:\r\nпн–пт\r\n", phrases=(" графік ", "Графік", ""))
    changed = editor.update_node(tree, "office_hours", _edit_of(tree, "office_hours", uk=text))
    assert changed.index["office_hours"].text("uk").short == "Працюємо щодня."
    assert changed.index["office_hours"].text("uk").long == "Графік:\nпн–пт"
    assert changed.index["office_hours"].text("uk").phrases == ("графік",)
    category = tree.index["subsidies"]
    edit = NodeEdit(category.key, category.texts, Action.HANDOFF, "benefits", Priority.EMERGENCY)
    kept = editor.update_node(tree, "subsidies", edit).index["subsidies"]
    assert (kept.action, kept.queue, kept.priority) == (Action.ANSWER, None, Priority.NORMAL)


def test_an_edit_over_a_colleagues_newer_change_is_refused() -> None:
    tree = demo()
    seen = editor.fingerprint(tree.index["office_hours"])
    theirs = editor.update_node(tree, "office_hours", _edit_of(tree, "office_hours"), seen=seen)
    assert theirs == tree  # nothing changed: the fingerprint still fits
    moved = editor.update_node(tree, "office_hours", replace(_edit_of(tree, "office_hours"), key=9))
    with pytest.raises(Conflict):
        editor.update_node(moved, "office_hours", _edit_of(moved, "office_hours"), seen=seen)


def test_move_up_down_and_into_another_category() -> None:
    tree = demo()
    first, second = (n.slug for n in tree.children_of("subsidies")[:2])
    down = editor.shift(tree, first, 1)
    assert [n.slug for n in down.children_of("subsidies")[:2]] == [second, first]
    assert editor.shift(editor.shift(tree, first, 1), first, -1) == tree
    assert editor.shift(tree, first, -1) == tree  # already at the top
    moved = editor.move(tree, first, parent="benefits", index=0)
    assert moved.parents[first] == "benefits" and moved.children_of("benefits")[0].slug == first
    assert moved.index[first].key is None  # key 1 is taken in the benefits menu
    with pytest.raises(EditError, match="inside itself"):
        editor.move(tree, "subsidies", parent="subsidies", index=0)


def test_delete_refuses_a_category_that_still_holds_nodes() -> None:
    tree = demo()
    with pytest.raises(EditError) as refused:
        editor.delete_node(tree, "subsidies")
    assert refused.value.code == "not_empty"
    smaller = editor.delete_node(tree, "office_hours")
    assert "office_hours" not in smaller.index and len(smaller.index) == len(tree.index) - 1
    with pytest.raises(editor.UnknownNode):
        editor.delete_node(smaller, "office_hours")


def test_add_an_example_phrase_once() -> None:
    tree = editor.add_phrase(demo(), "office_hours", "ru", "  во сколько   открываетесь ")
    assert tree.index["office_hours"].text("ru").phrases[-1] == "во сколько открываетесь"
    with pytest.raises(EditError) as refused:
        editor.add_phrase(tree, "office_hours", "ru", "Во сколько открываетесь")
    assert refused.value.code == "phrase_exists"
    with pytest.raises(EditError):
        editor.add_phrase(tree, "subsidies", "uk", "субсидія")  # a category


def test_checks_find_duplicate_keys_missing_translations_and_unreachable_intents() -> None:
    tree = demo()
    clash = editor.update_node(tree, "benefits", replace(_edit_of(tree, "benefits"), key=1))
    assert [(p.code, p.slug, p.detail) for p in checks.structure(clash)] == [("duplicate_key", "benefits", "1")]
    hours = tree.index["office_hours"]
    untranslated = editor.update_node(
        tree, "office_hours", _edit_of(tree, "office_hours", ru=replace(hours.text("ru"), long=""))
    )
    found = checks.structure(untranslated) + checks.translations(untranslated)
    assert {(p.code, p.field, p.lang) for p in found} == {
        ("empty_answer", "long", "ru"),
        ("missing_translation", "long", "ru"),
    }
    mute = editor.update_node(
        tree, "office_hours", _edit_of(tree, "office_hours", uk=replace(hours.text("uk"), phrases=()))
    )
    matcher = Matcher.build(mute)
    lost = checks.unreachable(mute, lambda text, lang: matcher.match(text, lang).intent)
    assert [(p.slug, p.lang) for p in lost] == [("office_hours", "uk")]


def test_a_pack_is_refused_by_the_same_checks_with_its_line() -> None:
    source = """\
format: 1
tree:
  - slug: menu
    kind: category
    uk: {title: Меню}
    ru: {title: Меню}
"""
    with pytest.raises(PackError) as refused:
        parse_pack(source)
    assert refused.value.reason == "category 'menu' has no children" and refused.value.line == 3


def test_diff_names_each_changed_field_and_the_order() -> None:
    tree = demo()
    hours = tree.index["office_hours"]
    edited = editor.update_node(
        tree, "office_hours", _edit_of(tree, "office_hours", uk=replace(hours.text("uk"), short="Нове."))
    )
    edited = editor.shift(
        editor.add_node(edited, parent=None, slug="news", kind=NodeKind.CATEGORY, titles={"uk": "Новини"}),
        "subsidies",
        1,
    )
    changes = diff(tree, edited)
    assert ("office_hours", "changed", "short", "uk", hours.text("uk").short, "Нове.") in [
        (c.slug, c.what, c.field, c.lang, c.old, c.new) for c in changes
    ]
    assert {(c.slug, c.what) for c in changes} >= {("news", "added"), ("", "reordered")}
    assert diff(edited, tree)[-1].what == "removed" and diff(tree, tree) == []


def test_preview_shows_what_each_channel_gets_from_the_engine() -> None:
    tree = demo()
    answer = tree.index["office_hours"].text("ru")
    shown = preview(tree, "office_hours", "ru", builtin.channels())
    assert [(v.name, v.controls) for v in shown.channels] == [
        ("phone", "keys"),
        ("viber", "buttons"),
        ("telegram", "buttons"),
        ("web", "buttons"),
    ]
    phone, viber, web = shown.of("phone"), shown.of("viber"), shown.of("web")
    assert phone.text.startswith(answer.short) and "0" in " ".join(phone.buttons) and phone.label == "Телефон"
    assert web.text == answer.long == viber.text
    assert "Повторить" in web.buttons and shown.speaking_seconds > 0
    menu = preview(tree, "subsidies", "uk", builtin.channels())
    assert menu.of("phone").text == tree.index["subsidies"].text("uk").prompt
    assert tree.index["housing_subsidy_apply"].text("uk").title in menu.of("web").buttons
    long = editor.update_node(tree, "office_hours", _edit_of(tree, "office_hours", ru=replace(answer, long="ж" * 8000)))
    too_long = preview(long, "office_hours", "ru", builtin.channels())
    assert too_long.of("viber").warnings == ["text_too_long"] and too_long.of("web").warnings == []
    assert too_long.of("telegram").warnings == ["text_too_long"] and too_long.of("telegram").label == "Telegram"
