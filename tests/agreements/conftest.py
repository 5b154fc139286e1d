"""The agreements' tests share one render pool and one seal key per test process: the
``render_pool``, ``seal`` and ``statutes`` fixtures of tests/conftest.py (spawning WeasyPrint
workers costs ~3 s and an RSA-3072 key ~1 s, and every end-to-end test here needs both)."""
