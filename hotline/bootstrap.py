"""Make a database ready: run migrations, and load the demo content pack into an empty one."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from hotline.db import transaction
from intents import versions
from intents.pack import DEMO_PACK, load_pack

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
PREPARE_LOCK = 0x486F746C696E65  # "Hotline": the advisory lock of starting nodes


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision."""
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")  # independent branches (one per feature) may coexist


def import_pack(sessions: sessionmaker[Session], path: Path, *, author: str, publish: bool, note: str) -> int:
    """Validate a pack, make it the draft and (optionally) publish it, all in one transaction."""
    tree = load_pack(path)  # raises PackError before anything is written
    with transaction(sessions) as session:
        draft = versions.save_draft(session, tree=tree, author=author)
        if not publish:
            return draft.id
        return versions.publish(session, author=author, note=note).id


def ensure_content(sessions: sessionmaker[Session], *, load_demo: bool) -> None:
    """Load the demo pack when nothing is published yet."""
    with sessions() as session:
        if versions.current_version_id(session) is not None:
            return
    if not load_demo:
        log.warning("no tree is published: import one with 'hotline tree import FILE.yaml'")
        return
    version = import_pack(sessions, DEMO_PACK, author="hotline", publish=True, note="demo content pack")
    log.info("loaded the demo content pack as version %s", version)


def prepare(engine: Engine, sessions: sessionmaker[Session], *, load_demo: bool) -> None:
    """Migrate and load the demo pack; nodes starting together on one PostgreSQL take turns."""
    with one_at_a_time(engine):
        migrate(engine)
        ensure_content(sessions, load_demo=load_demo)


@contextmanager
def one_at_a_time(engine: Engine) -> Iterator[None]:
    """A PostgreSQL advisory lock held on a connection of its own (SQLite serves one machine: nothing to do)."""
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PREPARE_LOCK})
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PREPARE_LOCK})
