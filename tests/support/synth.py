"""Synthesized audio for tests: no downloads, every fixture made here."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf


def tone(seconds: float, sr: int = 44100, freq: float = 440.0, amp: float = 0.5,
         channels: int = 2) -> np.ndarray:
    """A sine, (frames, channels) float32; channel k is scaled by 1/(k+1) so lanes differ."""
    t = np.arange(int(seconds * sr)) / sr
    mono = (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)
    return np.stack([mono / (k + 1) for k in range(channels)], axis=1)


def music(seconds: float, sr: int = 22050, bpm: float = 120.0, key_root_hz: float = 220.0,
          minor: bool = True, channels: int = 2, seed: int = 0) -> np.ndarray:
    """A beat (decaying noise bursts on every beat) over a sustained triad: tempo and key are known."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    third = 2 ** (3 / 12) if minor else 2 ** (4 / 12)
    chord = sum(np.sin(2 * np.pi * key_root_hz * r * t) for r in (1.0, third, 2 ** (7 / 12), 2.0))
    out = 0.08 * chord
    period = 60.0 / bpm
    burst_len = int(0.06 * sr)
    env = np.exp(-np.linspace(0, 8, burst_len))
    for beat in np.arange(0, seconds, period):
        i = int(beat * sr)
        seg = min(burst_len, n - i)
        out[i:i + seg] += 0.6 * env[:seg] * rng.standard_normal(seg)
    out = np.clip(out, -1, 1).astype(np.float32)
    return np.stack([out] * channels, axis=1)


def write(path: Path | str, data: np.ndarray, sr: int, fmt: str | None = None,
          subtype: str | None = None) -> Path:
    sf.write(str(path), data, sr, format=fmt, subtype=subtype)
    return Path(path)
