"""Start-up and shut-down of the voice feature: the worker pool and resuming
(each channel registers how its files are fetched: see ``app.runtime``).

The worker processes start lazily on the first voice message, so a service that never gets
one never loads a model. Without a usable model (``ASR_BACKEND=none``, ``ASR_MODEL_DIR`` unset
or incomplete) the service runs normally: audio is kept and people are told transcription is
unavailable; the reason is logged once here.
"""

from __future__ import annotations

import logging

from core.config import Settings
from features.voice.pipeline import VoiceService
from services import features
from services.shared import FeatureHost
from speech.backends import BackendSpec, model_problem
from speech.worker import SpeechWorker

log = logging.getLogger(__name__)


def spec_of(settings: Settings) -> BackendSpec:
    return BackendSpec(
        name=settings.asr_backend,
        model_dir=settings.asr_model_dir,
        threads=settings.asr_threads,
    )


@features.on_start
async def start(runtime: FeatureHost) -> None:
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
        units=runtime.units,
        public_url=runtime.settings.public_url,
    )
    runtime.shared.voice = service
    try:
        await service.resume()
    except Exception as exc:  # e.g. a database not yet migrated to the voice tables
        log.warning("voice: pending transcripts not resumed: %s", exc)
    service.start_sweeping()


@features.on_stop
async def stop(runtime: FeatureHost) -> None:
    service, runtime.shared.voice = runtime.shared.voice, None
    if service is not None:
        await service.stop()
