"""Admin test fixtures: a migrated database with the demo tree published, and an acting admin."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pytest
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction
from intents import versions
from intents.pack import DEMO_PACK, load_pack
from intents.tree import Tree


@cache
def demo_tree() -> Tree:
    return load_pack(DEMO_PACK)


@dataclass(frozen=True)
class Actor:
    id: int | None
    username: str


@pytest.fixture
def demo(sessions: sessionmaker[Session]) -> sessionmaker[Session]:
    """The `sessions` database (SQLite, then PostgreSQL) with the demo tree published."""
    with transaction(sessions) as session:
        versions.save_draft(session, tree=demo_tree(), author="test")
        versions.publish(session, author="test", note="demo")
    return sessions
