"""musicnn's input, without torch: the log-mel spectrogram and its 3-second patches.

Reproduces ``musicnn.extractor.batch_data``: librosa's mel (16 kHz, n_fft 512, hop 256, 96
bands, here computed by ``albumstudio.audio.dsp``), rounded to float16, ``log10(10000 x + 1)``
in float32, non-overlapping 187-frame patches (a trailing partial patch is dropped). Clips
shorter than one patch, on which the original fails, are repeat-padded as in musicnn's
training (``"pad_short": "repeat-pad"``). Kept apart from the network so the spectrogram can
be made while torch is still being imported.
"""

from __future__ import annotations

import functools

import numpy as np

from albumstudio.audio import dsp

SR = 16000
N_FFT = 512
HOP = 256
N_MELS = 96
N_FRAMES = 187  # librosa.time_to_frames(3, sr=16000, n_fft=512, hop_length=256) + 1
_FLOAT16_MAX = float(np.finfo(np.float16).max)
_CHUNK_FRAMES = 4096


@functools.cache
def _filters() -> tuple[np.ndarray, np.ndarray]:
    return dsp.hann(N_FFT), dsp.mel_filters(SR, N_FFT, N_MELS)


def log_mel(y: np.ndarray) -> np.ndarray:
    """(frames, 96) float32 log-mel spectrogram exactly as musicnn's extractor computes it.

    The original rounds the mel power to float16, then (numpy < 2 promotes ``10000 * x`` to
    float32) compresses with ``log10(10000 x + 1)`` in float32; numpy 2 would stay in float16
    and overflow, so the promotion is spelled out here.
    """
    y = np.asarray(y, dtype=np.float32).reshape(-1)
    if y.size == 0:
        y = np.zeros(1, dtype=np.float32)
    half = N_FFT // 2  # librosa's centred frames, zero padding (added per chunk, not copied)
    n_frames = 1 + (y.size + 2 * half - N_FFT) // HOP
    out = np.empty((n_frames, N_MELS), dtype=np.float32)
    for first in range(0, n_frames, _CHUNK_FRAMES):  # bounded memory for long tracks
        last = min(n_frames, first + _CHUNK_FRAMES)
        start, stop = first * HOP - half, (last - 1) * HOP + N_FFT - half
        segment = y[max(start, 0):min(stop, y.size)]
        if start < 0 or stop > y.size:
            segment = np.pad(segment, (max(0, -start), max(0, stop - y.size)))
        out[first:last] = log_mel_frames(segment)
    return out


def log_mel_frames(segment: np.ndarray) -> np.ndarray:
    """(frames, 96) log-mel rows of the uncentred frames of ``segment`` (n_fft 512, hop 256):
    ``log_mel``'s rows for a stretch of samples (it pads the ends; a stream pads them itself)."""
    window, mel_fb = _filters()
    mel = (mel_fb @ dsp.power_frames(segment, N_FFT, HOP, window)).T
    mel16 = np.minimum(mel, _FLOAT16_MAX).astype(np.float16).astype(np.float32)
    return np.log10(np.float32(10000) * mel16 + np.float32(1))


def repeat_pad(rep: np.ndarray, n_frames: int = N_FRAMES) -> np.ndarray:
    """Tile a too-short spectrogram in time and crop it to ``n_frames`` (musicnn-training)."""
    reps = -(-n_frames // max(1, rep.shape[0]))
    return np.concatenate([rep] * reps, axis=0)[:n_frames]


def patches(rep: np.ndarray, n_frames: int = N_FRAMES, hop: int | None = None) -> np.ndarray:
    """(patches, n_frames, 96) float32: ``batch_data``'s windows, hop = n_frames by default."""
    hop = hop or n_frames
    if rep.shape[0] < n_frames:
        rep = repeat_pad(rep, n_frames)
    rep = np.asarray(rep, dtype=np.float32)
    if hop == n_frames:  # non-overlapping: a view of the spectrogram, not a copy
        count = rep.shape[0] // n_frames
        return rep[:count * n_frames].reshape(count, n_frames, rep.shape[1])
    starts = range(0, rep.shape[0] - n_frames + 1, hop)
    return np.stack([rep[s:s + n_frames] for s in starts]).astype(np.float32)
