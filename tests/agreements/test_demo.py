"""``main.py demo``: a whole mediation without a token writes the court-facing PDFs, and a
治安调解 on a second case its sealed 治安调解协议书."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path

from app.demo import FILES, add_demo_command, run_demo
from documents.pool import RenderPool
from documents.seal import Sealer
from tests.documents.conftest import pdftotext, squash


def test_the_command_is_registered_with_an_output_folder() -> None:
    parser = argparse.ArgumentParser()
    add_demo_command(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["demo", "--out", "/tmp/x"])
    assert args.out == "/tmp/x" and callable(args.func)
    assert parser.parse_args(["demo"]).out == "demo-output"


async def test_demo_writes_the_pdfs(tmp_path: Path, render_pool: RenderPool, seal: Sealer) -> None:
    lines: list[str] = []
    out = tmp_path / "demo-output"
    result = await run_demo(out, pool=render_pool, sealer=seal, echo=lines.append)
    assert set(result.files) == set(FILES)
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES.values())
    text = {key: squash(pdftotext(path)) for key, path in result.files.items()}
    assert (
        "人民调解申请书" in text["mediation_application"]
        and "王建国" in text["mediation_application"]
    )
    assert "调解笔录" in text["mediation_record"] and "愿意分期" in text["mediation_record"]
    # The record the parties checked, saying so (issue 18), and the application's clauses.
    assert "经核对无误" in text["mediation_record"] and "尚待" not in text["mediation_record"]
    assert "第1条" in text["judicial_confirmation_application"]
    assert "人民调解协议书" in text["mediation_agreement"]
    assert "李秀兰（电子签名）" in text["mediation_agreement"]
    assert "司法确认申请书" in text["judicial_confirmation_application"]
    # The court-facing papers identify each person in full (民诉法解释 第三百五十四条).
    for court_paper in ("mediation_agreement", "judicial_confirmation_application"):
        for person in (
            "王建国，男，1974年3月12日出生，汉族，职员，公民身份号码：",
            "李秀兰，女，1979年6月20日出生，汉族，个体工商户，",
        ):
            assert person in text[court_paper], (court_paper, person)
    assert "公民身份号码" not in text["mediation_application"]  # other papers do not
    assert result.files["mediation_agreement"].read_bytes().count(b"/ByteRange") == 1
    # Each signature's evidence on the sealed agreement's last page (issue 18, item 8).
    assert "签署存证" in text["mediation_agreement"]
    assert "Telegram小程序签署页" in text["mediation_agreement"]
    assert "initData哈希" in text["mediation_agreement"]
    # 治安调解: issued and sealed by the police unit, signed on paper (issue 18, item 6).
    police = text["police_agreement"]
    assert "示范市公安局示范区分局示范派出所治安调解协议书" in police
    assert "违法嫌疑人：李秀兰" in police and "被侵害人：王建国" in police
    assert "人民调解委员会" not in police and "签署存证" in police
    assert "纸质原件，扫描件经陈警官核对与本版本一致" in police
    assert result.files["police_agreement"].read_bytes().count(b"/ByteRange") == 1
    assert any("核验页面" in line and "OK" in line for line in lines)
    temporary = next(line.split(": ", 1)[1] for line in lines if "temporary data directory" in line)
    assert not await asyncio.to_thread(Path(temporary).exists)  # only the PDFs are left
