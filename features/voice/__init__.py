"""Voice messages become text in the case record (语音智能笔录), offline.

Listed once in ``app.features.FEATURES``; importing the package declares its message hook,
buttons and life hooks, and :func:`register` its tables (``models``).

- ``audio_in``: :func:`~features.voice.audio_in.accept_audio` keeps an audio file as evidence
  and queues it for transcription, inside the turn's transaction;
- ``pipeline``: the channel-agnostic part after the commit —
  :class:`~features.voice.pipeline.VoiceService` fetches/stores the file, transcribes it in the
  worker processes of :mod:`speech` and shows the text to the speaker;
- ``feature``: a voice note in a room and the 确认/修改 buttons;
- ``intake``: a spoken answer in the intake dialogue, transcribed and, once confirmed, the
  step's answer (a ``services.features.intake_hook``);
- ``lifecycle``: builds the service at start (worker pool, file fetcher) and resumes work left
  pending by a restart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from features.voice import feature, intake, lifecycle  # noqa: F401  (registers)

if TYPE_CHECKING:
    from app.features import FeatureRegistry


def register(registry: FeatureRegistry) -> None:
    # Imported here, not at the top: a module that needs one of this feature's use cases
    # (``features.voice.<module>``) does not pull in its web part and tables with it.
    from features.voice import models

    registry.feature("voice")
    registry.tables(models)
