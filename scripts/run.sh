#!/usr/bin/env bash
# Set up (idempotent) and run the service: web console + browser chat always,
# the Telegram bot too when TELEGRAM_BOT_TOKEN is set.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec .venv/bin/python main.py serve "$@"
