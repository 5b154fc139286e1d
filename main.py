"""The entry point of the mediation service: ``python main.py [COMMAND]``.

``python main.py`` (or ``serve``) runs the web server, and the Telegram bot when
``TELEGRAM_BOT_TOKEN`` is set. Every other command is listed by ``python main.py --help``.
The composition root is the :mod:`app` package (the typed runtime, the web server, the
commands); nothing imports this module.
"""

from __future__ import annotations

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
