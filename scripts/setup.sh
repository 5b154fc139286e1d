#!/usr/bin/env bash
# Idempotent setup: system packages (when root), virtualenv, Python packages, database migrations.
# Safe to run again and again; each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(python3-venv libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk
              poppler-utils chromium postgresql-client espeak-ng zbar-tools)

log() { printf '[setup] %s\n' "$*" >&2; }

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing system packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
elif ! fc-list 2>/dev/null | grep -q "Noto Serif CJK SC"; then
  log "warning: not root; install ${APT_PACKAGES[*]} yourself for PDF rendering"
fi

PY=${PYTHON:-}
if [ -z "$PY" ]; then
  for c in python3.13 python3.12 python3.11 python3; do
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
      PY=$c; break
    fi
  done
fi
[ -n "$PY" ] || { log "Python >= 3.11 is required"; exit 1; }

if [ ! -x .venv/bin/python ]; then
  log "creating virtualenv with $PY"
  "$PY" -m venv .venv
fi

stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-16)
if [ ! -f "$stamp" ]; then
  log "installing Python packages (first run takes a few minutes)"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e ".[dev]"
  rm -f .venv/.installed-*
  touch "$stamp"
fi

.venv/bin/python main.py db upgrade
# The documents' font, derived once from the system's Noto Serif CJK SC (see documents/fonts.py).
.venv/bin/python -m documents.fonts
