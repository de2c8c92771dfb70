"""Password hashing (argon2id) off the event loop, a bounded number at a time, and the strength rule.

A hash costs tens of milliseconds of one core by design. Each runs in one of ``concurrency``
worker threads of this process's own pool (argon2's C code releases the GIL), so a storm of
sign-ins queues here instead of taking every core from the event loop that serves map tiles. The
pool's threads also run at a lower scheduling priority (``nice`` +10 for the thread alone, which
Linux allows any process): when the event loop, PostgreSQL or Redis want a core, they get it first,
and hashes use what is left. A sign-in for an unknown email still spends one hash (``spend``), so
the time of the answer does not tell whether the address is registered.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from zxcvbn import zxcvbn

# Longest password accepted: argon2 takes any length, but a megabyte-long one is a cheap way to burn CPU.
MAX_PASSWORD_LENGTH = 256
# zxcvbn's cost grows with length; a password past this is judged by its first part.
STRENGTH_PREFIX = 72
# How much lower than the event loop the hashing threads run (Linux: per thread; 10 ≈ a ninth of the weight).
HASH_NICENESS = 10

log = logging.getLogger("happenings.passwords")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Verdict:
    ok: bool
    # The stored hash was made with other parameters than today's: store a new one.
    needs_rehash: bool = False


class Passwords:
    """Hashes and checks passwords with argon2id at fixed parameters, ``concurrency`` at a time."""

    def __init__(self, *, time_cost: int, memory_kib: int, parallelism: int, concurrency: int) -> None:
        self._hasher = PasswordHasher(
            time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID
        )
        self._pool = ThreadPoolExecutor(
            max_workers=concurrency, thread_name_prefix="argon2", initializer=_lower_thread_priority
        )
        self._decoy: str | None = None

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def _run(self, function: Callable[[], T]) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._pool, function)

    async def hash(self, password: str) -> str:
        return await self._run(lambda: self._hasher.hash(password))

    async def verify(self, stored: str | None, password: str) -> Verdict:
        """Check ``password`` against ``stored``; without a stored hash, spend one anyway and refuse."""
        if stored is None:
            await self.spend(password)
            return Verdict(False)
        return await self._run(lambda: self._verify(stored, password))

    async def spend(self, password: str) -> None:
        """Cost what a real check costs (for an unknown email), and always fail."""
        if self._decoy is None:
            self._decoy = await self.hash("decoy password that matches nothing")
        decoy = self._decoy
        await self._run(lambda: self._verify(decoy, password))

    async def weakness(self, password: str, *, min_length: int, min_score: int, context: list[str]) -> str | None:
        """``weakness`` in a worker thread (zxcvbn is pure Python and may take tens of milliseconds)."""
        if len(password) < min_length or len(password) > MAX_PASSWORD_LENGTH or min_score == 0:
            return weakness(password, min_length=min_length, min_score=min_score, context=context)
        return await self._run(lambda: weakness(password, min_length=min_length, min_score=min_score, context=context))

    def _verify(self, stored: str, password: str) -> Verdict:
        try:
            self._hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return Verdict(False)
        return Verdict(True, self._hasher.check_needs_rehash(stored))


def _lower_thread_priority() -> None:
    """Make the calling thread (only) yield the CPU to the process's other threads and to other processes."""
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_NICENESS)
    except (AttributeError, OSError) as exc:  # not Linux, or not allowed: hashes run at normal priority
        log.info("could not lower the hashing threads' priority: %r", exc)


def weakness(password: str, *, min_length: int, min_score: int, context: list[str]) -> str | None:
    """Why ``password`` is too weak to be set, or None. ``context``: the person's email, name."""
    if len(password) < min_length:
        return f"must be at least {min_length} characters long"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"must be at most {MAX_PASSWORD_LENGTH} characters long"
    if min_score == 0:
        return None
    result = zxcvbn(password[:STRENGTH_PREFIX], user_inputs=[*context, "happenings"])
    if result["score"] >= min_score:
        return None
    warning = result["feedback"].get("warning") or "it is too easy to guess"
    return f"is too weak: {warning.rstrip('.').lower()}; use a longer phrase of unrelated words"
