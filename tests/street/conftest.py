"""The street's tests use tests/conftest.py's render pool and seal key (``render_pool``,
``seal``) for the group's written agreement."""
