"""After filing, the party is shown the most relevant articles and typical cases (issue 4)."""

from __future__ import annotations

from pathlib import Path

from legal_kb.importers.lawsdb import default_path, read_laws_db
from standin import StandinBotAPI
from tests.e2e.harness import assert_quiet, running_service, texts
from tests.e2e.test_intake import walk_intake
from tests.lawyers.conftest import SUBSET, prepare_database


async def test_relevant_law_follows_the_new_case(tmp_path: Path) -> None:
    var = tmp_path / "var"
    await prepare_database(var, read_laws_db(default_path(), SUBSET))
    async with StandinBotAPI() as standin:
        async with running_service(standin, var) as runtime:
            kb = runtime.shared.kb
            assert kb is not None
            assert kb.status().keyword_ready
            applicant = standin.user(9901, phone="+8613800009901")
            await walk_intake(applicant)  # a wage dispute
            (hints,) = await texts(applicant, 1)
            assert "与您的纠纷相关的法律规定" in hints
            assert "《劳动" in hints  # 劳动法 / 劳动合同法 articles for unpaid wages
            assert "建筑工人追讨拖欠工资" in hints  # the similar typical case
            assert "不是法律意见" in hints
            for line in hints.splitlines():
                if line.startswith("· 《"):
                    check = await kb.lookup(line[2:].split("：", 1)[0])
                    assert check is not None and check.exists and check.in_force, line
            await assert_quiet(applicant)
