# Happenings — two commands: `make run` and `make test`. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# The suites the Citus stage runs on a private coordinator + two workers (README, "Scale-out").
CITUS_SUITES := tests/citus tests/tiles/test_content.py tests/tiles/test_http.py tests/events/test_writes.py \
	tests/events/test_discovery_area.py tests/events/test_discovery_filters.py tests/events/test_discovery_http.py \
	tests/events/test_discovery_paging.py tests/events/test_discovery_text.py tests/events/test_nearby.py \
	tests/events/test_moves.py tests/publishing tests/series/test_service.py tests/venues/test_venues.py tests/organizers/test_last_owner.py \
	tests/recommendations tests/event_images/test_event_images.py tests/imports/test_fetch.py \
	tests/ticketing tests/payments/test_webhook.py tests/payments/test_refunds.py tests/payments/test_test_cards.py \
	tests/accounts/test_flows.py tests/accounts/test_sessions.py tests/profiles/test_saved_and_following.py tests/privacy/test_erase.py \
	tests/notifications/test_flow.py tests/notifications/test_geofence_edits.py tests/live/test_live.py \
	tests/sharing

.PHONY: run test lint typecheck pytest bench provision venv frontend clean-data

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	@bash scripts/provision.sh python
	@touch $@

provision:
	@bash scripts/provision.sh all

run:
	@bash scripts/run.sh

test: venv
	@bash scripts/provision.sh test-services
	@bash frontend/build.sh
	cd frontend && npm test --silent
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy app geo tiles config
	$(VENV)/bin/pytest -q -n 2 -m "not e2e"
	$(VENV)/bin/pytest -q -m e2e
	@bash scripts/provision.sh citus
	$(VENV)/bin/pytest -q --citus --timeout 120 $(CITUS_SUITES)

bench: venv
	@bash scripts/provision.sh test-services
	$(PY) -m bench

clean-data:
	rm -rf .data
