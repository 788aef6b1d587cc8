"""Make a database ready: run migrations, and load the demo content pack into an empty one."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from hotline.admin import drafts
from hotline.db import transaction
from intents import versions
from intents.pack import DEMO_PACK, load_pack

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"
PREPARE_LOCK = 0x486F746C696E65  # "Hotline": the advisory lock of starting nodes
# The checks of the first publish need the matcher only: the second opinion never changes which
# intent a phrase reaches. One build per process, however many empty databases it fills (tests).
_CHECKS = drafts.MatcherCache(size=1, second_opinion=False)


@dataclass(frozen=True)
class FirstStart:
    """Who publishes the demo pack into an empty database: the service itself, on its first start."""

    id: int | None = None
    username: str = "hotline"


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


def ensure_content(sessions: sessionmaker[Session], *, load_demo: bool, pack: Path = DEMO_PACK) -> None:
    """Load the demo pack (or `pack`) when nothing is published yet.

    Through the one publish path (the admin's and `hotline tree import`'s): every check, test phrases
    included (but for the shipped demo pack's phrases, which the test suite checks), and the same audit
    entries; a pack that fails them stops the start, naming each problem.
    """
    with sessions() as session:
        if versions.current_version_id(session) is not None:
            return
    if not load_demo:
        log.warning("no tree is published: import one with 'hotline tree import FILE.yaml'")
        return
    tree = load_pack(pack)
    actor = FirstStart()
    try:
        with transaction(sessions) as session:
            drafts.import_tree(session, actor=actor, tree=tree, source=pack.name)
            # The shipped demo pack's phrases are checked by the test suite (tests/admin/test_editor.py) with
            # this very code: matching its 2,700 phrases again would cost every fresh start tens of seconds.
            matchers = None if pack == DEMO_PACK else _CHECKS
            version = drafts.publish(session, actor=actor, note="demo content pack", matchers=matchers).id
    except drafts.Invalid as exc:
        for problem in exc.problems:
            log.error("demo content pack: %s: %s", problem.slug, problem.message)
        raise
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
