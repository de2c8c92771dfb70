"""COPY over several writer threads: a failure ends the load with the error, never a wait."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import psycopg
import pytest
from psycopg.rows import TupleRow

from app.seed.copying import copy_event_chunks
from app.seed.producer import EncodedChunk

# Not a row: the server refuses the line, and says so only when the COPY ends.
BAD = EncodedChunk(rows=1, data=b"not an event\n", seconds=0.0)


def _load(connections: list[psycopg.Connection[TupleRow]], chunks: list[EncodedChunk]) -> list[BaseException]:
    """Run the load in a thread; what it raised, or a failure when it is still running after 30 s."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            copy_event_chunks(connections, chunks, lambda _: None)
        except BaseException as error:  # handed to the test's thread
            raised.append(error)

    loader = threading.Thread(target=run, daemon=True)
    loader.start()
    loader.join(timeout=30)
    assert not loader.is_alive(), "the load hangs"
    return raised


@pytest.fixture
def connections(clean_db: str) -> Iterator[list[psycopg.Connection[TupleRow]]]:
    opened = [psycopg.connect(clean_db) for _ in range(2)]
    yield opened
    for conn in opened:
        conn.close()


@pytest.mark.parametrize("writers", [1, 2])
def test_a_copy_failing_as_it_ends_raises_instead_of_hanging(
    connections: list[psycopg.Connection[TupleRow]], writers: int
) -> None:
    raised = _load(connections[:writers], [BAD])
    assert len(raised) == 1 and isinstance(raised[0], psycopg.errors.DataError)


def test_a_copy_failing_early_drains_the_chunks_still_coming(connections: list[psycopg.Connection[TupleRow]]) -> None:
    raised = _load(connections[:1], [BAD] * 20)
    assert len(raised) == 1 and isinstance(raised[0], psycopg.errors.Error)
