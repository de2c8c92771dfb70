"""Alembic environment: online migrations over psycopg 3, URL from settings unless given."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine, pool

from config.settings import Settings

config = context.config


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    return url or Settings().database.sqlalchemy_url


def run_migrations_online() -> None:
    engine = create_engine(_url(), poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, transaction_per_migration=True)
        with context.begin_transaction():
            context.run_migrations()


run_migrations_online()
