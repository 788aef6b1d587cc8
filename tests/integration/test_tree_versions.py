"""Draft and published versions in SQL (SQLite and PostgreSQL)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.bootstrap import ensure_content
from hotline.db import transaction
from intents import versions
from intents.pack import DEMO_PACK, load_pack
from intents.tree import NodeText
from tests.helpers import import_pack


def test_publishing_makes_an_immutable_version_that_loads_back_equal(sessions: sessionmaker[Session]) -> None:
    tree = load_pack(DEMO_PACK)
    with transaction(sessions) as session:
        versions.save_draft(session, tree=tree, author="admin")
        published = versions.publish(session, author="admin", note="first")
    with sessions() as session:
        assert versions.current_version_id(session) == published.id
        loaded = versions.load(session, version_id=published.id)
    assert loaded is not None
    assert loaded.nodes == tree.nodes
    assert loaded.welcome == tree.welcome
    assert loaded.version == published.id


def test_a_new_publish_is_picked_up_and_the_old_version_stays(sessions: sessionmaker[Session]) -> None:
    first = import_pack(sessions, DEMO_PACK, author="a", publish=True, note="one")
    tree = load_pack(DEMO_PACK)
    top = tree.nodes[0]
    renamed = replace(top, texts={**top.texts, "uk": replace(top.text("uk"), title="Нова назва")})
    with transaction(sessions) as session:
        versions.save_draft(session, tree=replace(tree, nodes=(renamed, *tree.nodes[1:])), author="b")
        second = versions.publish(session, author="b", note="two").id
    assert second > first
    with sessions() as session:
        assert versions.current_version_id(session) == second
        old = versions.load(session, version_id=first)
        new = versions.load(session, version_id=second)
    assert old is not None and new is not None
    assert old.nodes[0].text("uk").title != "Нова назва"
    assert new.nodes[0].text("uk").title == "Нова назва"


def test_a_failed_publish_leaves_the_published_tree_alone(sessions: sessionmaker[Session]) -> None:
    first = import_pack(sessions, DEMO_PACK, author="a", publish=True, note="one")
    tree = load_pack(DEMO_PACK)
    try:
        with transaction(sessions) as session:
            versions.save_draft(session, tree=tree, author="b")
            versions.publish(session, author="b", note="two")
            raise RuntimeError("the office's power went out mid-publish")
    except RuntimeError:
        pass
    with sessions() as session:
        assert versions.current_version_id(session) == first


def test_the_demo_pack_loads_into_an_empty_database_once(sessions: sessionmaker[Session]) -> None:
    ensure_content(sessions, load_demo=True)
    ensure_content(sessions, load_demo=True)
    with sessions() as session:
        version = versions.current_version_id(session)
        assert version is not None
        tree = versions.load(session, version_id=version)
    assert tree is not None and len(tree.intents()) >= 30
    assert isinstance(tree.intents()[0].text("ru"), NodeText)


def test_the_demo_packs_first_load_is_checked_and_audited_like_any_publish(sessions: sessionmaker[Session]) -> None:
    from hotline.admin.models import AuditEntry

    ensure_content(sessions, load_demo=True)
    with sessions() as session:
        entries = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(e.username, e.action) for e in entries] == [("hotline", "tree.import"), ("hotline", "tree.publish")]


def test_a_demo_pack_failing_its_checks_is_not_published(sessions: sessionmaker[Session], tmp_path: Path) -> None:
    from hotline.admin import drafts

    text = DEMO_PACK.read_text(encoding="utf-8")
    tested = "            - як мені оформити субсидію на опалення\n"
    assert tested in text  # a test phrase of housing_subsidy_apply, made to fail
    broken = tmp_path / DEMO_PACK.name
    broken.write_text(text.replace(tested, "            - як замовити піцу\n", 1), encoding="utf-8")
    for included in DEMO_PACK.parent.glob("demo_*.yaml"):
        (tmp_path / included.name).write_text(included.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(drafts.Invalid) as refused:
        ensure_content(sessions, load_demo=True, pack=broken)
    assert any("як замовити піцу" in p.message for p in refused.value.problems)
    with sessions() as session:
        assert versions.current_version_id(session) is None
