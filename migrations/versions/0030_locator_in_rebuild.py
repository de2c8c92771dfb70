"""``events_derived_rebuild`` also makes ``event_locator`` again.

Revision ID: 0030
Revises: 0029

A bulk load (the seed's COPY) and writers of plain SQL end with ``events_derived_rebuild``; the id →
cell locator (migration 0028) is derived from ``events`` like the postings and rollups, so it is
made again there too: emptied and filled from ``events`` (an ``INSERT … SELECT`` that Citus runs
from the coordinator into the reference table). Runs forward on a populated database: the locator
is made exact once more before the migration commits.
"""

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None

_REBUILD = """
CREATE OR REPLACE FUNCTION events_derived_rebuild(counted_from timestamptz DEFAULT NULL) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM event_terms_rebuild();
    PERFORM tile_rollup_rebuild(coalesce(counted_from, (SELECT h.counted_from FROM tile_rollup_horizon h)));
    {locator}
END
$$
"""
_LOCATOR = "DELETE FROM event_locator; INSERT INTO event_locator (id, cell) SELECT id, cell FROM events;"


def upgrade() -> None:
    op.execute(_REBUILD.format(locator=_LOCATOR))
    op.execute("DELETE FROM event_locator")
    op.execute("INSERT INTO event_locator (id, cell) SELECT id, cell FROM events")


def downgrade() -> None:
    op.execute(_REBUILD.format(locator=""))
