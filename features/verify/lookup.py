"""Finding the sealed document a verification link names: the page's one use case.

The link carries the document's public id and a key whose SHA-256 the document row keeps; a
wrong or missing key finds nothing, exactly like an unknown id, so the page tells a guesser
nothing about which documents exist.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy import select

from storage.db import Database
from storage.document_models import Document

#: Public ids are 32 characters at most; a longer one is cut, not looked up as given.
PUBLIC_ID_LENGTH = 32


async def find_document(db: Database, public_id: str, key: str) -> Document | None:
    async with db.read() as session:
        doc = (
            await session.execute(
                select(Document).where(Document.public_id == public_id[:PUBLIC_ID_LENGTH])
            )
        ).scalar_one_or_none()
    if doc is None or not doc.verify_key_digest or not key:
        return None
    given = hashlib.sha256(key.encode()).hexdigest()
    return doc if hmac.compare_digest(given, doc.verify_key_digest) else None
