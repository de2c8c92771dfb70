"""What Alembic head the code expects, and how to bring a database there."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory

ROOT = Path(__file__).resolve().parent.parent


def alembic_config(sqlalchemy_url: str) -> Config:
    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", sqlalchemy_url.replace("%", "%%"))
    return cfg


def expected_heads() -> set[str]:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    return set(ScriptDirectory.from_config(cfg).get_heads())


def upgrade(sqlalchemy_url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(sqlalchemy_url), revision)


def downgrade(sqlalchemy_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(sqlalchemy_url), revision)
