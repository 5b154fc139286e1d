"""The entry point of the mediation service: ``python main.py [COMMAND]``.

``python main.py`` (or ``serve``) runs the web server, and the Telegram bot when
``TELEGRAM_BOT_TOKEN`` is set. Every other command is listed by ``python main.py --help``.
The composition root is the :mod:`app` package (the typed runtime, the web server, the
commands); nothing imports this module.
"""

from __future__ import annotations

import sys

if __name__ == "__main__":
    # Imported here, not at the top: the render pool's workers are spawned, and a spawned
    # process imports the parent's main module again (as ``__mp_main__``). At the top, every
    # render worker would load the whole service (every feature, SQLAlchemy, the bot) that it
    # never uses: measured, 40 MB more per worker and a slower pool start.
    from app.cli import main

    sys.exit(main())
