"""Event image tests share the venue tests' world (a team, an outsider) and clean tables."""

from tests.venues.conftest import clean_db, clock, settings

__all__ = ["clean_db", "clock", "settings"]
