"""Alembic environment: the URL and connection come from `hotline.bootstrap.migrate`."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

import hotline.schema  # noqa: F401  (registers every table on Base.metadata)
from hotline.db import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from hotline.db import make_engine

        with make_engine(config.get_main_option("sqlalchemy.url") or "").connect() as conn:
            _migrate(conn)
    else:
        _migrate(connection)


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
