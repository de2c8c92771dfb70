# The API image used by docker-compose.yml. The front end is built in its own stage.
FROM node:20-bookworm-slim AS frontend
WORKDIR /src/frontend
COPY frontend/ ./
RUN if [ -f package.json ]; then npm ci && npm run build; else mkdir -p dist; fi

FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /srv
COPY pyproject.toml requirements.lock README.md ./
COPY app ./app
COPY geo ./geo
COPY tiles ./tiles
COPY config ./config
COPY migrations ./migrations
COPY alembic.ini ./
RUN pip install --no-cache-dir -c requirements.lock .
COPY --from=frontend /src/frontend/dist ./frontend/dist
EXPOSE 8000
CMD ["sh", "-c", "python -m app migrate && python -m app.seed --events ${DEMO_EVENTS:-50000} --seed 1 --if-empty --no-progress && python -m app serve --host 0.0.0.0 --port 8000"]
