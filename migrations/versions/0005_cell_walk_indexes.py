"""Per-cell walk indexes: the start and popularity orders within one partition cell.

Revision ID: 0005
Revises: 0004

A partition holds many H3 cells, so walking a partition's ``events_walk_*_idx`` in sort order
also reads the entries of its cells outside the area, and more of them the larger the table
(at 10M events a zoom-8 region read ~30x the entries of the page). With the cell leading the
key, discovery walks each covering cell on its own and merges the walks
(``app.events.queries._cell_walk``): the work follows the page and the number of cells.
The partition-wide walk indexes stay for text-filtered pages and covers of many cells.

Runs forward on a populated table (each index built once per partition) and back down cleanly.
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Must match app/events/queries.py: what a walk reads from the index entry alone.
_PUBLIC = "status IN ('published', 'cancelled')"
_ENTRY = "ends_at, popularity, category, is_free, price_min, geom"


def upgrade() -> None:
    op.execute(
        f"CREATE INDEX events_walk_cell_start_idx ON events (cell, starts_at, id) INCLUDE ({_ENTRY}) WHERE {_PUBLIC}"
    )
    op.execute(
        f"CREATE INDEX events_walk_cell_popularity_idx ON events (cell, (-popularity), id) "
        f"INCLUDE (starts_at, {_ENTRY}) WHERE {_PUBLIC}"
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS events_walk_cell_popularity_idx")
    op.execute("DROP INDEX IF EXISTS events_walk_cell_start_idx")
