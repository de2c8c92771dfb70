"""Calendar imports: where an organizer's calendars come from, the import jobs, and what each
imported event became.

Revision ID: 0026
Revises: 0025

- ``import_sources``: one per organizer for uploaded files (kind ``file``), one per calendar URL
  (kind ``url``); a subscribed URL keeps its ETag/Last-Modified and when it is next fetched.
- ``import_jobs``: the queue the worker claims with ``FOR UPDATE SKIP LOCKED``; an uploaded file's
  bytes wait in ``body`` until the job has read them (then cleared); progress counts and the report
  (one entry per event: created, updated, unchanged, skipped, cancelled, with a reason) are written
  as the job goes.
- ``import_links``: (source, UID, key) → the event or series it became, with the content hash that
  tells an unchanged entry. The key is '' for an event or series, its RECURRENCE-ID for an override,
  ``rdate:…`` for an extra date. The event is referenced by (cell, event_id) without a foreign key
  (a moved event changes cell; the link finds it by id).
No table holds personal data (no account reference). None is bound to an event's partition: on
Citus they stay on the coordinator, like the other queues.
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE import_sources (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            organizer_id uuid NOT NULL REFERENCES organizers(id) ON DELETE CASCADE,
            kind text NOT NULL CHECK (kind IN ('file', 'url')),
            url text CHECK (length(url) <= 2000),
            subscribe boolean NOT NULL DEFAULT false,
            etag text,
            last_modified text,
            last_fetched_at timestamptz,
            next_fetch_at timestamptz,
            created_at timestamptz NOT NULL DEFAULT now(),
            CHECK ((kind = 'url') = (url IS NOT NULL))
        );
        CREATE UNIQUE INDEX import_sources_file_idx ON import_sources (organizer_id) WHERE kind = 'file';
        CREATE UNIQUE INDEX import_sources_url_idx ON import_sources (organizer_id, url) WHERE kind = 'url';
        CREATE INDEX import_sources_due_idx ON import_sources (next_fetch_at) WHERE subscribe;

        CREATE TABLE import_jobs (
            id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
            source_id uuid NOT NULL REFERENCES import_sources(id) ON DELETE CASCADE,
            organizer_id uuid NOT NULL REFERENCES organizers(id) ON DELETE CASCADE,
            status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'failed')),
            body bytea,
            timezone text,
            publish boolean NOT NULL DEFAULT false,
            total integer NOT NULL DEFAULT 0,
            processed integer NOT NULL DEFAULT 0,
            created integer NOT NULL DEFAULT 0,
            updated integer NOT NULL DEFAULT 0,
            unchanged integer NOT NULL DEFAULT 0,
            skipped integer NOT NULL DEFAULT 0,
            cancelled integer NOT NULL DEFAULT 0,
            report jsonb NOT NULL DEFAULT '[]',
            error text,
            created_at timestamptz NOT NULL DEFAULT now(),
            started_at timestamptz,
            finished_at timestamptz
        );
        CREATE INDEX import_jobs_queue_idx ON import_jobs (created_at) WHERE status IN ('queued', 'running');
        CREATE INDEX import_jobs_source_idx ON import_jobs (source_id);

        CREATE TABLE import_links (
            source_id uuid NOT NULL REFERENCES import_sources(id) ON DELETE CASCADE,
            uid text NOT NULL CHECK (length(uid) <= 300),
            key text NOT NULL,
            kind text NOT NULL CHECK (kind IN ('event', 'series', 'override', 'extra')),
            cell bigint,
            event_id uuid,
            series_id uuid REFERENCES event_series(id) ON DELETE SET NULL,
            content_hash text NOT NULL,
            gone boolean NOT NULL DEFAULT false,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (source_id, uid, key)
        );
        """
    )


def downgrade() -> None:
    op.execute("DROP TABLE import_links, import_jobs, import_sources")
