"""Errors raised before a PDF is produced.

Every check runs before rendering so a caller gets either a whole document or one of these,
never half a document. Messages are for staff and logs; the web and bot layers translate them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from documents.citations import CitationProblem

__all__ = [
    "CitationError",
    "DocumentError",
    "InputTooLargeError",
    "InvalidImageError",
    "MissingFieldsError",
    "StatuteUnavailableError",
    "UnknownDocumentError",
    "UnsupportedLanguageError",
]


class DocumentError(Exception):
    """Base class: the document was not rendered."""


class UnknownDocumentError(DocumentError, KeyError):
    """No template is registered under this key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"unknown document {key!r}")
        self.key = key

    def __str__(self) -> str:
        return str(self.args[0])


class UnsupportedLanguageError(DocumentError):
    """The document has no template in the requested language."""


class MissingFieldsError(DocumentError):
    """Required fields are absent or empty; ``fields`` names each by its dotted path."""

    def __init__(self, key: str, fields: Sequence[str]) -> None:
        self.key = key
        self.fields = tuple(fields)
        super().__init__(f"{key}: missing required field(s): {', '.join(self.fields)}")


class InputTooLargeError(DocumentError, ValueError):
    """A text or list is larger than any real document needs."""


class InvalidImageError(DocumentError, ValueError):
    """A signature image is not a PNG of acceptable size."""


class StatuteUnavailableError(DocumentError):
    """A template quotes an article the statute source cannot supply."""

    def __init__(self, law: str, article_no: str) -> None:
        self.law = law
        self.article_no = article_no
        super().__init__(f"statute text unavailable: 《{law}》{article_no}")


class CitationError(DocumentError):
    """The final text cites something the citation checker could not verify."""

    def __init__(self, key: str, problems: Sequence[CitationProblem]) -> None:
        self.key = key
        self.problems = tuple(problems)
        listed = "; ".join(str(problem) for problem in self.problems)
        super().__init__(f"{key}: unverifiable citation(s): {listed}")
