"""Start-up and shut-down of the voice feature: the worker pool, the file fetcher, resuming.

The worker processes start lazily on the first voice message, so a service that never gets
one never loads a model. Without a usable model (``ASR_BACKEND=none``, ``ASR_MODEL_DIR`` unset
or incomplete) the service runs normally: audio is kept and people are told transcription is
unavailable; the reason is logged once here.
"""

from __future__ import annotations

import logging
from typing import Any

from services import features
from services.voice.pipeline import VoiceService
from speech.backends import BackendSpec, model_problem
from speech.worker import SpeechWorker

log = logging.getLogger(__name__)


def spec_of(settings: Any) -> BackendSpec:
    return BackendSpec(
        name=settings.asr_backend,
        model_dir=settings.asr_model_dir,
        threads=settings.asr_threads,
    )


def telegram_fetcher(runtime: Any) -> Any:
    """Download a file by id through the Bot API (getFile, then the file URL)."""

    async def fetch(file_ref: str) -> bytes:
        bot = getattr(runtime, "telegram", None)
        if bot is None:
            raise LookupError("Telegram is not configured")
        file = await bot.application.bot.get_file(file_ref)
        return bytes(await file.download_as_bytearray())

    return fetch


@features.on_start
async def start(runtime: Any) -> None:
    spec = spec_of(runtime.settings)
    if spec.name == "none":
        log.info("speech-to-text is off (ASR_BACKEND=none): voice messages are kept untranscribed")
    elif not spec.available:
        log.warning(
            "speech-to-text unavailable (%s): voice messages are kept untranscribed",
            model_problem(spec.model_dir),
        )
    service = VoiceService(
        runtime.db,
        runtime.settings.data_dir,
        SpeechWorker(spec, runtime.settings.asr_workers),
        runtime.deliver,
        runtime.clock,
        files=runtime.files,
    )
    service.register_fetcher("telegram", telegram_fetcher(runtime))
    runtime.extras["voice"] = service
    try:
        await service.resume()
    except Exception as exc:  # e.g. a database not yet migrated to the voice tables
        log.warning("voice: pending transcripts not resumed: %s", exc)
    service.start_sweeping()


@features.on_stop
async def stop(runtime: Any) -> None:
    service = runtime.extras.pop("voice", None)
    if isinstance(service, VoiceService):
        await service.stop()
