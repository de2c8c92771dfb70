"""Entry point of ``python -m app.seed``."""

from app.seed.cli import main

raise SystemExit(main())
