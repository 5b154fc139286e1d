"""``main.py kb …`` commands, called the way main.py calls them: ``args.func(args, settings)``."""

from __future__ import annotations

import argparse
import asyncio
import io
import json
from pathlib import Path

import pytest

from core.config import Settings
from legal_kb import store
from legal_kb.cli import add_kb_commands
from storage.db import Database
from tests.legal_kb.conftest import FIXTURES


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"

    async def create() -> None:
        db = Database(url)
        await store.create_tables(db)
        await db.dispose()

    asyncio.run(create())
    return Settings(data_dir=tmp_path / "var", database_url=url)


def run(settings: Settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="main.py")
    add_kb_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["kb", *argv])
    code: int = args.func(args, settings)
    return code


def test_import_search_cite(
    settings: Settings, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    excerpt = ["--source", str(FIXTURES / "excerpt.txt"), "--meta", str(FIXTURES / "excerpt.toml")]
    assert run(settings, "import", *excerpt) == 0
    assert "1 added" in capsys.readouterr().err
    assert run(settings, "import", *excerpt) == 0
    assert "1 unchanged" in capsys.readouterr().err

    assert (
        run(settings, "search", "调解纠纷要收取费用吗", "--json", "--top", "2", "--no-dense") == 0
    )
    captured = capsys.readouterr()
    [line] = captured.out.splitlines()
    hits = json.loads(line)
    assert hits[0]["law"] == "人民调解法摘录（测试）" and hits[0]["article_no"] == "第四条"
    assert {"law", "article_no", "score", "text", "highlights", "status"} <= set(hits[0])
    assert "keyword index ready" in captured.err  # built on first use, progress on stderr

    monkeypatch.setattr(
        "sys.stdin", io.StringIO("调解纠纷要收取费用吗\n\n人民调解委员会由谁组成\n")
    )
    assert run(settings, "search", "--json", "--no-dense") == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and json.loads(lines[1]) == []
    assert json.loads(lines[2])[0]["article_no"] in ("第八条", "第七条", "第九条")

    assert run(settings, "search", "调解纠纷要收取费用吗", "--no-dense") == 0
    assert "《人民调解法摘录（测试）》第四条" in capsys.readouterr().out

    assert run(settings, "cite", "《人民调解法摘录（测试）》第四条", "--json") == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["exists"] and verdict["in_force"] and verdict["problem"] is None
    assert run(settings, "cite", "《人民调解法摘录（测试）》第九十条") == 1
    assert "✗" in capsys.readouterr().out


def test_import_error_exit_code(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    code = run(
        settings,
        "import",
        "--source",
        str(FIXTURES / "bad_order.txt"),
        "--meta",
        str(FIXTURES / "excerpt.toml"),
    )
    assert code == 2
    assert "bad_order.txt:7:" in capsys.readouterr().err


def test_import_cases_and_index(
    settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "cases.yaml"
    path.write_text(
        "- title: x\n  dispute_type: nope\n  facts: y\n  outcome: z\n", encoding="utf-8"
    )
    assert run(settings, "import-cases", str(path)) == 2
    assert "cases.yaml:1:" in capsys.readouterr().err
    assert run(settings, "index", "--no-dense") == 1  # nothing imported yet


def test_search_into_a_closed_pipe_stops_quietly(settings: Settings) -> None:
    """``main.py kb search … | head -1``: the reader leaves early; no traceback, exit 141."""
    import contextlib
    import os
    import subprocess
    import sys
    import threading

    excerpt = ["--source", str(FIXTURES / "excerpt.txt"), "--meta", str(FIXTURES / "excerpt.toml")]
    assert run(settings, "import", *excerpt) == 0
    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "DATABASE_URL": settings.database_url,
        "DATA_DIR": str(settings.data_dir),
        "TELEGRAM_BOT_TOKEN": "",
    }
    proc = subprocess.Popen(
        [sys.executable, str(root / "main.py"), "kb", "search", "--json", "--no-dense"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
        cwd=root,
    )
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    stdin = proc.stdin

    def feed() -> None:  # in a thread: the child's answers fill its stdout pipe meanwhile
        with contextlib.suppress(BrokenPipeError):
            stdin.write("调解纠纷要收取费用吗\n".encode() * 20000)
            stdin.close()

    feeder = threading.Thread(target=feed)
    feeder.start()
    assert json.loads(proc.stdout.readline())[0]["article_no"] == "第四条"
    proc.stdout.close()  # the reader leaves while answers are still being written
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 141, err
    feeder.join(timeout=10)
    assert "Traceback" not in err


def test_import_corpus_pack_and_region(
    settings: Settings, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """``kb import --corpus``: idempotent with progress; ``kb pack-corpus`` makes the archive;
    ``kb search --region`` lets a region's local regulations in."""
    from legal_kb.importers import corpus

    root = tmp_path / "legal-corpus"
    files = dict(corpus.iter_files(corpus.ARCHIVE))
    for rel in (
        "司法解释/最高人民法院关于审理民间借贷案件适用法律若干问题的规定(2020-12-29).md",
        "重庆地方性法规/重庆市合同格式条款监督条例(2010-07-30).md",
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(files[rel], encoding="utf-8")
    archive = tmp_path / "corpus.tar.xz"
    assert run(settings, "pack-corpus", str(root), "--out", str(archive)) == 0
    excerpt = ["--source", str(FIXTURES / "excerpt.txt"), "--meta", str(FIXTURES / "excerpt.toml")]
    assert run(settings, "import", *excerpt, "--corpus", str(archive)) == 0
    err = capsys.readouterr().err
    assert "corpus import done: documents: 2 added" in err
    assert "articles" in err  # progress
    assert run(settings, "import", *excerpt, "--corpus", str(archive)) == 0
    assert "corpus unchanged" in capsys.readouterr().err

    question = ["格式条款 监督 管理", "--json", "--top", "10", "--no-dense"]
    assert run(settings, "search", *question, "--region", "四川") == 0
    laws = {h["law"] for h in json.loads(capsys.readouterr().out)}
    assert "重庆市合同格式条款监督条例" not in laws
    assert run(settings, "search", *question, "--region", "重庆") == 0
    laws = {h["law"] for h in json.loads(capsys.readouterr().out)}
    assert "重庆市合同格式条款监督条例" in laws

    assert run(settings, "cite", "民间借贷规定第二十五条") == 0
    assert "现行有效" in capsys.readouterr().out


def test_a_database_never_migrated_gets_told_to_upgrade(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`kb import` on a fresh DATABASE_URL said `no such table: kb_law` in a traceback; now every
    kb command names the command that creates the tables, and following that advice works."""
    from storage.migrate import upgrade

    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    settings = Settings(data_dir=tmp_path / "var", database_url=url)
    excerpt = ["--source", str(FIXTURES / "excerpt.txt"), "--meta", str(FIXTURES / "excerpt.toml")]
    for argv in (["import", *excerpt], ["search", "调解要收费吗", "--no-dense"], ["cite", "x"]):
        assert run(settings, *argv) == 2
        err = capsys.readouterr().err
        assert "数据库尚未初始化" in err and "main.py db upgrade" in err and "kb_law" in err
        assert "Traceback" not in err

    upgrade(url)
    assert run(settings, "import", *excerpt) == 0
    assert "1 added" in capsys.readouterr().err
