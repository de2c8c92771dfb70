"""Notifications: push devices, geofences, notices to people (durable delivery), preferences, the inbox."""
