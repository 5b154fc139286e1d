"""``python -m standin``: run the stand-in Bot API as a standalone server.

Used by benchmarks and ``main.py demo`` when the bot runs in a separate
process; the control routes under ``/_standin/`` drive it from outside.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal

from .server import StandinBotAPI


def _parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m standin", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each call")
    parser.add_argument("--enforce-rate-limits", action="store_true")
    parser.add_argument(
        "--no-record-calls", action="store_true", help="do not keep every request (long runs)"
    )
    parser.add_argument("--token", action="append", help="allow only these tokens (repeatable)")
    return parser.parse_args(argv)


async def _serve(args: argparse.Namespace) -> None:
    server = StandinBotAPI(
        latency=args.latency,
        enforce_rate_limits=args.enforce_rate_limits,
        tokens=args.token,
        record_calls=not args.no_record_calls,
    )
    base = await server.start(args.host, args.port)
    print(f"Stand-in Telegram Bot API listening on {base}", flush=True)
    print(f"  bot API : {server.bot_api_url}   (ApplicationBuilder.base_url)", flush=True)
    print(f"  files   : {server.file_url}   (ApplicationBuilder.base_file_url)", flush=True)
    print(f"  control : {base}/_standin/", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await server.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point."""
    asyncio.run(_serve(_parse_args(argv)))


if __name__ == "__main__":
    main()
