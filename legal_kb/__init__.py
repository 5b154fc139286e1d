"""Legal knowledge base: statutes and typical cases, lay-language search, citation checks.

Entry points:

- :class:`legal_kb.service.KnowledgeBase` — the async API the bot, web and documents use
  (search, lookup, check_citations, current_text, articles_for_dispute, similar_cases).
- :func:`legal_kb.imports.ensure_kb` — start-up hook: imports laws.db into an empty KB.
- :func:`legal_kb.cli.add_kb_commands` — ``main.py kb import|import-cases|index|search|cite``.

Layout: ``models`` (tables), ``store`` (all SQL), ``importers/`` (laws.db, documents, cases),
``numerals``/``names``/``citations``/``checks`` (citations and their verdicts), ``segment``/
``query``/``keyword``/``dense``/``index``/``engine`` (search), ``disputes`` (dispute types →
laws), ``similar`` (typical cases), ``batch`` (synchronous engine for CLI and benchmarks),
``statutes`` (the documents' synchronous statute source over laws.db).
"""

import os as _os

# numpy's OpenBLAS threads fight the e5 encoder's OpenMP threads for the two cores (measured:
# hybrid search p50 44-49 ms instead of 24 ms). OpenBLAS reads this when numpy is first
# imported, so it is set here, before any of this package imports numpy; a process that
# imports numpy earlier should set it itself (main.py does it first thing).
_os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
