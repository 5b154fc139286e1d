"""Voice messages become text in the case record (语音智能笔录), offline.

Listed in ``services.features.FEATURE_MODULES`` as ``"services.voice"``: importing the package
registers its message hook, buttons and life hooks.

- ``pipeline``: the channel-agnostic part — :func:`~services.voice.pipeline.accept_audio`
  keeps an audio file as evidence and queues it for transcription;
  :class:`~services.voice.pipeline.VoiceService` fetches/stores the file, transcribes it in the
  worker processes of :mod:`speech` and shows the text to the speaker;
- ``feature``: a voice note in a room and the 确认/修改 buttons;
- ``intake``: a spoken answer in the intake dialogue, transcribed and, once confirmed, the
  step's answer (a ``services.features.intake_hook``);
- ``lifecycle``: builds the service at start (worker pool, file fetcher) and resumes work left
  pending by a restart.
"""

from services.voice import feature, intake, lifecycle  # noqa: F401  (registers)
