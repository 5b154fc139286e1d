"""Who may issue a 人民调解协议书 (issue 18, item 6), through the stand-in Bot API: a 派出所's
驻所调解室 issues through the 人民调解委员会 its configuration names (the preview PDF, checked by its
text, is that committee's), and a station that names none cannot draft one at all."""

from __future__ import annotations

from pathlib import Path

from documents.pool import RenderPool
from documents.seal import Sealer
from harness.steps import choose_outcome
from tests.agreements.flow import agreement_room, draft_first_version
from tests.agreements.harness import police_units_file, wait_file, wait_text
from tests.documents.conftest import pdftotext, squash

STATION = "示范派出所驻所调解室"


async def test_a_police_station_issues_through_its_committee(
    tmp_path: Path, render_pool: RenderPool, seal: Sealer, database_url: str | None
) -> None:
    units = police_units_file(tmp_path, STATION, "示范派出所", committee=True)
    room = agreement_room(database_url, tmp_path, render_pool, seal, 7900, UNITS_FILE=units)
    async with room as (_runtime, applicant, _respondent, mediator):
        await draft_first_version(mediator)
        preview = await wait_file(applicant, timeout=60)
        path = tmp_path / "preview.pdf"
        path.write_bytes(preview.file or b"")
        words = squash(pdftotext(path))
        assert "示范街道人民调解委员会（印章）" in words
        assert "派出所" not in words


async def test_a_station_without_a_committee_cannot_draft(
    tmp_path: Path, render_pool: RenderPool, seal: Sealer
) -> None:
    units = police_units_file(tmp_path, STATION, "示范派出所", committee=False)
    room = agreement_room(None, tmp_path, render_pool, seal, 7950, UNITS_FILE=units)
    async with room as (_runtime, _applicant, _respondent, mediator):
        await choose_outcome(mediator, "📝 制作书面协议书")
        refused = await wait_text(mediator, "不是人民调解委员会")
        assert "示范派出所驻所调解室" in (refused.text or "")
