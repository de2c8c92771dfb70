"""COPY of encoded rows into PostgreSQL, over one connection or several at once.

With STORED generated columns (the search vector costs tens of µs per row) the server's work
per row exceeds the generator's, so a big load keeps one COPY running per CPU. Each writer
thread owns a connection and its open transaction; the caller commits them all only when
every writer succeeded.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Sequence

import psycopg
from psycopg.rows import TupleRow

from app.seed.copytext import EVENT_COLUMNS, copy_statement
from app.seed.producer import EncodedChunk

Connection = psycopg.Connection[TupleRow]
# Chunks waiting per writer: a little slack so no writer waits for the generator's next chunk.
QUEUED_PER_WRITER = 2


def copy_text(conn: Connection, table: str, columns: tuple[str, ...], text: str) -> None:
    """COPY ``text`` (COPY text-format lines) into ``table``."""
    with conn.cursor().copy(copy_statement(table, columns)) as copy:
        copy.write(text)


def copy_event_chunks(
    connections: Sequence[Connection],
    chunks: Iterable[EncodedChunk],
    on_chunk: Callable[[EncodedChunk], None],
) -> None:
    """COPY every chunk into ``events``, each through whichever connection is free first."""
    pending: queue.Queue[EncodedChunk | None] = queue.Queue(maxsize=QUEUED_PER_WRITER * len(connections))
    errors: list[BaseException] = []
    writers = [
        threading.Thread(target=_write, args=(conn, pending, errors), name=f"seed-copy-{number}", daemon=True)
        for number, conn in enumerate(connections)
    ]
    for writer in writers:
        writer.start()
    try:
        for chunk in chunks:
            if errors:
                break
            pending.put(chunk)
            on_chunk(chunk)
    finally:
        # Writers end their COPY on the sentinel; a failed writer keeps draining until it sees one.
        for _ in writers:
            pending.put(None)
        for writer in writers:
            writer.join()
    if errors:
        raise errors[0]


def _write(conn: Connection, pending: queue.Queue[EncodedChunk | None], errors: list[BaseException]) -> None:
    sentinel_taken = False
    try:
        with conn.cursor().copy(copy_statement("events", EVENT_COLUMNS)) as copy:
            while (chunk := pending.get()) is not None:
                copy.write(chunk.data)
            sentinel_taken = True  # the COPY may still fail as it ends, with nothing left to drain
    except BaseException as error:  # re-raised in the caller's thread
        errors.append(error)
        # Until this writer's sentinel, so that the producer's puts never block on a full queue.
        while not sentinel_taken and pending.get() is not None:
            pass
