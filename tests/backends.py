"""The databases a whole-service test runs on, named once: SQLite always, PostgreSQL as well
where ``TEST_POSTGRES_URL`` names a server (the ``postgres`` mark skips it otherwise). A test
takes ``backend`` and turns it into a URL with :func:`tests.conftest.backend_url`."""

from __future__ import annotations

import pytest

#: The two backends, the PostgreSQL one marked so that it is skipped without a server.
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

#: Runs the test once on each of :data:`BACKENDS`, as its ``backend`` argument.
on_each_backend = pytest.mark.parametrize("backend", BACKENDS)
