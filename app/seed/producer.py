"""Event chunks as ready-to-send COPY bytes, made in worker processes while the COPY runs.

Generating and encoding costs more Python time per row than PostgreSQL spends storing it, so
for big loads the chunks are made by a process pool (the GIL would serialise threads) and
handed back in chunk order; a chunk's rows depend only on the seed and its number, so the
data is the same whatever the number of workers.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Generator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import NamedTuple

from app.seed.copytext import EventEncoder
from app.seed.generator import World, chunk_count, generate_chunk

# Chunks queued per worker: enough to keep workers busy while the COPY drains one.
IN_FLIGHT_PER_WORKER = 2

# What a pool worker generates from and encodes with, installed once by the pool's initializer
# (with the "fork" start method the world is inherited, not pickled).
_worker_world: World | None = None
_worker_encoder = EventEncoder()


class EncodedChunk(NamedTuple):
    rows: int
    data: bytes
    # CPU time the producing process spent generating and encoding the chunk.
    seconds: float


def encode_chunk(world: World, chunk: int, encoder: EventEncoder) -> EncodedChunk:
    """Generate chunk ``chunk`` and encode it as COPY text."""
    started = time.process_time()
    rows = generate_chunk(world, chunk)
    data = encoder.lines(rows).encode()
    return EncodedChunk(len(rows), data, time.process_time() - started)


def encoded_chunks(world: World, workers: int) -> Generator[EncodedChunk, None, None]:
    """Every chunk of the world in order: in this process when ``workers`` is 0, else in a pool.

    Close the generator when stopping early: that shuts the pool down.
    """
    if workers <= 0:
        encoder = EventEncoder()
        return (encode_chunk(world, chunk, encoder) for chunk in range(chunk_count(world.events)))
    return _pooled(world, workers)


def _pooled(world: World, workers: int) -> Generator[EncodedChunk, None, None]:
    pool = ProcessPoolExecutor(workers, initializer=_install_world, initargs=(world,))
    try:
        remaining = iter(range(chunk_count(world.events)))
        pending: deque[Future[EncodedChunk]] = deque()
        for chunk in remaining:
            pending.append(pool.submit(_encode_in_worker, chunk))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                break
        while pending:
            done = pending.popleft().result()
            following = next(remaining, None)
            if following is not None:
                pending.append(pool.submit(_encode_in_worker, following))
            yield done
    finally:
        # A consumer that fails (say, the COPY) must not wait for chunks nobody will read.
        pool.shutdown(wait=True, cancel_futures=True)


def _install_world(world: World) -> None:
    global _worker_world
    _worker_world = world


def _encode_in_worker(chunk: int) -> EncodedChunk:
    if _worker_world is None:
        raise RuntimeError("the pool initializer did not run")
    return encode_chunk(_worker_world, chunk, _worker_encoder)
