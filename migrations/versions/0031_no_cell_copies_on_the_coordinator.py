"""The change log, notices and import links stop keeping a copy of the event's cell.

Revision ID: 0031
Revises: 0030

These tables stay on the coordinator under Citus: no shard is co-located with them, so their
``cell`` was only a copy of what ``event_locator`` (migration 0028) answers, and a move to another
cell (``repository.move_event``) left it stale: the worker's drain then looked for a moved event in
its old cell and found nothing (the change's notices were lost), and an event page stopped saying
"rescheduled". Their readers now ask the locator, as every lookup by id does; the column goes.

- ``event_changes.cell``: dropped; ``event_changes_rescheduled_idx`` (which included it) is made
  again on ``event_id`` alone.
- ``notices.cell``: dropped (never read).
- ``import_links.cell``: dropped (never written: the import's re-sync finds its event by id,
  through the locator).

``interactions`` keeps its cell (its reads join ``events`` by ``(cell, event_id)`` in bulk, and its
index leads with it): a move rewrites it (``repository.move_event``).

Down: the columns come back filled from the locator; a row of an event gone gets cell 0 (the old
readers looked the event up by that cell and found nothing, as they did for an event gone).
"""

from alembic import op

revision = "0031"
down_revision = "0030"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE event_changes DROP COLUMN cell")  # its index goes with it
    op.execute(
        "CREATE INDEX event_changes_rescheduled_idx ON event_changes (event_id) WHERE 'rescheduled' = ANY(aspects)"
    )
    op.execute("ALTER TABLE notices DROP COLUMN cell")
    op.execute("ALTER TABLE import_links DROP COLUMN cell")


def downgrade() -> None:
    # The locator read first, then plain updates: on Citus a statement joining these tables (on the
    # coordinator) with the locator (a reference table) is not planned.
    rows = op.get_bind().exec_driver_sql("SELECT id, cell FROM event_locator").fetchall()
    located = {"ids": [row[0] for row in rows], "cells": [row[1] for row in rows]}
    fill = "UPDATE {} t SET cell = l.cell FROM unnest(%(ids)s::uuid[], %(cells)s::bigint[]) AS l(id, cell) "
    fill += "WHERE l.id = t.event_id"
    for table in ("import_links", "notices", "event_changes"):
        op.execute(f"ALTER TABLE {table} ADD COLUMN cell bigint")
        op.get_bind().exec_driver_sql(fill.format(table), located)
    for table in ("notices", "event_changes"):
        op.execute(f"UPDATE {table} SET cell = 0 WHERE cell IS NULL")
        op.execute(f"ALTER TABLE {table} ALTER COLUMN cell SET NOT NULL")
    op.execute("DROP INDEX event_changes_rescheduled_idx")
    op.execute(
        "CREATE INDEX event_changes_rescheduled_idx ON event_changes (event_id, cell) "
        "WHERE 'rescheduled' = ANY(aspects)"
    )
