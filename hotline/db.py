"""The SQL engine and sessions. SQLite (embedded default) and PostgreSQL (production) both work."""

from __future__ import annotations

import select
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field
from sqlalchemy import DateTime, Engine, MetaData, create_engine, event
from sqlalchemy.exc import DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

RECYCLE_SECONDS = 1800
MAX_ID = 2**31 - 1  # PostgreSQL's integer: past it a lookup fails in SQL (a 500) instead of finding nothing
# A row's id as routes take it, in the path or the query: out of range is a 422 before any SQL runs.
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]
RowIdOrZero = Annotated[int, Field(ge=0, le=MAX_ID)]  # where 0 means none: the draft, from the first message
# Stable constraint names, so Alembic migrations read the same on SQLite and PostgreSQL.
# The database is unreachable (refused, reset, timed out): what a request keeps for later, not a bug.
UNREACHABLE = (OperationalError, InterfaceError)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: DateTime(timezone=True)}  # noqa: RUF012


def utcnow() -> datetime:
    return datetime.now(UTC)


def make_engine(url: str) -> Engine:
    """An engine for `url`; for SQLite, the folder is created and foreign keys and WAL are on."""
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    # No pool_pre_ping: it cost every checkout a round trip (a fifth of a phone turn's SQL). A connection the
    # server closed (restart, terminated backend, proxy timeout) is found without one (`_drop_if_closed`);
    # pool_recycle retires connections before a NAT or firewall forgets them silently.
    engine = create_engine(url, pool_size=10, max_overflow=20, pool_recycle=RECYCLE_SECONDS)
    event.listen(engine, "checkout", _drop_if_closed)
    return engine


def _drop_if_closed(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """An idle connection has nothing to read unless its server closed it (the goodbye, then EOF): such a
    connection is given up before use, and the pool checks out another (SQLAlchemy's DisconnectionError)."""
    readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    if readable:
        raise DisconnectionError("the server closed this pooled connection")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(sessions: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed together or not at all."""
    with sessions() as session, session.begin():
        yield session
