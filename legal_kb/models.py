"""Tables of the legal knowledge base (prefix ``kb_``), on the project's shared declarative base.

Why in the main database: statutes, their status and typical cases are the record of truth that
citation checks rely on; search indexes under ``DATA_DIR/kb`` are only caches derived from these
rows and are rebuilt whenever ``kb_meta.content_version`` changes.

- ``kb_law``: one row per document *version* (a law and its historical version are two rows),
  identified by ``key`` (laws.db's ``law_id`` or a key derived from the imported document).
- ``kb_article``: the articles of a law in order (``seq``), with the number as written
  (``article_no``: 第一千零八十四条) and parsed (``number`` 1084, ``suffix`` 1 for 之一).
- ``kb_case``: typical cases (典型案例) with the dispute type and the citations they rely on.
- ``kb_meta``: small key/value facts, e.g. the content version.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.base import Base, utcnow

#: Status values as laws.db writes them; imported documents use the same vocabulary.
STATUS_IN_FORCE = "现行有效"
STATUS_AMENDED = "已被修改"
STATUS_REPEALED = "已废止"
STATUS_HISTORICAL = "历史版本"
STATUS_NOT_YET = "尚未生效"
#: Not known to be repealed, but the base has reason to doubt it (an interpretation of 2020 or
#: earlier that rests only on laws the 民法典 repealed, while the court's repeal decision of
#: 2020-12-29 is not in the corpus): quoted with this status and a note, never as plain 现行有效.
STATUS_UNVERIFIED = "效力待核实"
#: Statuses under which an article is the law that applies (已被修改: in force, later amended;
#: 效力待核实: applies as far as the base knows, shown with its doubt).
IN_FORCE_STATUSES = frozenset({STATUS_IN_FORCE, STATUS_AMENDED, STATUS_UNVERIFIED})


class KbLaw(Base):
    """A law, judicial interpretation, regulation… in one version."""

    __tablename__ = "kb_law"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    name: Mapped[str] = mapped_column(String(300), index=True)
    #: 宪法, 法律, 立法解释, 修正案, 修改决定, 司法解释, 行政法规, 地方性法规, 部门规章 …
    kind: Mapped[str] = mapped_column(String(40))
    issuing_body: Mapped[str | None] = mapped_column(String(200))
    department: Mapped[str | None] = mapped_column(String(60))
    publish_date: Mapped[date | None] = mapped_column(Date)
    effective_date: Mapped[date | None] = mapped_column(Date)
    version_date: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), index=True)
    #: Where it came from: "laws.db" or the imported file's name.
    source: Mapped[str] = mapped_column(String(300))
    #: Region of a local regulation (地方性法规: "重庆"); NULL for national law.
    region: Mapped[str | None] = mapped_column(String(40))
    #: Why the status is what it is ("已被2022-04-10的版本取代", "已被《…》废止"), for people.
    note: Mapped[str | None] = mapped_column(String(500))
    #: Hash of the metadata and articles as imported: an unchanged re-import writes nothing.
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KbArticle(Base):
    """One article (条) of a law version, with its place in the structure."""

    __tablename__ = "kb_article"
    __table_args__ = (
        UniqueConstraint("law_id", "seq", name="uq_kb_article_law_seq"),
        Index("ix_kb_article_law_number", "law_id", "number", "suffix"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    law_id: Mapped[int] = mapped_column(ForeignKey("kb_law.id", ondelete="CASCADE"))
    #: Position in the law (0-based), which keeps the order of unnumbered items too.
    seq: Mapped[int] = mapped_column(Integer)
    #: As written in the law: 第一千零八十四条, 第一百二十条之一 (or a heading such as 条目一).
    article_no: Mapped[str] = mapped_column(String(40))
    number: Mapped[int | None] = mapped_column(Integer)
    #: 之一 → 1, 之二 → 2; 0 for a plain article.
    suffix: Mapped[int] = mapped_column(Integer, default=0)
    chapter: Mapped[str | None] = mapped_column(String(300))
    section: Mapped[str | None] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))


class KbCase(Base):
    """A typical case (典型案例) used to show how similar disputes were resolved."""

    __tablename__ = "kb_case"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    title: Mapped[str] = mapped_column(String(500))
    dispute_type: Mapped[str] = mapped_column(String(40), index=True)
    facts: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(Text)
    #: Citation strings as given (e.g. "《民法典》第一千零八十四条").
    citations: Mapped[list[Any]] = mapped_column(default=list)
    #: The court's reasoning (案例分析, 典型意义 …); empty when the source has none.
    analysis: Mapped[str] = mapped_column(Text, default="")
    #: Citations found in the case that the knowledge base could not verify (with the reason).
    unverified: Mapped[list[Any]] = mapped_column(default=list)
    source: Mapped[str | None] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class KbMeta(Base):
    """Key/value facts about the knowledge base (e.g. ``content_version``)."""

    __tablename__ = "kb_meta"

    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
