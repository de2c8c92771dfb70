"""``python -m app.recommendations train``: train the next recommendation model now (offline).

The worker runs the same training on a schedule (``app.recommendations.tasks.train_model``).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime

import psycopg
from psycopg.rows import dict_row

from app.recommendations.training import train_and_store
from config.settings import Settings


async def _train(settings: Settings) -> int:
    connect = psycopg.AsyncConnection.connect(settings.database.url, row_factory=dict_row)
    async with await connect as conn, conn.transaction():
        version, model, seconds = await train_and_store(conn, datetime.now(UTC), settings.recommendations)
    summary = model.summary
    print(
        f"model {version}: {summary.get('interactions')} interactions, {summary.get('people')} people, "
        f"{summary.get('entities')} entities, {summary.get('examples')} ranker examples; trained in {seconds:.1f} s"
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.recommendations")
    parser.add_argument("command", choices=["train"])
    parser.parse_args(argv)
    return asyncio.run(_train(Settings()))


if __name__ == "__main__":
    sys.exit(main())
