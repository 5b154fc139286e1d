"""Importing statute documents: every format, metadata, idempotence, atomicity, errors."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest
from sqlalchemy import func, select

from legal_kb import store
from legal_kb.importers import ImportFormatError
from legal_kb.importers.documents import read_document
from legal_kb.importers.lawsdb import default_path, read_laws_db
from legal_kb.imports import import_laws
from legal_kb.models import KbArticle, KbLaw
from storage.db import Database
from tests.legal_kb.conftest import FIXTURES

META = FIXTURES / "excerpt.toml"


@pytest.fixture(scope="module")
def source_articles() -> list[tuple[str, str]]:
    """(article_no, text) of the excerpt's articles as laws.db has them."""
    [(_, articles)] = read_laws_db(default_path(), ["中华人民共和国人民调解法"])
    return [(a.article_no, a.text) for a in articles[:9]]


def _docx_from_txt(target: Path) -> Path:
    document = docx.Document()
    for line in (FIXTURES / "excerpt.txt").read_text(encoding="utf-8").splitlines():
        document.add_paragraph(line)
    document.save(str(target))
    return target


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html", ".docx"])
def test_each_format_gives_the_same_articles(
    suffix: str, tmp_path: Path, source_articles: list[tuple[str, str]]
) -> None:
    if suffix == ".docx":
        path = _docx_from_txt(tmp_path / "excerpt.docx")
    else:
        path = FIXTURES / f"excerpt{suffix}"
    law, articles = read_document(path, META)
    assert law.name == "人民调解法摘录（测试）"
    assert law.kind == "其他"
    assert str(law.effective_date) == "2011-01-01"
    assert [(a.article_no, a.text) for a in articles] == source_articles
    assert articles[0].chapter == "第一章 总则"
    assert articles[-1].chapter == "第二章 人民调解委员会"
    assert articles[2].text.count("\n") == 3  # 第三条: intro + three items


def test_sidecar_metadata_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "excerpt.txt"
    shutil.copy(FIXTURES / "excerpt.txt", path)
    shutil.copy(META, tmp_path / "excerpt.toml")
    law, _ = read_document(path, overrides={"status": "已废止", "kind": "地方性法规"})
    assert (law.status, law.kind, law.issuing_body) == (
        "已废止",
        "地方性法规",
        "全国人民代表大会常务委员会",
    )


def test_missing_metadata_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "plain.txt"
    shutil.copy(FIXTURES / "excerpt.txt", path)
    with pytest.raises(ImportFormatError, match=r"plain\.txt.*name"):
        read_document(path)


def test_bad_numbering_names_file_and_line() -> None:
    with pytest.raises(ImportFormatError) as info:
        read_document(FIXTURES / "bad_order.txt", META)
    assert info.value.line == 7
    assert str(info.value).startswith(f"{FIXTURES / 'bad_order.txt'}:7:")
    assert "第三条" in str(info.value)


async def _counts(db: Database) -> tuple[int, int]:
    async with db.read() as session:
        laws = (await session.execute(select(func.count()).select_from(KbLaw))).scalar_one()
        arts = (await session.execute(select(func.count()).select_from(KbArticle))).scalar_one()
    return laws, arts


async def test_reimport_is_idempotent_and_updates(kb_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "excerpt.txt"
    shutil.copy(FIXTURES / "excerpt.txt", path)
    first = await import_laws(kb_db, [path], META)
    assert (first.added, first.articles) == (1, 9)
    async with kb_db.read() as session:
        version = await store.get_content_version(session)
    again = await import_laws(kb_db, [path], META)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 1)
    async with kb_db.read() as session:
        assert await store.get_content_version(session) == version
    assert await _counts(kb_db) == (1, 9)
    # Dropping the last article (第九条) is a change: the new content replaces the old.
    lines = path.read_text(encoding="utf-8").splitlines()
    cut = next(i for i, line in enumerate(lines) if line.startswith("第九条"))
    path.write_text("\n".join(lines[:cut]) + "\n", encoding="utf-8")
    changed = await import_laws(kb_db, [path], META)
    assert changed.updated == 1
    assert await _counts(kb_db) == (1, 8)
    async with kb_db.read() as session:
        assert await store.get_content_version(session) != version


async def test_failure_leaves_nothing(kb_db: Database) -> None:
    with pytest.raises(ImportFormatError, match=r"bad_order\.txt:7"):
        await import_laws(kb_db, [FIXTURES / "excerpt.txt", FIXTURES / "bad_order.txt"], META)
    assert await _counts(kb_db) == (0, 0)


async def test_database_error_rolls_back(kb_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    calls = 0
    original = store.bump_content_version

    async def failing(session: object) -> str:
        nonlocal calls
        calls += 1
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "bump_content_version", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        await import_laws(kb_db, [FIXTURES / "excerpt.txt"], META)
    assert calls == 1
    assert await _counts(kb_db) == (0, 0)
    monkeypatch.setattr(store, "bump_content_version", original)
