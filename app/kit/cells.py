"""Rows found across cells, grouped by cell: on Citus a row lock must name the shard key, so a queue
read without a lock (every shard) is then locked cell by cell, one shard per statement."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any
from uuid import UUID


def ids_by_cell(rows: Iterable[Mapping[str, Any]], id_column: str) -> list[tuple[int, list[UUID]]]:
    """``(cell, ids)`` pairs in cell order (the lock order), each id in its row's order."""
    grouped: dict[int, list[UUID]] = {}
    for row in rows:
        grouped.setdefault(int(row["cell"]), []).append(row[id_column])
    return sorted(grouped.items())
