"""Content packs: a good pack round-trips; a bad one is refused with its line and reason."""

from __future__ import annotations

import textwrap

import pytest

from intents.pack import PackError, dump_pack, parse_pack
from intents.tree import Action, NodeKind

GOOD = textwrap.dedent(
    """\
    format: 1
    name: test
    welcome: {uk: Вітаємо, ru: Здравствуйте}
    tree:
      - slug: subsidies
        kind: category
        key: 1
        uk: {title: Субсидії, prompt: "Оформлення — 1.", phrases: [субсидія]}
        ru: {title: Субсидии, prompt: "Оформление — 1.", phrases: [субсидия]}
        children:
          - slug: housing_subsidy_apply
            kind: intent
            key: 1
            uk:
              title: Як оформити
              short: Подайте заяву.
              long: |
                Подайте заяву і декларацію.
                • до Пенсійного фонду
              phrases: [як оформити субсидію]
              keywords: [субсидія]
            ru:
              title: Как оформить
              short: Подайте заявление.
              long: Подайте заявление и декларацию.
              phrases: [как оформить субсидию]
      - slug: operator
        kind: intent
        action: handoff
        uk: {title: Фахівець, short: З'єдную., long: З'єдную з фахівцем., phrases: [оператор]}
        ru: {title: Специалист, short: Соединяю., long: Соединяю со специалистом., phrases: [оператор]}
    """
)


def test_a_good_pack_builds_the_tree() -> None:
    tree = parse_pack(GOOD)
    assert [n.slug for n in tree.nodes] == ["subsidies", "operator"]
    apply = tree.index["housing_subsidy_apply"]
    assert apply.kind is NodeKind.INTENT and apply.key == 1
    assert apply.text("uk").long.startswith("Подайте заяву і декларацію.\n• до")
    assert tree.index["operator"].action is Action.HANDOFF
    assert tree.parents["housing_subsidy_apply"] == "subsidies"
    assert tree.welcome["ru"] == "Здравствуйте"


def test_export_then_import_gives_the_same_tree() -> None:
    tree = parse_pack(GOOD)
    again = parse_pack(dump_pack(tree))
    assert again.nodes == tree.nodes
    assert again.welcome == tree.welcome


def _refused(source: str) -> PackError:
    with pytest.raises(PackError) as caught:
        parse_pack(source)
    return caught.value


def test_duplicate_key_in_one_menu_names_its_line() -> None:
    bad = GOOD.replace("  - slug: operator\n    kind: intent\n", "  - slug: operator\n    kind: intent\n    key: 1\n")
    error = _refused(bad)
    assert "key 1 is used twice" in error.reason
    assert bad.splitlines()[error.line - 1].strip() == "key: 1"


def test_missing_translation_names_the_node() -> None:
    bad = GOOD.replace(
        "    ru: {title: Специалист, short: Соединяю., long: Соединяю со специалистом., phrases: [оператор]}\n", ""
    )
    error = _refused(bad)
    assert "ru" in error.reason and "Field required" in error.reason
    assert "slug: operator" in bad.splitlines()[error.line - 1]


def test_intent_without_an_answer_is_refused() -> None:
    bad = GOOD.replace("short: Подайте заявление.", "short: ''")
    error = _refused(bad)
    assert "short and a long answer in 'ru'" in error.reason
    assert error.line > 0


def test_unknown_action_and_bad_slug_are_refused_with_lines() -> None:
    error = _refused(GOOD.replace("action: handoff", "action: teleport"))
    assert "action" in error.reason and error.line == GOOD.splitlines().index("    action: handoff") + 1
    error = _refused(GOOD.replace("slug: operator", "slug: Оператор"))
    assert "slug" in error.reason


def test_broken_yaml_is_refused_with_its_line() -> None:
    error = _refused(GOOD.replace("  - slug: operator", "  - slug: [operator"))
    assert "not valid YAML" in error.reason and error.line > 20


def test_duplicate_slug_is_refused() -> None:
    error = _refused(GOOD.replace("slug: operator", "slug: subsidies"))
    assert "used twice" in error.reason
