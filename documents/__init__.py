"""Documents of a people's mediation: templates, PDF rendering, the committee's seal.

Public API (imported lazily so the render workers, which import :mod:`documents.worker`,
do not pay for Jinja, cryptography or pyHanko)::

    RenderPool(workers, *, statutes, checker=None)    await .start() / .render(key, ctx) / .close()
    Sealer.from_directory(key_dir, organisation=…)    await .seal(pdf, reason=…, location=…)
    verify(pdf, trusted=[cert_pem]) -> VerifyResult  (verify_async inside an event loop)
    make_verify_link(public_url, doc_id) -> VerifyLink
    get_spec(key), document_keys(), load_sample(key), missing_fields(spec, ctx), validate(…)
    to_capital(amount), format_amount(amount)
    clauses_for(dispute_type), fill(clause, values), DISPUTE_TYPES
    version_hash(content), SignatureRecord, effectiveness(version, party_ids, records)
    StatuteSource, CitationChecker, CitationProblem, LawRef
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "RenderPool": "documents.pool",
    "RenderTimeoutError": "documents.pool",
    "DocumentRenderer": "documents.render",
    "PreparedDocument": "documents.render",
    "Sealer": "documents.seal",
    "verify": "documents.verify",
    "verify_async": "documents.verify",
    "VerifyResult": "documents.verify",
    "VerifyStatus": "documents.verify",
    "VerifyLink": "documents.verify",
    "make_verify_link": "documents.verify",
    "key_matches": "documents.verify",
    "DocumentSpec": "documents.registry",
    "get_spec": "documents.registry",
    "document_keys": "documents.registry",
    "load_sample": "documents.registry",
    "missing_fields": "documents.registry",
    "validate": "documents.registry",
    "to_capital": "documents.amounts",
    "format_amount": "documents.amounts",
    "parse_amount": "documents.amounts",
    "DISPUTE_TYPES": "documents.clauses",
    "Clause": "documents.clauses",
    "clauses_for": "documents.clauses",
    "fill": "documents.clauses",
    "StatuteSource": "documents.citations",
    "CitationChecker": "documents.citations",
    "CitationProblem": "documents.citations",
    "StatuteCitationChecker": "documents.citations",
    "LawRef": "documents.citations",
    "DocumentError": "documents.errors",
    "MissingFieldsError": "documents.errors",
    "CitationError": "documents.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'documents' has no attribute {name!r}")
    return getattr(import_module(module), name)
