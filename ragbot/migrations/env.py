"""Alembic environment: uses the caller's connection, or builds one from Settings."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

connection = context.config.attributes.get("connection")

if connection is not None:
    context.configure(connection=connection, transaction_per_migration=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    from ragbot.config import Settings
    from ragbot.storage.db import database_url

    url = context.config.get_main_option("sqlalchemy.url") or database_url(Settings())
    engine = create_engine(url)
    with engine.connect() as conn:
        context.configure(connection=conn, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
