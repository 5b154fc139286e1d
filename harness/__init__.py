"""One harness for bringing up the whole service: used by the tests, the benchmarks and the demo.

- :func:`running_service`: the service in this process (migrations, the runtime, feature start
  hooks, optionally the web app on a free port), against the stand-in Bot API when given one.
- :class:`ServiceProcess`: ``main.py serve`` as a child process.
- :mod:`harness.steps`: what people do through the stand-in (file, join, link, take a case).
- :mod:`harness.seed`: rooms written straight into the database.
- :class:`harness.engine.Engine`: the conversation engine alone on a given database.
"""

from harness.env import TOKEN, free_port, service_env, standin_env
from harness.process import ServiceProcess
from harness.service import RunningService, migrated_runtime, running_service, serving

__all__ = [
    "TOKEN",
    "RunningService",
    "ServiceProcess",
    "free_port",
    "migrated_runtime",
    "running_service",
    "service_env",
    "serving",
    "standin_env",
]
