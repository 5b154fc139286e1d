"""Voice in a grid worker's ``/report`` (issue 24) through the stand-in Bot API, on SQLite and
PostgreSQL: a voice note is kept as evidence and goes through the voice pipeline — its
transcript comes back with its confidence (a doubtful one flagged) and 确认/修改, and only the
confirmed or corrected text joins the registered facts, marked as transcribed (or as typed,
when corrected); spoken at "what happened" it answers that question. Without a model the
recording is kept and the reporter is asked to type.

The speech is espeak-ng's Mandarin (tests.voice.conftest.voice_note); the decoder's answers are
replayed (tests.voice.conftest.ReplayWorker: the real backend's screening over recorded decoder
outputs) — how well the model hears is the ``asr`` tests' and the benchmark's subject.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from features.voice.models import VoiceTranscript, VoiceTranscriptVersion
from harness.steps import link_staff, walk_steps
from standin import StandinBotAPI
from standin.simulation import SimUser
from storage.models import Case, Evidence
from tests.e2e.harness import assert_quiet, running_service, texts
from tests.voice.conftest import ReplayWorker, Seg, voice_note
from tests.voice.test_voice_consent import replay
from tests.voice.test_voice_room import case_and_recordings, voice_idle

UNITS = Path(__file__).resolve().parents[1] / "street" / "units_lawyer.toml"
CORRECTED = "楼上每天晚上都很吵，已经吵了三个月。"


# The grid worker's report as (action, argument, markers) steps (harness.steps.walk_steps);
# "" reads a reply without checking it.
TO_FACTS = [
    ("command", "/report", ["", ""]),
    ("press", "邻里纠纷", ["发生在哪里"]),
    ("text", "渝北区悦来街道 3 栋", ["发生了什么"]),
]
# From "who is involved" to the evidence step: one named applicant, an unknown respondent.
PARTIES = [
    ("press", "跳过", ["警情号"]),
    ("press", "跳过", ["哪一方"]),
    ("press", "申请方", [""]),
    ("text", "张 秀 英", [""]),
    ("text", "138 0000 1111", ["", ""]),
    ("press", "被申请方", [""]),
    ("text", "不知道", [""]),
    ("press", "跳过", ["", ""]),
    ("press", "当事人登记完毕", ["现场照片"]),
]


async def to_facts(grid: SimUser) -> None:
    await walk_steps(grid, TO_FACTS)


async def parties(grid: SimUser) -> None:
    await walk_steps(grid, PARTIES)


async def test_spoken_facts_checked_by_the_reporter_join_the_record(
    tmp_path: Path, database_url: str | None
) -> None:
    noise = voice_note(tmp_path, "noise").read_bytes()
    window = voice_note(tmp_path, "window").read_bytes()
    async with StandinBotAPI() as standin:
        async with running_service(
            standin, tmp_path / "var", database_url, UNITS_FILE=str(UNITS)
        ) as rt:
            service = replay(
                rt,
                ReplayWorker(
                    # At "what happened": heard, but unsure.
                    [[Seg("楼上每天晚上都很吵。", -0.9, 0.05)]],
                    # Among the evidence: heard clearly.
                    [[Seg("他把我家的窗户打破了。", -0.05, 0.02)]],
                ),
            )
            grid = await link_staff(rt, standin, "wangge", 7401, role="grid", unit_code="yuelai-sq")
            await to_facts(grid)

            # Spoken at "what happened": kept, transcribed, flagged as doubtful; corrected.
            await grid.send_voice(noise, duration=3)
            notice, again = await texts(grid, 2)
            assert "语音已作为证据保存，正在转写" in notice and "发生了什么" in again
            (shown,) = await grid.wait_for_messages(1)
            text = shown.text or ""
            assert "楼上每天晚上都很吵。" in text and "识别可能不准确" in text
            assert "记入纠纷经过" in text
            assert [label for label, _ in shown.buttons] == ["确认", "修改"]
            await grid.press("修改", shown)
            (edit,) = await texts(grid, 1)
            assert "修改后的完整文字" in edit and "楼上每天晚上都很吵。" in edit
            await grid.send_text("吵")
            assert "太短" in (await texts(grid, 1))[0]  # still correcting
            await grid.send_text(CORRECTED)
            done, involved = await texts(grid, 2)
            assert "已记入纠纷经过" in done and "涉及哪些人" in involved
            await parties(grid)

            # Among the evidence: heard clearly, confirmed as it is.
            await grid.send_voice(window, duration=3)
            notice, again = await texts(grid, 2)
            assert "正在转写" in notice and "现场照片" in again
            (shown,) = await grid.wait_for_messages(1)
            assert "识别可信度" in (shown.text or "")
            assert "识别可能不准确" not in (shown.text or "")
            await grid.press("确认", shown)
            done, again = await texts(grid, 2)
            assert "已记入纠纷经过" in done and "现场照片" in again
            await grid.press("确认", shown)
            repeated, again = await texts(grid, 2)
            assert "已经确认过" in repeated

            await grid.press("下一步")
            (summary,) = await texts(grid, 1)
            assert f"经过：（本人输入）{CORRECTED}\n（语音转写）他把我家的窗户打破了。" in summary
            assert "证据：2 个" in summary
            await grid.press("✅ 确认登记")
            registered = await texts(grid, 5)  # the case, each party's invitation and QR code
            assert "登记成功" in registered[0] and "张秀英" in registered[1]
            await voice_idle(rt)
            await service.idle()

            case, evidence, rows = await case_and_recordings(rt)
            async with rt.db.read() as s:
                versions = (
                    await s.execute(
                        select(
                            VoiceTranscriptVersion.transcript_id,
                            VoiceTranscriptVersion.source,
                            VoiceTranscriptVersion.text,
                        ).order_by(VoiceTranscriptVersion.id)
                    )
                ).all()
            assert case.source == "street"
            assert case.facts == f"（本人输入）{CORRECTED}\n（语音转写）他把我家的窗户打破了。"
            # Both recordings are the case's evidence; the machine's text stays on record.
            assert [(e.kind, e.case_id) for e in evidence] == [("voice", case.id)] * 2
            assert [(r.status, r.step, r.case_id) for r in rows] == [
                ("confirmed", "report:facts", case.id),
                ("confirmed", "report:evidence", case.id),
            ]
            assert [e.file_ref for e in evidence] == [r.file_ref for r in rows]
            for ev, row, ogg in zip(evidence, rows, (noise, window), strict=True):
                assert row.stored_path and ev.stored_path == row.stored_path
                assert await rt.files.get(row.stored_path) == ogg
            assert rows[0].confidence is not None and rows[0].confidence < 0.6
            assert versions == [
                (rows[0].id, "asr", "楼上每天晚上都很吵。"),
                (rows[0].id, "speaker", CORRECTED),
                (rows[1].id, "asr", "他把我家的窗户打破了。"),
            ]
            await assert_quiet(grid)


async def test_without_a_model_the_recording_is_kept_and_the_facts_typed(tmp_path: Path) -> None:
    ogg = voice_note(tmp_path, "noise").read_bytes()
    async with StandinBotAPI() as standin:
        async with running_service(standin, tmp_path / "var", UNITS_FILE=str(UNITS)) as rt:
            grid = await link_staff(rt, standin, "wangge", 7402, role="grid", unit_code="yuelai-sq")
            await to_facts(grid)
            await grid.send_voice(ogg, duration=3)
            notice, again = await texts(grid, 2)
            assert "暂时无法把语音转成文字" in notice and "直接输入文字" in notice
            assert "发生了什么" in again
            await grid.send_text("楼上每天晚上都很吵，两家在楼道争吵。")
            assert "涉及哪些人" in (await texts(grid, 1))[0]
            await parties(grid)
            await grid.press("下一步")
            (summary,) = await texts(grid, 1)
            assert "经过：楼上每天晚上都很吵，两家在楼道争吵。\n" in summary
            assert "语音转写" not in summary and "证据：1 个" in summary
            await grid.press("✅ 确认登记")
            assert "登记成功" in (await texts(grid, 1))[0]
            await voice_idle(rt)
            async with rt.db.read() as s:
                case = (await s.execute(select(Case))).scalar_one()
                t = (await s.execute(select(VoiceTranscript))).scalar_one()
                kinds = (await s.execute(select(Evidence.kind))).scalars().all()
            assert case.facts == "楼上每天晚上都很吵，两家在楼道争吵。"
            assert (t.status, t.step, t.case_id) == ("unavailable", "report:facts", case.id)
            assert await rt.files.get(t.stored_path or "") == ogg
            assert list(kinds) == ["voice"]
