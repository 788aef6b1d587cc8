"""Two nodes starting at once on an empty PostgreSQL database (compose starts both app containers
together): the schema is migrated and the demo pack published once, not once per node."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text

from hotline.bootstrap import prepare
from hotline.db import make_engine, make_sessionmaker
from intents.models import TreeVersion


@pytest.fixture
def empty_database(postgres_admin_url: str) -> Iterator[str]:
    name = f"hotline_test_{uuid.uuid4().hex[:10]}"
    admin = make_engine(postgres_admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield postgres_admin_url.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_nodes_starting_together_migrate_and_publish_the_demo_pack_once(empty_database: str) -> None:
    engines = [make_engine(empty_database) for _ in range(3)]

    def start(n: int) -> None:
        prepare(engines[n], make_sessionmaker(engines[n]), load_demo=True)

    with ThreadPoolExecutor(3) as pool:
        list(pool.map(start, range(3)))  # a failed start raises here
    with make_sessionmaker(engines[0])() as session:
        published = session.scalar(select(func.count()).where(TreeVersion.published_at.is_not(None)))
    for engine in engines:
        engine.dispose()
    assert published == 1
