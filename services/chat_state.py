"""Typed per-chat state: each key of a chat's conversation state with the type it holds.

A chat's state is stored as JSON (the ``conversations`` table), so that any replica can take the
next update. Handlers used to read and write it as loose dictionaries keyed by ``"kind"``; a
:class:`Slot` names one key and the dataclasses it may hold, so a handler gets back the value it
stored (``turn.get(SLOT)``) and a mistyped field is a type error, not a silent ``None``.

Variant slots (a feature waiting for one of several inputs) hold one of several dataclasses, each
with a ``KIND`` tag; a stored value that no longer decodes (an older shape, a field missing) reads
as ``None``: the wait is over and the person is asked again, rather than a handler crashing.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

if TYPE_CHECKING:
    from _typeshed import DataclassInstance


@dataclass(frozen=True)
class Variant:
    """Base of the dataclasses a variant slot holds; each subclass sets its ``KIND`` tag."""

    KIND: ClassVar[str] = ""
    #: The key that names the variant in the stored object.
    TAG: ClassVar[str] = "kind"

    def to_json(self) -> dict[str, Any]:
        return {self.TAG: self.KIND, **dataclasses.asdict(self)}


T = TypeVar("T")
V = TypeVar("V", bound=Variant)


@dataclass(frozen=True)
class Slot(Generic[T]):
    key: str
    decode: Callable[[Any], T]
    encode: Callable[[T], Any]

    def read(self, state: Mapping[str, Any]) -> T | None:
        raw = state.get(self.key)
        if raw is None:
            return None
        try:
            return self.decode(raw)
        except (KeyError, TypeError, ValueError):
            return None


def variant_slot(key: str, *kinds: type[V]) -> Slot[V]:
    """A slot holding one of ``kinds``, stored as ``{"kind": KIND, **fields}``: the shape the
    state has always had."""
    by_kind: dict[str, type[V]] = {}
    tags = {cls.TAG for cls in kinds}
    if len(tags) != 1:
        raise ValueError(f"{key}: the variants name their kind under different keys {tags}")
    (tag,) = tags
    for cls in kinds:
        if not cls.KIND or cls.KIND in by_kind:
            raise ValueError(f"{key}: kind {cls.KIND!r} missing or twice")
        by_kind[cls.KIND] = cls

    def decode(raw: Any) -> V:
        if not isinstance(raw, Mapping):
            raise TypeError(f"{key}: not an object")
        return _build(by_kind[str(raw[tag])], raw)

    return Slot(key, decode, lambda value: value.to_json())


R = TypeVar("R", bound="DataclassInstance")


def record_slot(key: str, cls: type[R]) -> Slot[R]:
    """A slot holding one dataclass, stored as its fields."""

    def decode(raw: Any) -> R:
        if not isinstance(raw, Mapping):
            raise TypeError(f"{key}: not an object")
        return _build(cls, raw)

    return Slot(key, decode, dataclasses.asdict)


def _build(cls: type[R], raw: Mapping[str, Any]) -> R:
    names = {f.name for f in dataclasses.fields(cls)}
    return cls(**{k: v for k, v in raw.items() if k in names})


def id_slot(key: str) -> Slot[int]:
    """A slot holding one row id (a transcript, a consultation)."""

    def decode(raw: Any) -> int:
        if isinstance(raw, bool) or not isinstance(raw, int | str):
            raise TypeError(f"{key}: not an id")
        return int(raw)

    return Slot(key, decode, lambda value: value)


def texts_slot(key: str) -> Slot[list[str]]:
    """A slot holding a list of strings (the citations last shown, in order)."""

    def decode(raw: Any) -> list[str]:
        if not isinstance(raw, list):
            raise TypeError(f"{key}: not a list")
        return [str(item) for item in raw]

    return Slot(key, decode, list)


def text_slot(key: str) -> Slot[str]:
    """A slot holding one string."""
    return Slot(key, lambda raw: raw if isinstance(raw, str) else _refuse(key), lambda v: v)


def flag_slot(key: str) -> Slot[bool]:
    """A slot that is set (True) or absent."""
    return Slot(key, lambda raw: raw is True or _refuse(key), lambda v: v)


def _refuse(key: str) -> Any:
    raise TypeError(f"{key}: not the stored type")
