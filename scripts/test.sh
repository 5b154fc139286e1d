#!/usr/bin/env bash
# Set up (idempotent) and run every check: lint, types, the whole test suite
# (SQLite always; PostgreSQL when a server answers at TEST_POSTGRES_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export TEST_POSTGRES_URL=${TEST_POSTGRES_URL:-postgresql+asyncpg://postgres@127.0.0.1:5432/test}
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/mypy
# Known vulnerabilities in the installed dependencies (fails on one; warns if it cannot look).
.venv/bin/python scripts/pip_audit.py
# Two worker processes (TEST_WORKERS): much of a test's time is waiting (services starting,
# Chromium, PostgreSQL), so two tests at once use the 2 cores a CI machine has. A test file
# stays in one worker (--dist loadfile), in its order.
exec .venv/bin/python -m pytest -q -n "${TEST_WORKERS:-2}" --dist loadfile "$@"
