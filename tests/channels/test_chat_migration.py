"""The one migration that makes Viber's abuse records, block list and ratings every chat channel's: on SQLite
and PostgreSQL, with rows present, nothing is lost and new rows count on from the old ids."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from channels.chat import service
from channels.chat.service import Citizen
from hotline.bootstrap import alembic_config
from hotline.db import make_engine, make_sessionmaker, transaction

AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """An empty database of each kind (the PostgreSQL one created and dropped here)."""
    if request.param == "sqlite":
        made = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
        yield made
        made.dispose()
        return
    admin_url: str = request.getfixturevalue("postgres_admin_url")
    name = f"hotline_migration_{uuid.uuid4().hex[:10]}"
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    made = make_engine(admin_url.rsplit("/", 1)[0] + f"/{name}")
    yield made
    made.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}"'))
    admin.dispose()


def _upgrade(engine: Engine, to: str) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, to)


def _viber_rows(engine: Engine) -> None:
    rows = [
        "INSERT INTO users (id, username, display_name, role, password_hash, is_active, created_at, skills, "
        "languages) VALUES (7, 'admin', 'Адмін', 'admin', 'x', true, :at, '[]', '[]')",
        "INSERT INTO conversations (id, channel, lang, external_id, started_at, updated_at, ended) "
        "VALUES ('c1', 'viber', 'uk', 'u1', :at, :at, false)",
        "INSERT INTO viber_abuse (id, at, user_id, conversation_id, message_token, masked, action) VALUES "
        "(3, :at, 'u1', 'c1', 5000000000123, 'і*****', 'warned'), "
        "(4, :at, 'u1', 'c1', 5000000000124, 'д****', 'blocked')",
        "INSERT INTO viber_blocks (id, user_id, name, reason, sample, blocked_at, lifted_at, lifted_by) VALUES "
        "(5, 'u1', 'Петро', 'repeated_abuse', 'д****', :at, :at, 7), "
        "(6, 'u1', 'Петро', 'repeated_abuse', 'x', :at, NULL, NULL)",
        "INSERT INTO viber_ratings (conversation_id, user_id, score, at) VALUES ('c1', 'u1', 4, :at)",
    ]
    with engine.begin() as connection:
        for row in rows:
            connection.execute(text(row), {"at": AT})


def test_viber_records_move_to_the_shared_tables_with_nothing_lost(engine: Engine) -> None:
    _upgrade(engine, "0002_viber")
    _viber_rows(engine)
    _upgrade(engine, "heads")

    tables = set(inspect(engine).get_table_names())
    assert {"chat_abuse", "chat_blocks", "chat_ratings", "viber_events"} <= tables
    assert not tables & {"viber_abuse", "viber_blocks", "viber_ratings"}
    with engine.connect() as connection:
        abuse = connection.execute(
            text("SELECT id, channel, user_id, conversation_id, message_id, masked, action FROM chat_abuse ORDER BY id")
        ).all()
        blocks = connection.execute(
            text("SELECT id, channel, user_id, name, lifted_by FROM chat_blocks ORDER BY id")
        ).all()
        ratings = connection.execute(text("SELECT conversation_id, channel, user_id, score FROM chat_ratings")).all()
    assert [tuple(r) for r in abuse] == [
        (3, "viber", "u1", "c1", "5000000000123", "і*****", "warned"),
        (4, "viber", "u1", "c1", "5000000000124", "д****", "blocked"),
    ]
    assert [tuple(r) for r in blocks] == [(5, "viber", "u1", "Петро", 7), (6, "viber", "u1", "Петро", None)]
    assert [tuple(r) for r in ratings] == [("c1", "viber", "u1", 4)]

    sessions = make_sessionmaker(engine)
    viber_user, web_user = Citizen("viber", "u1"), Citizen("web", "u1")
    with transaction(sessions) as session:
        assert service.get_active_block(session, citizen=viber_user) is not None  # still blocked on Viber
        assert service.get_active_block(session, citizen=web_user) is None  # the same id elsewhere is someone else
        again = service.add_abuse(
            session, citizen=viber_user, conversation_id="c1", message_id="5000000000123", masked="і"
        )
        assert not again.first_time  # a message Viber repeats still counts once
        fresh = service.add_abuse(session, citizen=web_user, conversation_id="c1", message_id="m1", masked="і*****")
        assert fresh.first_time and fresh.action is service.AbuseAction.WARNED
        new = service.add_abuse(session, citizen=web_user, conversation_id="c1", message_id="m2", masked="д****")
        assert new.action is service.AbuseAction.BLOCKED
        block = service.get_active_block(session, citizen=web_user)
        assert block is not None and block.id == 7  # after the ids that moved over
