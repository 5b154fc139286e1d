#!/usr/bin/env bash
# Run one benchmark command in two checkouts alternately (old, new, old, new …) so that a shared
# host's load falls on both; each run's output and its whole-process CPU (user + system) follow a
# "=== <tag> <time>" line.
#
#   benchmarks/paired.sh OLD_CHECKOUT NEW_CHECKOUT PAIRS COMMAND...
#   benchmarks/paired.sh /work/old /work/new 3 .venv/bin/python benchmarks/bot_throughput.py --chats 200 --rounds 2
#
# Each checkout runs on its own PYTHONPATH with its own `.venv` link (the same virtualenv may be
# linked into both), from its own root, so each measures its own code.
set -euo pipefail
old=$1 new=$2 pairs=$3
shift 3
for i in $(seq 1 "$pairs"); do
  for dir in "$old" "$new"; do
    echo "=== $(basename "$dir") $i $(date -u +%T) load $(cut -d' ' -f1 /proc/loadavg)"
    (cd "$dir" && PYTHONPATH="$dir" /usr/bin/time -f "cpu user=%U sys=%S wall=%e" "$@") 2>&1
  done
done
