"""Audio containers: what arrives (Telegram OGG/Opus voice notes, browser WebM/Opus
recordings, audio files) and conversions used by tests and the benchmark.

faster-whisper decodes any of these itself through PyAV (FFmpeg's libraries, shipped in the
``av`` wheel), so the service needs no ``ffmpeg`` binary.
"""

from __future__ import annotations

from pathlib import Path

#: Telegram voice notes are OGG/Opus; browsers record WebM/Opus (Chrome) or OGG (Firefox).
EXTENSIONS = {
    "audio/ogg": ".ogg",
    "audio/opus": ".opus",
    "audio/webm": ".webm",
    "video/webm": ".webm",
    "audio/mpeg": ".mp3",
    "audio/mp4": ".m4a",
    "audio/x-m4a": ".m4a",
    "audio/aac": ".aac",
    "audio/wav": ".wav",
    "audio/x-wav": ".wav",
    "audio/flac": ".flac",
}


def extension_for(mime_type: str | None, kind: str) -> str:
    base = (mime_type or "").split(";")[0].strip().lower()
    return EXTENSIONS.get(base, ".ogg" if kind == "voice" else ".bin")


def duration_of(path: Path) -> float:
    """Seconds of audio, read from the container (decoding if it does not say)."""
    import av

    with av.open(str(path)) as container:
        if container.duration:
            return float(container.duration / 1_000_000)
        stream = container.streams.audio[0]
        samples = sum(frame.samples for frame in container.decode(stream))
        return samples / float(stream.rate or 48000)


def encode_opus(source: Path, target: Path, container: str = "ogg") -> Path:
    """Re-encode ``source`` (e.g. espeak-ng's WAV) as Opus in OGG or WebM at 48 kHz mono —
    what a Telegram voice note or a browser's MediaRecorder produces."""
    return transcode(source, target, container=container, codec="libopus", bit_rate=32000)


def transcode(
    source: Path, target: Path, *, container: str, codec: str, bit_rate: int | None = None
) -> Path:
    """``source`` re-encoded as 48 kHz mono 16-bit ``codec`` in ``container`` (PyAV, no
    ffmpeg binary)."""
    import av
    from av.audio.stream import AudioStream

    with av.open(str(source)) as src, av.open(str(target), "w", format=container) as dst:
        stream = dst.add_stream(codec, rate=48000)
        if not isinstance(stream, AudioStream):
            raise ValueError(f"{codec} is not an audio codec")
        stream.layout = "mono"
        if bit_rate is not None:
            stream.bit_rate = bit_rate
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
        for frame in src.decode(audio=0):
            frame.pts = None
            for out in resampler.resample(frame):
                for packet in stream.encode(out):
                    dst.mux(packet)
        for out in resampler.resample(None):
            for packet in stream.encode(out):
                dst.mux(packet)
        for packet in stream.encode(None):
            dst.mux(packet)
    return target
