"""Audio clips as files: WAV and FLAC (24-bit, soundfile), MP3 (libmp3lame) and Ogg Opus
(libopus, 48 kHz) through PyAV, decoded back for measuring, and written atomically.

The encoders' priming and padding never reach the listener: an MP3 carries the encoder delay
and padding in its LAME header and an Ogg Opus stream its pre-skip and the last page's
granule position, and the decoders (FFmpeg's, libsndfile's) trim both, so the decoded length
is the clip's to the frame (``tests/engines/test_clip_audio.py`` reads each format back).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from albumstudio.core.errors import InputError

OPUS_RATE = 48000
MP3_RATES = (32000, 44100, 48000)
# extension -> (MIME type, format name, codec)
AUDIO_FORMATS: dict[str, tuple[str, str, str]] = {
    ".wav": ("audio/wav", "WAV", "pcm"), ".flac": ("audio/flac", "FLAC", "flac"),
    ".mp3": ("audio/mpeg", "MP3", "libmp3lame"), ".ogg": ("audio/ogg", "Ogg Opus", "libopus"),
    ".opus": ("audio/ogg", "Ogg Opus", "libopus"),
}
FORMAT_LIST = "WAV, FLAC, MP3 or Ogg Opus (.wav, .flac, .mp3, .ogg, .opus)"


def format_of(path: str) -> str:
    """The extension of ``path`` if we write it; InputError otherwise."""
    ext = Path(path).suffix.lower()
    if ext not in AUDIO_FORMATS:
        shown = ext or "no extension"
        raise InputError(f"Clips are saved as {FORMAT_LIST}, not '{shown}'; rename the file.")
    return ext


def _pcm(samples: np.ndarray, ext: str, sample_rate: int) -> bytes:
    import soundfile as sf

    buffer = io.BytesIO()
    kind = "WAV" if ext == ".wav" else "FLAC"
    sf.write(buffer, samples.astype(np.float32), sample_rate, format=kind, subtype="PCM_24")
    return buffer.getvalue()


def resample(samples: np.ndarray, rate: int, to_rate: int) -> np.ndarray:
    if rate == to_rate:
        return samples
    import soxr

    return np.asarray(soxr.resample(samples, rate, to_rate, quality="VHQ"), dtype=np.float64)


def _lossy(samples: np.ndarray, ext: str, sample_rate: int) -> bytes:
    import av

    codec = AUDIO_FORMATS[ext][2]
    container_format = "mp3" if ext == ".mp3" else "ogg"
    channels = samples.shape[1]
    layout = "mono" if channels == 1 else "stereo"
    data = np.clip(samples, -1.0, 1.0).astype(np.float32)
    if channels > 2:
        data = data[:, :2]
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=container_format) as container:
        stream: Any = container.add_stream(codec, rate=sample_rate, layout=layout)
        stream.bit_rate = 256_000 if codec == "libmp3lame" else 160_000
        frame_size = 1152 if codec == "libmp3lame" else 960
        pts = 0
        for first in range(0, data.shape[0], frame_size):
            block = np.ascontiguousarray(data[first:first + frame_size].T)
            frame = av.AudioFrame.from_ndarray(block, format="fltp", layout=layout)
            frame.sample_rate = sample_rate
            frame.pts = pts
            pts += block.shape[1]
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()


def read_back(data: bytes, ext: str) -> tuple[np.ndarray, int]:
    """Decode encoded clip bytes: (frames, channels) float64 and the rate."""
    if ext in (".wav", ".flac"):
        import soundfile as sf

        samples, rate = sf.read(io.BytesIO(data), dtype="float64", always_2d=True)
        return samples, int(rate)
    import av

    parts: list[np.ndarray] = []
    with av.open(io.BytesIO(data), "r") as container:
        stream = container.streams.audio[0]
        rate = int(stream.codec_context.sample_rate)
        for frame in container.decode(stream):
            block = frame.to_ndarray()
            if frame.format.is_planar:
                block = block.T
            else:
                block = block.reshape(-1, len(frame.layout.channels))
            parts.append(block.astype(np.float64))
    if not parts:
        return np.zeros((0, 2)), rate
    return np.concatenate(parts), rate


def output_rate(ext: str, sample_rate: int) -> int:
    if AUDIO_FORMATS[ext][2] == "libopus":
        return OPUS_RATE
    if ext == ".mp3" and sample_rate not in MP3_RATES:
        return 48000 if sample_rate > 44100 else 44100
    return sample_rate


def encode_bytes(samples: np.ndarray, sample_rate: int, ext: str) -> bytes:
    """(frames, channels) samples in −1..1 as the bytes of a file of format ``ext``."""
    if ext in (".wav", ".flac"):
        return _pcm(samples, ext, sample_rate)
    return _lossy(samples, ext, sample_rate)


def write_clip(data: bytes, path: str, overwrite: bool = False) -> str:
    """Write encoded clip bytes to ``path`` (a temporary name, then ``os.replace``); InputError
    for a format we do not write or a place that cannot take it, with nothing written."""
    from albumstudio.store.storage import check_place, write_users_file

    ext = format_of(path)
    target = Path(path)
    check_place(target, f"clip{ext}", overwrite)
    write_users_file(target, data, overwrite)
    return str(target)


def check_output(path: str, overwrite: bool = False) -> str:
    """The extension of ``path`` when a clip can be written there; InputError otherwise."""
    from albumstudio.store.storage import check_place

    ext = format_of(path)
    check_place(Path(path), f"clip{ext}", overwrite)
    return ext
