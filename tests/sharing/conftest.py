from tests.profiles.world import clean_db, clock, media_root, settings

__all__ = ["clean_db", "clock", "media_root", "settings"]
