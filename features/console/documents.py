"""The documents area of a case page, behind a small interface.

The documents package (templates, rendering, seals) does not store per-case documents yet, so
the console is given a :class:`DocumentStore` and, until one is wired, uses
:class:`NoDocuments`, which honestly has none: the page says "no documents yet" rather than
showing invented entries. Downloads go through the console (``/staff/cases/{id}/documents/
{doc}``) so that each one is checked against the staff member's units and audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from storage.files import FileStore


@dataclass(frozen=True)
class DocumentItem:
    id: str
    title: str
    kind: str
    created_at: datetime
    sealed: bool = False
    verify_url: str | None = None


@dataclass(frozen=True)
class DocumentFile:
    """A document to send: its key in ``files`` (storage.files), served by web.files.serve."""

    filename: str
    content_type: str
    key: str
    files: FileStore
    size: int | None = None


class DocumentStore(Protocol):
    async def list_for_case(self, case_id: int) -> Sequence[DocumentItem]: ...

    async def open(
        self, case_id: int, document_id: str, *, actor: str = "console"
    ) -> DocumentFile | None:
        """The file, with ``actor`` (``staff:<id>``) recorded in the store's download log."""
        ...


class NoDocuments:
    """The store used until the documents package is wired in: there are no documents."""

    async def list_for_case(self, case_id: int) -> Sequence[DocumentItem]:
        return []

    async def open(
        self, case_id: int, document_id: str, *, actor: str = "console"
    ) -> DocumentFile | None:
        return None
