from tests.notifications.world import clean_db, clock, pin_clock, push_settings, settings

__all__ = ["clean_db", "clock", "pin_clock", "push_settings", "settings"]
