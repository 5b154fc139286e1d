"""What each document is: its template, title, required fields, legal basis and sample.

A :class:`DocumentSpec` is data, so the web console can list documents, show which fields a
form must collect, and check a context before the (comparatively slow) PDF rendering. The specs
themselves live in :mod:`documents.catalog`.

Required fields are dotted paths into the context. ``parties[].name`` means "the list
``parties`` is not empty and every item has a non-empty ``name``"; a missing item is reported
with its index (``parties[1].name``) so a form can point at the right box.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from documents.citations import LawRef
from documents.errors import MissingFieldsError, UnknownDocumentError

__all__ = [
    "Condition",
    "DocumentSpec",
    "document_keys",
    "get_spec",
    "load_sample",
    "missing_fields",
    "resolve",
    "validate",
]


@dataclass(frozen=True, slots=True)
class Condition:
    """Fields required only when ``path`` equals ``equals`` (e.g. the reason mediation failed)."""

    path: str
    equals: Any
    required: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DocumentSpec:
    """One document type.

    ``laws`` are the articles the document rests on (printed as its legal basis when
    ``print_basis``); ``quotes`` are articles whose text the document prints, supplied at render
    time by a :class:`~documents.citations.StatuteSource` under ``statutes[<article_no>]``.
    """

    key: str
    title: str
    required: tuple[str, ...]
    laws: tuple[LawRef, ...]
    sample: str
    quotes: tuple[LawRef, ...] = ()
    conditional: tuple[Condition, ...] = ()
    min_items: tuple[tuple[str, int], ...] = ()
    print_basis: bool = True
    title_en: str = ""
    stylesheets: tuple[str, ...] = field(default=("base.css",))

    @property
    def template(self) -> str:
        return f"{self.key}.html"

    @property
    def printed_laws(self) -> tuple[LawRef, ...]:
        """References that may appear in machine-checked text (those the base holds)."""
        return tuple(ref for ref in self.laws if ref.in_base)

    def printed_for(self, context: Mapping[str, Any]) -> tuple[LawRef, ...]:
        """The printed references that apply to this context (see ``LawRef.when``)."""
        return tuple(r for r in self.printed_laws if not r.when or context.get(r.when))

    def all_required(self, context: Mapping[str, Any]) -> tuple[str, ...]:
        """Required paths for this context, including those of matching conditions."""
        paths = list(self.required)
        for condition in self.conditional:
            values = [value for _, value in resolve(context, condition.path)]
            if values and values[0] == condition.equals:
                paths.extend(condition.required)
        return tuple(paths)


def _is_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, Sequence | Mapping):
        return len(value) == 0
    return False


def resolve(context: Mapping[str, Any], path: str) -> list[tuple[str, Any]]:
    """Expand ``path`` against ``context`` into ``(concrete_path, value)`` pairs.

    A missing key yields its path with value ``None``; ``[]`` over an empty or absent list
    yields the list's own path with ``None`` (the list itself is what is missing).
    """
    # Each entry: (concrete path, value, final); a missing list is final and stops descent.
    results: list[tuple[str, Any, bool]] = [("", context, False)]
    for part in path.split("."):
        expand = part.endswith("[]")
        name = part.removesuffix("[]")
        step: list[tuple[str, Any, bool]] = []
        for prefix, node, final in results:
            if final:
                step.append((prefix, node, final))
                continue
            here = f"{prefix}.{name}" if prefix else name
            value = node.get(name) if isinstance(node, Mapping) else None
            if not expand:
                step.append((here, value, False))
            elif not isinstance(value, Sequence) or isinstance(value, str) or not value:
                step.append((here, None, True))
            else:
                step.extend((f"{here}[{i}]", item, False) for i, item in enumerate(value))
        results = step
    return [(concrete, value) for concrete, value, _ in results]


def missing_fields(spec: DocumentSpec, context: Mapping[str, Any]) -> list[str]:
    """Concrete paths of required fields that are absent or empty, in declaration order."""
    missing: list[str] = []
    for path in spec.all_required(context):
        for concrete, value in resolve(context, path):
            if _is_empty(value) and concrete not in missing:
                missing.append(concrete)
    for path, minimum in spec.min_items:
        values = [value for _, value in resolve(context, path)]
        count = len(values[0]) if values and isinstance(values[0], Sequence) else 0
        if count < minimum:
            missing.append(f"{path}[{count}]")
    return missing


def validate(spec: DocumentSpec, context: Mapping[str, Any]) -> None:
    """Raise :class:`MissingFieldsError` naming every missing field; return if all present."""
    missing = missing_fields(spec, context)
    if missing:
        raise MissingFieldsError(spec.key, missing)


def get_spec(key: str) -> DocumentSpec:
    """The spec registered under ``key``."""
    from documents.catalog import CATALOG

    try:
        return CATALOG[key]
    except KeyError:
        raise UnknownDocumentError(key) from None


def document_keys() -> tuple[str, ...]:
    """All registered keys, in catalogue order."""
    from documents.catalog import CATALOG

    return tuple(CATALOG)


def load_sample(key: str) -> dict[str, Any]:
    """The made-up sample context of a document (``documents/samples/<sample>``)."""
    spec = get_spec(key)
    text = resources.files("documents").joinpath("samples", spec.sample).read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data
