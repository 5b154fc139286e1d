"""Recording a voice answer in the browser chat, in real headless Chromium.

Chromium's fake microphone plays Mandarin speech made with espeak-ng
(``--use-file-for-fake-audio-capture``) and auto-accepts the permission prompt
(``--use-fake-ui-for-media-stream``). The page records with MediaRecorder (WebM/Opus), uploads
the recording and sends it as a voice message: "正在转写…" with the recording playable in the
page, then the transcript with 确认/修改; confirmed, it is the case's facts. Without a model the
recording is kept and the party types instead; a browser without MediaRecorder is told so.
"""

from __future__ import annotations

import asyncio
import re
import wave
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from core import crypto
from features.voice.models import VoiceTranscript
from harness.seed import linked_mediator
from speech.audio import transcode
from speech.cer import cer
from standin import StandinBotAPI
from storage.models import Case, Evidence, User
from tests.e2e.harness import add_room
from tests.voice.conftest import sample, spoken_facts, whisper_base
from tests.voice.test_voice_room import case_and_recordings, voice_idle
from tests.webchat.conftest import chromium
from tests.webchat.harness import (
    PHONE_VIEWPORT,
    PLACE_AND_NAMES,
    bubble,
    chat_service,
    incoming,
    login,
    press,
    say,
    to_facts,
    walk_page,
)

__all__ = ["whisper_base"]  # the model fixture of the voice tests

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = "13800008001"
OTHER_PHONE = "13800008002"
EBML = b"\x1a\x45\xdf\xa3"
#: What the facts recording says (tests.voice.conftest.spoken_facts) and how far the
#: transcript of a browser recording may be from it.
REFERENCE = sample("window").text + sample("tomorrow").text
MAX_CER = 0.7
#: The phrase of the two that the base model hears on every host and Opus bit rate tried (the
#: "window" half turns to noise on an AMD EPYC host: docs/benchmarks.md, ASR notes).
KEYWORD = "明天下午"


@asynccontextmanager
async def microphone_browser(wav: Path | None, *, allow: bool = True) -> AsyncIterator[Any]:
    """Debian's Chromium whose (fake) microphone plays ``wav`` once; ``allow``: the
    permission prompt is accepted, else it is refused as a person would."""
    args = ["--use-fake-device-for-media-stream"]
    if allow:
        args.append("--use-fake-ui-for-media-stream")
    if wav is not None:
        args.append(f"--use-file-for-fake-audio-capture={wav}%noloop")
    async with chromium(args) as browser:
        yield browser


def microphone_input(tmp_path: Path) -> Path:
    """The facts sentence as Chromium's fake microphone plays it best: 48 kHz 16-bit PCM
    (espeak-ng writes 22.05 kHz, which Chromium's capture turns into hiss for the model)."""
    target = tmp_path / "facts-48k.wav"
    return transcode(spoken_facts(tmp_path), target, container="wav", codec="pcm_s16le")


def seconds_of(wav: Path) -> float:
    with wave.open(str(wav), "rb") as w:
        return w.getnframes() / w.getframerate()


async def until(page: Any, script: str, arg: Any = None, timeout: float = 15.0) -> None:  # noqa: ASYNC109
    """Poll ``script`` (a function of ``arg``) until true. Not ``wait_for_function``: that
    evaluates a string in the page, which the page's CSP (no 'unsafe-eval') refuses."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await page.evaluate(script, arg):
        if loop.time() > deadline:
            raise TimeoutError(script)
        await asyncio.sleep(0.1)


async def more_than(page: Any, locator: Any, count: int, seconds: float) -> None:
    """Wait until ``locator`` matches more than ``count`` elements."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while await locator.count() <= count:
        assert loop.time() < deadline, await incoming(page)
        await asyncio.sleep(0.25)


async def record(page: Any, seconds: float) -> None:
    """Tap 🎤, watch the timer run, tap again to stop and send."""
    await page.click("#record")
    await page.wait_for_selector("#recorder:not([hidden])")
    await until(page, "() => document.getElementById('rec-timer').textContent !== '0:00'")
    await asyncio.sleep(max(0.0, seconds - 1))
    assert "停止" in await page.inner_text("#record")
    await page.click("#record")
    await page.wait_for_selector("#recorder", state="hidden")
    await page.locator("li.me", has_text="🎤 语音").last.wait_for()


async def finish_intake(page: Any) -> None:
    await walk_page(
        page,
        [
            ("press", "下一步", "申请事项"),
            ("text", "赔偿修窗户的钱", "金额"),
            ("press", "跳过", "哪里"),
            *PLACE_AND_NAMES,
            ("text", "139 0000 8003", "确认提交"),
            ("press", "✅ 确认提交", "登记成功"),
        ],
    )


def heard_enough(machine: str) -> bool:
    return KEYWORD in machine or cer(REFERENCE, machine) <= MAX_CER


async def check_audio(page: Any, base: str, notice: Any) -> str:
    """The recording plays in the page, served by /chat/file/<seq> with safe headers."""
    audio = notice.locator("audio")
    await audio.wait_for()
    handle = await audio.element_handle()
    await until(page, "a => a.readyState >= 1 && !a.error", handle)
    src = str(await audio.get_attribute("src"))
    assert src.startswith("/chat/file/")
    response = await page.request.get(base + src)
    assert response.status == 200
    headers = response.headers
    assert headers["content-type"] == "audio/webm"
    assert headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in headers["content-security-policy"]
    assert (await response.body()).startswith(EBML)
    return src


@pytest.mark.asr
@pytest.mark.timeout(900)
async def test_recorded_answer_transcribed_confirmed_and_filed(
    tmp_path: Path, whisper_base: Path
) -> None:
    wav = microphone_input(tmp_path)
    async with (
        StandinBotAPI() as standin,
        chat_service(standin, tmp_path / "var", ASR_MODEL_DIR=str(whisper_base)) as (
            runtime,
            base,
            gateway,
        ),
        microphone_browser(wav) as browser,
    ):
        ctx = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
        page = await ctx.new_page()
        await login(page, base, PHONE, gateway)
        await to_facts(page, "邻里纠纷")
        # Chromium's fake microphone under a loaded machine sometimes garbles the synthetic
        # voice (and the base model hears espeak's Mandarin less well on some CPUs); like a
        # person the test then says it again, at most three times, until most of it came
        # through (CER ≤ MAX_CER, or the keyword heard; garbled attempts measured 0.9–1.0 and
        # carried neither, good ones 0.2–0.8).
        outcomes = page.locator("li.them", has_text=re.compile("请核对|没有听清|无法转写|没能可靠"))
        heard: list[str] = []
        notices = page.locator("li.them", has_text="正在转写…")
        for attempt in range(6):
            before, noticed = await outcomes.count(), await notices.count()
            await record(page, seconds_of(wav) + 1.5)
            await more_than(page, notices, noticed, 20)
            src = await check_audio(page, base, notices.last)
            await more_than(page, outcomes, before, 600)
            text = str(await outcomes.last.locator(".text").inner_text())
            heard.append(text)
            shown = "请核对" in text
            if shown and heard_enough(text.split("\n\n")[1]):
                break
            # After three garbled hearings (seen on loaded hosts: the same noise again and
            # again) the flow under test — transcript shown, confirmed, filed — goes on with a
            # shown one; a hearing the screen discarded (nothing shown to confirm) is said
            # again, as a person would. How well the model hears is measured in
            # benchmarks/asr, not here.
            if shown and attempt >= 2:
                break
        assert "请核对" in heard[-1], heard
        transcript = outcomes.last
        machine = text.split("\n\n")[1].strip()
        print(f"browser recording: {REFERENCE} → {machine} (CER {cer(REFERENCE, machine):.2f})")
        assert any("\u4e00" <= ch <= "\u9fff" for ch in machine), machine
        labels = await transcript.locator(".buttons button").all_inner_texts()
        assert labels == ["确认", "修改"]
        await press(page, "确认")
        await bubble(page, "已确认")
        await bubble(page, "证据")
        await finish_intake(page)

        # Someone else's session cannot fetch the recording.
        other = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
        other_page = await other.new_page()
        await login(other_page, base, OTHER_PHONE, gateway)
        assert (await other_page.request.get(base + src)).status == 404
        assert (await (await browser.new_context()).request.get(base + src)).status == 401

        await voice_idle(runtime)
        case, evidence, rows = await case_and_recordings(runtime)
        # The confirmed transcript is the case's facts; every recording is its evidence.
        assert case.facts == machine
        assert [(e.kind, e.channel, e.case_id) for e in evidence] == [
            ("voice", "web", case.id)
        ] * len(heard)
        t = rows[-1]
        # Recordings said again leave their transcripts unconfirmed.
        assert all(r.status in ("ready", "empty", "discarded") for r in rows[:-1]), rows
        assert (t.status, t.channel, t.step, t.file_ref) == (
            "confirmed",
            "web",
            "facts",
            evidence[-1].file_ref,
        )
        assert (await runtime.files.get(t.stored_path or "")).startswith(EBML)


async def test_without_a_model_the_recording_is_kept_and_typed_instead(tmp_path: Path) -> None:
    wav = microphone_input(tmp_path)
    async with (
        StandinBotAPI() as standin,
        chat_service(standin, tmp_path / "var") as (runtime, base, gateway),
        microphone_browser(wav) as browser,
    ):
        ctx = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
        page = await ctx.new_page()
        await login(page, base, PHONE, gateway)
        await to_facts(page, "邻里纠纷")
        # Cancel discards a recording: nothing is sent.
        await page.click("#record")
        await page.wait_for_selector("#recorder:not([hidden])")
        await page.click("#rec-cancel")
        await page.wait_for_selector("#recorder", state="hidden")
        await asyncio.sleep(1)
        assert await page.locator("li.me", has_text="🎤").count() == 0

        await record(page, 3)
        notice = page.locator("li.them", has_text="暂时无法把语音转成文字").last
        await notice.wait_for(timeout=20_000)
        await check_audio(page, base, notice)
        await bubble(page, "发生了什么")
        assert await page.locator("li.them", has_text="请核对").count() == 0
        await say(page, "他把我家的窗户打破了，不肯赔偿玻璃钱。")
        await bubble(page, "证据")
        await finish_intake(page)

        await voice_idle(runtime)
        async with runtime.db.read() as s:
            case = (await s.execute(select(Case))).scalar_one()
            kinds = (await s.execute(select(Evidence.kind))).scalars().all()
            t = (await s.execute(select(VoiceTranscript))).scalar_one()
        assert case.facts == "他把我家的窗户打破了，不肯赔偿玻璃钱。"
        assert list(kinds) == ["voice"]
        assert (t.status, t.channel) == ("unavailable", "web")
        assert (await runtime.files.get(t.stored_path or "")).startswith(EBML)


async def test_recording_refusals_are_explained(tmp_path: Path) -> None:
    """No MediaRecorder: "this browser cannot record"; microphone refused: how to allow it."""
    async with (
        StandinBotAPI() as standin,
        chat_service(standin, tmp_path / "var") as (_runtime, base, gateway),
        microphone_browser(None) as browser,
    ):
        ctx = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
        await ctx.add_init_script("delete window.MediaRecorder;")
        page = await ctx.new_page()
        await login(page, base, PHONE, gateway)
        await page.click("#record")
        await page.locator("li.notice", has_text="这个浏览器不能录音").wait_for()

    async with (
        StandinBotAPI() as standin,
        chat_service(standin, tmp_path / "var") as (_runtime, base, gateway),
        microphone_browser(None, allow=False) as browser,
    ):
        ctx = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
        page = await ctx.new_page()
        await login(page, base, OTHER_PHONE, gateway)
        await page.click("#record")
        await page.locator("li.notice", has_text="没有麦克风权限").wait_for()
        assert await page.locator("#recorder").is_hidden()


async def test_a_recording_in_the_room_plays_for_the_room_members_only(tmp_path: Path) -> None:
    """Two browser parties in one room: the applicant's recording is kept (no model here), sent
    when the applicant presses 发送语音, and the respondent's page plays it from their own
    mailbox; the speaker's page plays it too."""
    wav = microphone_input(tmp_path)
    async with (
        StandinBotAPI() as standin,
        chat_service(standin, tmp_path / "var") as (runtime, base, gateway),
        microphone_browser(wav) as browser,
    ):
        async with runtime.db.write() as s:
            applicant = User(phone=PHONE, phone_hash=crypto.blind_index(PHONE))
            respondent = User(phone=OTHER_PHONE, phone_hash=crypto.blind_index(OTHER_PHONE))
            staff = linked_mediator("med_voice", 8200)
            await add_room(s, applicant, respondent, staff, number="（2026）示调字第0001号")
        standin.user(8200).register()
        pages = []
        for phone in (PHONE, OTHER_PHONE):
            ctx = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
            page = await ctx.new_page()
            await login(page, base, phone, gateway)
            pages.append(page)
        speaker, listener = pages
        await record(speaker, 3)
        own = speaker.locator("li.them", has_text="暂时无法把语音转成文字").last
        await own.wait_for(timeout=20_000)
        src_own = await check_audio(speaker, base, own)
        # Kept, not relayed, until the speaker chooses to send it (issue 23).
        assert await listener.locator("li.them", has_text="申请人").count() == 0
        await press(speaker, "发送语音")
        await speaker.locator("li.them", has_text="原语音已发给对方").wait_for(timeout=20_000)
        relayed = listener.locator("li.them", has_text="申请人").last
        await relayed.wait_for(timeout=20_000)
        src_relayed = await check_audio(listener, base, relayed)
        assert "语音" in await relayed.inner_text()
        # Someone outside the room has no such row in their mailbox.
        outsider = await browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
        page = await outsider.new_page()
        await login(page, base, "13800008009", gateway)
        for src in (src_own, src_relayed):
            assert (await page.request.get(base + src)).status == 404
        await voice_idle(runtime)
        async with runtime.db.read() as s:
            t = (await s.execute(select(VoiceTranscript))).scalar_one()
        assert (t.status, t.channel, t.case_id is not None) == ("unavailable", "web", True)
