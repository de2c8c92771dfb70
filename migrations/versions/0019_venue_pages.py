"""An organizer's venues in name order: the index their pages and the same-venue check walk.

Revision ID: 0019
Revises: 0018

- ``venues_organizer_name_idx`` on ``(organizer_id, name, id)``: ``GET /organizers/{id}/venues``
  pages by (name, id) after a cursor; it replaces ``venues_organizer_idx``, its leading column.
- The same-venue check (a venue of the same organizer with the same normalised name within 50 m)
  uses the existing GiST index on ``geom``; names are compared in the application (case,
  whitespace and diacritics folded: ``geo.geocoding.normal_name``), so no column is added and no
  row is rewritten.

``venues`` is not bound to an event's cell: on Citus it is a reference table like ``organizers``.
Built CONCURRENTLY-free (a plain CREATE INDEX): the venues table is small beside events.
"""

from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE INDEX venues_organizer_name_idx ON venues (organizer_id, name, id)")
    op.execute("DROP INDEX venues_organizer_idx")


def downgrade() -> None:
    op.execute("CREATE INDEX venues_organizer_idx ON venues (organizer_id)")
    op.execute("DROP INDEX venues_organizer_name_idx")
