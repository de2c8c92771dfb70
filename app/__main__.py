"""`python -m app preflight|migrate|serve|worker|distribute`: what `make run` drives, and scale-out."""

from __future__ import annotations

import argparse
import os
import sys

from pydantic import ValidationError

from app.errors import ConfigurationError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("preflight", help="check database, PostGIS and Redis; one line on failure")
    sub.add_parser("migrate", help="alembic upgrade head")
    serve = sub.add_parser("serve", help="run the API with uvicorn")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1")))
    sub.add_parser("worker", help="run the job worker (each domain's periodic drains and sweeps)")
    distribute = sub.add_parser(
        "distribute", help="on a Citus coordinator: reference tables, events and event-bound tables by cell"
    )
    distribute.add_argument("--shards", type=int, default=None, help="shards per table (default: the setting)")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:
        first = exc.errors()[0]
        name = ".".join(str(p) for p in first["loc"])
        print(f"error: bad setting {name}: {first['msg']} (see config/.env.example)", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    from app.preflight import run_preflight
    from config.settings import Settings

    settings = Settings()
    if args.command == "preflight":
        run_preflight(settings)
    elif args.command == "migrate":
        from app.migrations_state import upgrade

        run_preflight(settings)
        upgrade(settings.database.sqlalchemy_url)
    elif args.command == "serve":
        import uvicorn

        from app.serving import uvicorn_options

        run_preflight(settings)
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=args.host,
            port=args.port,
            workers=args.workers,
            log_level=settings.log_level.lower(),
            access_log=False,
            **uvicorn_options(settings),
        )
    elif args.command == "distribute":
        from app.distribution import distribute

        run_preflight(settings)
        shards = args.shards or settings.database.shard_count
        for line in distribute(settings.database.url, shards).lines():
            print(line)
    elif args.command == "worker":
        import asyncio

        from app.kit.logging import configure_logging
        from app.worker.runner import serve_worker

        run_preflight(settings)
        configure_logging(settings.log_level, json_lines=settings.log_json)
        asyncio.run(serve_worker(settings))
    return 0


if __name__ == "__main__":
    sys.exit(main())
