"""Organizers as teams: memberships with roles (owner > editor > checker) and invitations by email."""
