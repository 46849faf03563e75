"""A synthesized song with known structure for the clip tests: where its choruses are is known.

At 120 BPM (2 s a bar): intro (8 bars, a quiet pad), verse (8 bars, Am–F, soft kick), chorus
(8 bars, C–G, loud kick and snare and a bright lead), verse, chorus, outro (4 bars, the pad).
The choruses start at 32 s and 64 s.
"""

from __future__ import annotations

import numpy as np

BAR_S = 2.0
CHORUS_STARTS = (32.0, 64.0)
SECTIONS = (("intro", 8), ("verse", 8), ("chorus", 8), ("verse", 8), ("chorus", 8),
            ("outro", 4))
_CHORDS = {"intro": ((220.0, 261.63, 329.63),), "outro": ((220.0, 261.63, 329.63),),
           "verse": ((220.0, 261.63, 329.63), (174.61, 220.0, 261.63)),
           "chorus": ((261.63, 329.63, 392.0), (196.0, 246.94, 293.66))}
_LEVELS = {"intro": (0.05, 0.0, 0.0), "outro": (0.05, 0.0, 0.0), "verse": (0.07, 0.25, 0.0),
           "chorus": (0.10, 0.7, 0.12)}  # pad, drums, lead


def song(sr: int = 44100, seed: int = 0, seconds: float | None = None) -> np.ndarray:
    """(frames, 2) float32; ``seconds`` cuts it short."""
    rng = np.random.default_rng(seed)
    bars = sum(n for _, n in SECTIONS)
    n = int(bars * BAR_S * sr)
    out = np.zeros(n, dtype=np.float64)
    bar_frames = int(BAR_S * sr)
    t = np.arange(bar_frames) / sr
    kick_len = int(0.12 * sr)
    kick = np.sin(2 * np.pi * 55 * np.arange(kick_len) / sr) * np.exp(-np.linspace(0, 6, kick_len))
    snare_len = int(0.08 * sr)
    bar = 0
    for name, count in SECTIONS:
        pad, drums, lead = _LEVELS[name]
        for i in range(count):
            chord = _CHORDS[name][i % len(_CHORDS[name])]
            start = bar * bar_frames
            piece = pad * sum(np.sin(2 * np.pi * f * t) for f in chord)
            if lead:
                notes = np.repeat(np.array(chord) * 2, bar_frames // 3 + 1)[:bar_frames]
                piece += lead * np.sin(2 * np.pi * np.cumsum(notes) / sr)
            for beat in range(4):
                at = beat * bar_frames // 4
                if drums:
                    gain = drums * (1.0 if beat == 0 else 0.6)
                    piece[at:at + kick_len] += gain * kick[:bar_frames - at]
                    if beat in (1, 3):
                        noise = rng.standard_normal(snare_len) * np.exp(
                            -np.linspace(0, 5, snare_len))
                        piece[at:at + snare_len] += 0.5 * drums * noise
            out[start:start + bar_frames] += piece
            bar += 1
    out = np.clip(out, -1.0, 1.0).astype(np.float32)
    if seconds is not None:
        out = out[:int(seconds * sr)]
    return np.stack([out, 0.9 * out], axis=1)
